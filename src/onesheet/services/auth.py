"""Signing in: password logins with lock-out, server-side sessions, API tokens.

These run before there is an actor, so they are not ``@service`` use cases (the contract
test lists them as deliberate exceptions); issuing an API token is, and needs an admin.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from onesheet.domain.access import Actor
from onesheet.domain.findings import Finding, InvalidInput
from onesheet.services.base import Store, service, utcnow
from onesheet.services.users import password_matches
from onesheet.store import audit, sessions, users

MAX_FAILURES = 5
LOCK_MINUTES = 15
SESSION_HOURS = 12


@dataclass(frozen=True)
class Ticket:
    """A new session: the cookie value, its CSRF token and who it is."""

    token: str
    csrf: str
    actor: Actor


class LoginRefused(Exception):
    """Wrong name or password, or the account is locked or disabled.

    Every refusal carries the same message, so an answer never tells whether a username
    exists, is locked, or only had the wrong password.
    """

    def __init__(self, message_zh: str = "", message_en: str = "") -> None:
        message_zh = message_zh or REFUSED_ZH
        message_en = message_en or REFUSED_EN
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en


REFUSED_ZH = f"用户名或密码错误；连续失败 {MAX_FAILURES} 次后账号将锁定 {LOCK_MINUTES} 分钟"
REFUSED_EN = (
    f"wrong username or password; {MAX_FAILURES} failures in a row lock the account "
    f"for {LOCK_MINUTES} minutes"
)


def login(store: Store, username: str, password: str, *, now: datetime | None = None) -> Ticket:
    """Check the password and open a session; count failures and lock after too many.

    Every attempt costs one argon2 verify (against a dummy hash for an unknown name) and
    every refusal reads the same, whether the name is unknown, locked, disabled or only
    the password was wrong. Failures are counted by one atomic UPDATE in their own
    transaction (``sessions.record_failure``), so parallel guesses all count.
    """
    now = now or utcnow()
    with store.engine.connect() as conn:
        row = users.get_user(conn, username)
    matches = password_matches(row["password_hash"] if row else None, password)
    if not matches:
        with store.transaction() as conn:  # kept even though the login is refused
            sessions.record_failure(
                conn,
                username,
                max_failures=MAX_FAILURES,
                lock_until=now + timedelta(minutes=LOCK_MINUTES),
            )
        raise LoginRefused
    assert row is not None  # a dummy hash never matches
    locked = row["locked_until"] is not None and row["locked_until"] > now
    if locked or row.get("disabled_at") is not None:
        raise LoginRefused
    actor = Actor(row["username"], row["role"], row["org_code"] or None, row["department"])
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with store.transaction() as conn:
        if not sessions.reset_failures(conn, username, now):
            raise LoginRefused  # locked by a concurrent failure since the row was read
        sessions.insert_session(
            conn, token, username, csrf, now, now + timedelta(hours=SESSION_HOURS)
        )
        audit.write_event(conn, actor, "auth.login", now=now)
    return Ticket(token, csrf, actor)


def session_actor(store: Store, token: str) -> tuple[Actor, str] | None:
    """The actor and CSRF token of a live session cookie, or None."""
    with store.engine.connect() as conn:
        found = sessions.find_session(conn, token, utcnow())
        actor = _actor(conn, found[0]) if found else None
    return (actor, found[1]) if actor and found else None


def logout(store: Store, token: str) -> None:
    """End a session (the cookie stops working at once)."""
    with store.transaction() as conn:
        sessions.delete_session(conn, token)


def token_actor(store: Store, token: str) -> Actor | None:
    """The actor of an API token (a department system acts as the user it was issued to)."""
    with store.engine.connect() as conn:
        username = sessions.find_api_token(conn, token)
        return _actor(conn, username) if username else None


@service("tokens_issue", permission="users.manage", audit="tokens.issue")
def issue_api_token(store: Store, actor: Actor, username: str, label: str = "") -> str:
    """A new API token for ``username``'s system; shown once, stored only as a digest."""
    with store.transaction() as conn:
        if users.get_user(conn, username) is None:
            raise InvalidInput(
                [Finding("token.user", f"用户 {username} 不存在", f"no user {username}")]
            )
        token = "os_" + secrets.token_urlsafe(32)
        now = utcnow()
        sessions.insert_api_token(conn, token, username, label, now)
        audit.write_event(conn, actor, "tokens.issue", now=now, detail=f"{username} {label}")
    return token


def _actor(conn, username: str) -> Actor | None:  # type: ignore[no-untyped-def]
    row = users.get_user(conn, username)
    if row is None or row.get("disabled_at") is not None:
        return None
    return Actor(row["username"], row["role"], row["org_code"] or None, row["department"])
