"""Browser sessions, API tokens and login-failure counters.

Only SHA-256 digests of session and API tokens are stored: a leaked database does not let
anyone sign in. Tokens are 256-bit random, so a plain digest (no salt) is enough.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

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


def record_failure(conn: Connection, username: str, locked_until: datetime | None) -> None:
    t = table("app_user")
    conn.execute(
        update(t)
        .where(t.c.username == username)
        .values(failed_logins=t.c.failed_logins + 1, locked_until=locked_until)
    )


def reset_failures(conn: Connection, username: str) -> None:
    t = table("app_user")
    conn.execute(
        update(t).where(t.c.username == username).values(failed_logins=0, locked_until=None)
    )
