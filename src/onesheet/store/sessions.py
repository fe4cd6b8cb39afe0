"""Browser sessions, API tokens and login-failure counters.

Only SHA-256 digests of session and API tokens are stored: a leaked database does not let
anyone sign in. Tokens are 256-bit random, so a plain digest (no salt) is enough.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Connection, and_, bindparam, case, delete, insert, or_, select, update

from onesheet.store.schema import table


def digest(token: str) -> str:
    """The stored form of a secret token."""
    return hashlib.sha256(token.encode()).hexdigest()


def insert_session(
    conn: Connection, token: str, username: str, csrf: str, now: datetime, expires: datetime
) -> None:
    conn.execute(
        insert(table("web_session")).values(
            token_hash=digest(token),
            username=username,
            csrf_token=csrf,
            created_at=now,
            expires_at=expires,
        )
    )


@dataclass(frozen=True)
class SignedInUser:
    """Who a live session or API token acts for, read with the credential in one statement:
    the user's role, org and department, and whether it still has a one-time password."""

    username: str
    role: str
    org_code: str | None
    department: str | None
    must_change_password: bool
    csrf: str | None  # the session's CSRF token; None for an API token
    token_id: int | None  # the API token's id; None for a session
    last_used_at: datetime | None  # the API token's last use


def _user_columns():  # type: ignore[no-untyped-def]
    u = table("app_user")
    return (u, [u.c.username, u.c.role, u.c.org_code, u.c.department, u.c.must_change_password])


def _signed_in(  # type: ignore[no-untyped-def]
    row,
    *,
    csrf: str | None = None,
    token_id: int | None = None,
    last_used_at: datetime | None = None,
) -> SignedInUser:
    return SignedInUser(
        row.username, row.role, row.org_code, row.department,
        bool(row.must_change_password), csrf, token_id, last_used_at,
    )  # fmt: skip


def session_user(conn: Connection, token: str, now: datetime) -> SignedInUser | None:
    """The enabled user of a live session, with its CSRF token, or None (one statement on
    every signed-in request instead of one for the session and one for its user)."""
    row = conn.execute(_session_query(), {"token_hash": digest(token), "now": now}).one_or_none()
    return _signed_in(row, csrf=row.csrf_token) if row else None


@cache
def _session_query():  # type: ignore[no-untyped-def]
    """Built once: it runs on every request, and building costs more than running."""
    t = table("web_session")
    u, cols = _user_columns()
    return (
        select(*cols, t.c.csrf_token)
        .join(u, u.c.username == t.c.username)
        .where(
            t.c.token_hash == bindparam("token_hash"),
            t.c.expires_at > bindparam("now"),
            u.c.disabled_at.is_(None),
        )
    )


def token_user(conn: Connection, token: str, now: datetime) -> SignedInUser | None:
    """The enabled user of an API token that is neither revoked nor expired, or None."""
    t = table("api_token")
    u, cols = _user_columns()
    row = conn.execute(
        select(*cols, t.c.id, t.c.last_used_at)
        .join(u, u.c.username == t.c.username)
        .where(
            t.c.token_hash == digest(token),
            t.c.revoked_at.is_(None),
            t.c.expires_at > now,
            u.c.disabled_at.is_(None),
        )
    ).one_or_none()
    return _signed_in(row, token_id=row.id, last_used_at=row.last_used_at) if row else None


def delete_session(conn: Connection, token: str) -> None:
    t = table("web_session")
    conn.execute(delete(t).where(t.c.token_hash == digest(token)))


def delete_sessions_of(conn: Connection, username: str) -> int:
    """End every session of a user (disabled: signed out at once)."""
    t = table("web_session")
    return conn.execute(delete(t).where(t.c.username == username)).rowcount


def insert_api_token(
    conn: Connection, token: str, username: str, label: str, now: datetime, expires: datetime
) -> int:
    result = conn.execute(
        insert(table("api_token")).values(
            token_hash=digest(token),
            username=username,
            label=label,
            created_at=now,
            expires_at=expires,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def note_token_use(conn: Connection, token_id: int, now: datetime, every: timedelta) -> None:
    """Set the token's last use to ``now`` unless it was set less than ``every`` ago (the
    WHERE keeps concurrent requests from writing more than once)."""
    t = table("api_token")
    conn.execute(
        update(t)
        .where(
            t.c.id == token_id,
            or_(t.c.last_used_at.is_(None), t.c.last_used_at <= now - every),
        )
        .values(last_used_at=now)
    )


def _token_query():  # type: ignore[no-untyped-def]
    """Token columns (never the digest) plus its user's org code (``user_org``; None when
    the user is gone)."""
    t, u = table("api_token"), table("app_user")
    cols = [c for c in t.c if c.name != "token_hash"]
    return select(*cols, u.c.org_code.label("user_org")).outerjoin(u, u.c.username == t.c.username)


def list_api_tokens(conn: Connection) -> list[dict]:  # type: ignore[type-arg]
    """Every token, newest first, without its digest, with its user's org code."""
    t = table("api_token")
    return [dict(r._mapping) for r in conn.execute(_token_query().order_by(t.c.id.desc()))]


def get_api_token(conn: Connection, token_id: int) -> dict | None:  # type: ignore[type-arg]
    t = table("api_token")
    row = conn.execute(_token_query().where(t.c.id == token_id)).one_or_none()
    return dict(row._mapping) if row else None


def revoke_api_token(conn: Connection, token_id: int, now: datetime) -> bool:
    """Revoke a token; False when there is no such token or it was revoked already."""
    t = table("api_token")
    result = conn.execute(
        update(t).where(t.c.id == token_id, t.c.revoked_at.is_(None)).values(revoked_at=now)
    )
    return result.rowcount == 1


def record_failure(
    conn: Connection, username: str, *, max_failures: int, lock_until: datetime, now: datetime
) -> None:
    """Count one failed login in a single UPDATE and lock once the count reaches the limit.

    The count and the lock are worked out by the database from the row as it is when the
    UPDATE runs (``failed_logins + 1``), never from a value read earlier, so concurrent
    failures all count and the one that crosses the limit sets the lock. A lock that has
    run out starts the count again, so one wrong password after it does not lock at once.
    An unknown username matches no row (the same statement runs: no timing hint).
    """
    t = table("app_user")
    expired = and_(t.c.locked_until.is_not(None), t.c.locked_until <= now)
    count = case((expired, 1), else_=t.c.failed_logins + 1)
    conn.execute(
        update(t)
        .where(t.c.username == username)
        .values(
            failed_logins=count,
            locked_until=case(
                (count >= max_failures, lock_until), (expired, None), else_=t.c.locked_until
            ),
        )
    )


def reset_failures(conn: Connection, username: str, now: datetime) -> bool:
    """Clear the failure count after a good password, unless the account is locked by now.

    Returns False (nothing changed) when a concurrent failure locked the account after the
    caller looked: the login must then be refused.
    """
    t = table("app_user")
    result = conn.execute(
        update(t)
        .where(
            t.c.username == username,
            or_(t.c.locked_until.is_(None), t.c.locked_until <= now),
        )
        .values(failed_logins=0, locked_until=None)
    )
    return result.rowcount == 1
