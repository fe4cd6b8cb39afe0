"""Browser sessions, API tokens and login-failure counters.

Only SHA-256 digests of session and API tokens are stored: a leaked database does not let
anyone sign in. Tokens are 256-bit random, so a plain digest (no salt) is enough.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Connection, case, delete, insert, or_, select, update

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


def find_session(conn: Connection, token: str, now: datetime) -> tuple[str, str] | None:
    """(username, csrf token) of a live session, or None."""
    t = table("web_session")
    row = conn.execute(
        select(t.c.username, t.c.csrf_token).where(
            t.c.token_hash == digest(token), t.c.expires_at > now
        )
    ).one_or_none()
    return (row.username, row.csrf_token) if row else None


def delete_session(conn: Connection, token: str) -> None:
    t = table("web_session")
    conn.execute(delete(t).where(t.c.token_hash == digest(token)))


def insert_api_token(conn: Connection, token: str, username: str, label: str, now: datetime) -> int:
    result = conn.execute(
        insert(table("api_token")).values(
            token_hash=digest(token), username=username, label=label, created_at=now
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def find_api_token(conn: Connection, token: str) -> str | None:
    """The username an unrevoked API token belongs to, or None."""
    t = table("api_token")
    return conn.execute(
        select(t.c.username).where(t.c.token_hash == digest(token), t.c.revoked_at.is_(None))
    ).scalar_one_or_none()


def record_failure(
    conn: Connection, username: str, *, max_failures: int, lock_until: datetime
) -> None:
    """Count one failed login in a single UPDATE and lock once the count reaches the limit.

    The count and the lock are worked out by the database from the row as it is when the
    UPDATE runs (``failed_logins + 1``), never from a value read earlier, so concurrent
    failures all count and the one that crosses the limit sets the lock. An unknown
    username matches no row (the same statement runs: no timing hint).
    """
    t = table("app_user")
    conn.execute(
        update(t)
        .where(t.c.username == username)
        .values(
            failed_logins=t.c.failed_logins + 1,
            locked_until=case(
                (t.c.failed_logins + 1 >= max_failures, lock_until), else_=t.c.locked_until
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
