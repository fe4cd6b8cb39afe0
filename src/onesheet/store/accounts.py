"""Accounts in bulk and their day-one state (must change password, last sign-in)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from onesheet.store.schema import table


def existing_usernames(conn: Connection, names: Iterable[str]) -> set[str]:
    t = table("app_user")
    wanted = sorted(set(names))
    found: set[str] = set()
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        found |= set(conn.execute(select(t.c.username).where(t.c.username.in_(chunk))).scalars())
    return found


def org_levels(conn: Connection, codes: Iterable[str]) -> dict[str, tuple[str, str]]:
    """code → (level, name) for the codes that exist and are not merged away."""
    t = table("org_unit")
    wanted = sorted(set(codes))
    out: dict[str, tuple[str, str]] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        q = select(t.c.code, t.c.level, t.c.name).where(
            t.c.code.in_(chunk), t.c.merged_into.is_(None)
        )
        out |= {r.code: (r.level, r.name) for r in conn.execute(q)}
    return out


def insert_accounts(conn: Connection, rows: Sequence[dict]) -> None:  # type: ignore[type-arg]
    if rows:
        conn.execute(insert(table("app_user")), list(rows))


def set_password(
    conn: Connection, username: str, password_hash: str, *, must_change: bool, now: datetime
) -> bool:
    t = table("app_user")
    result = conn.execute(
        update(t)
        .where(t.c.username == username)
        .values(
            password_hash=password_hash,
            must_change_password=must_change,
            password_set_at=now,
            failed_logins=0,
            locked_until=None,
        )
    )
    return result.rowcount == 1


def record_sign_in(conn: Connection, username: str, now: datetime) -> None:
    t = table("app_user")
    conn.execute(update(t).where(t.c.username == username).values(last_login_at=now))


def account(conn: Connection, username: str) -> dict | None:  # type: ignore[type-arg]
    t = table("app_user")
    row = conn.execute(select(t).where(t.c.username == username)).one_or_none()
    return dict(row._mapping) if row else None


def accounts(
    conn: Connection,
    *,
    role: str | None = None,
    under: str | None = None,
    disabled: bool | None = None,
) -> list[dict]:  # type: ignore[type-arg]
    t = table("app_user")
    q = select(t).order_by(t.c.org_code, t.c.username)
    if role:
        q = q.where(t.c.role == role)
    if under:
        q = q.where(t.c.org_code.startswith(under, autoescape=True))
    if disabled is not None:
        q = q.where(t.c.disabled_at.isnot(None) if disabled else t.c.disabled_at.is_(None))
    return [dict(r._mapping) for r in conn.execute(q)]
