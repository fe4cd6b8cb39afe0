"""Users and department field grants in the database."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from onesheet.domain.grants import DepartmentGrant
from onesheet.store.schema import table


def insert_user(
    conn: Connection,
    *,
    username: str,
    role: str,
    org_code: str,
    department: str | None,
    password_hash: str,
    now: datetime,
) -> int:
    """Add a user; the unique username constraint refuses a second one of the same name."""
    result = conn.execute(
        insert(table("app_user")).values(
            username=username,
            role=role,
            org_code=org_code,
            department=department,
            password_hash=password_hash,
            created_at=now,
            failed_logins=0,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def get_user(conn: Connection, username: str) -> dict | None:  # type: ignore[type-arg]
    """The user row as a dict, or None."""
    t = table("app_user")
    row = conn.execute(select(t).where(t.c.username == username)).one_or_none()
    return dict(row._mapping) if row else None


def set_disabled(conn: Connection, username: str, at: datetime | None) -> bool:
    """Disable a user from ``at`` (None enables again); False when there is no such user."""
    t = table("app_user")
    result = conn.execute(update(t).where(t.c.username == username).values(disabled_at=at))
    return result.rowcount == 1


def list_users(conn: Connection) -> list[dict]:  # type: ignore[type-arg]
    t = table("app_user")
    return [dict(r._mapping) for r in conn.execute(select(t).order_by(t.c.username))]


def replace_grants(conn: Connection, grants: Iterable[DepartmentGrant]) -> int:
    """Store the departments' field grants (the packaged defaults at ``init``)."""
    t = table("field_grant")
    conn.execute(delete(t))
    rows = [
        {"department": g.department, "field_key": key, "unmasked": key in g.unmasked}
        for g in grants
        for key in sorted(g.read)
    ]
    if rows:
        conn.execute(insert(t), rows)
    return len(rows)


def load_grants(conn: Connection) -> dict[str, DepartmentGrant]:
    """The grants as stored (what an administrator may have changed since ``init``)."""
    t = table("field_grant")
    read: dict[str, set[str]] = {}
    unmasked: dict[str, set[str]] = {}
    for r in conn.execute(select(t)):
        read.setdefault(r.department, set()).add(r.field_key)
        if r.unmasked:
            unmasked.setdefault(r.department, set()).add(r.field_key)
    return {
        d: DepartmentGrant(d, frozenset(keys), frozenset(unmasked.get(d, set())))
        for d, keys in read.items()
    }
