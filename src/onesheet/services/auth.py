"""Signing in: password logins with lock-out, server-side sessions, API tokens.

These run before there is an actor, so they are not ``@service`` use cases (the contract
test lists them as deliberate exceptions); issuing an API token is, and needs an admin.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from onesheet.domain.access import Actor
from onesheet.domain.findings import Finding, InvalidInput
from onesheet.services.base import Store, service, utcnow
from onesheet.services.sheet_write import UnknownEntity
from onesheet.services.users import _manages, _password_matches, _require_manages
from onesheet.store import audit, sessions, users
from onesheet.store.audit_spool import LockBusy

MAX_FAILURES = 5
LOCK_MINUTES = 15
SESSION_HOURS = 12
TOKEN_DAYS = 90  # an API token's validity unless the admin says otherwise
MAX_TOKEN_DAYS = 730
MAX_LABEL = 200
LAST_USED_EVERY = timedelta(minutes=1)  # a token's last use is written at most this often
NOTE_USE_WAIT_MS = 100  # SQLite: how long noting a token's use may wait for the write lock


class UnknownToken(UnknownEntity):
    """No API token with that id (the web answers 404)."""


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
    matches = _password_matches(row["password_hash"] if row else None, password)
    if not matches:
        with store.transaction() as conn:  # kept even though the login is refused
            sessions.record_failure(
                conn,
                username,
                max_failures=MAX_FAILURES,
                lock_until=now + timedelta(minutes=LOCK_MINUTES),
                now=now,
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


class Session(NamedTuple):
    """A live session: who it acts for, its CSRF token, and whether its user must still
    replace a one-time password (the web sends such a user to the password page)."""

    actor: Actor
    csrf: str
    must_change_password: bool


def session_actor(store: Store, token: str) -> Session | None:
    """The actor and CSRF token of a live session cookie of an enabled user, or None.

    Session and user are read in one statement: this runs on every signed-in request."""
    with store.looking_up() as conn:
        found = sessions.session_user(conn, token, utcnow())
    if found is None or found.csrf is None:
        return None
    return Session(_actor_of(found), found.csrf, found.must_change_password)


def logout(store: Store, token: str) -> None:
    """End a session (the cookie stops working at once)."""
    with store.transaction() as conn:
        sessions.delete_session(conn, token)


def token_actor(store: Store, token: str) -> Actor | None:
    """The actor of an API token (a department system acts as the user it was issued to).

    Refused (None) when the token is unknown, revoked or expired, or its user is disabled or
    gone. Its last use is written at most once a minute (``LAST_USED_EVERY``), so a busy
    system does not write on every request; on SQLite, while another write (an import's)
    holds the lock, it is left to a later request rather than make this one wait: the
    time is a hint to whoever reviews tokens, never a check.
    """
    now = utcnow()
    with store.looking_up() as conn:
        found = sessions.token_user(conn, token, now)
    if found is None or found.token_id is None:
        return None
    if found.last_used_at is None or found.last_used_at <= now - LAST_USED_EVERY:
        with contextlib.suppress(LockBusy), store.transaction(wait_ms=NOTE_USE_WAIT_MS) as conn:
            sessions.note_token_use(conn, found.token_id, now, LAST_USED_EVERY)
    return _actor_of(found)


def _actor_of(user: sessions.SignedInUser) -> Actor:
    return Actor(user.username, user.role, user.org_code or None, user.department)


@dataclass(frozen=True)
class TokenInfo:
    """An API token as the admin pages and ``onesheet tokens list`` show it (never the
    secret, never its digest)."""

    id: int
    label: str
    username: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    status: str  # active | expired | revoked


def _info(row: dict, now: datetime) -> TokenInfo:  # type: ignore[type-arg]
    if row["revoked_at"] is not None:
        status = "revoked"
    elif row["expires_at"] is None or row["expires_at"] <= now:
        status = "expired"
    else:
        status = "active"
    return TokenInfo(
        row["id"],
        row["label"],
        row["username"],
        row["created_at"],
        row["expires_at"],
        row["last_used_at"],
        row["revoked_at"],
        status,
    )


def _token_problem(code: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput([Finding(f"token.{code}", zh, en)])


@service("tokens_issue", permission="users.manage", audit="tokens.issue")
def issue_api_token(
    store: Store, actor: Actor, username: str, label: str = "", *, days: int = TOKEN_DAYS
) -> str:
    """A new API token for ``username``'s system, valid for ``days`` (default 90); shown
    once, stored only as a digest. The token acts with its user's role and scope."""
    label = label.strip()
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise _token_problem(
            "days",
            f"有效期须为 1–{MAX_TOKEN_DAYS} 天（{days} 不符）",
            f"validity must be 1–{MAX_TOKEN_DAYS} days ({days} is not)",
        )
    if len(label) > MAX_LABEL:
        raise _token_problem(
            "label", f"说明最多 {MAX_LABEL} 个字符", f"label is at most {MAX_LABEL} characters"
        )
    with store.transaction() as conn:
        holder = _actor(conn, username)
        if holder is None:
            raise _token_problem(
                "user",
                f"用户 {username} 不存在或已停用",
                f"no user {username}, or the user is disabled",
            )
        _require_manages(actor, username, holder.org_code)  # a county admin: its county only
        token = "os_" + secrets.token_urlsafe(32)
        now = utcnow()
        expires = now + timedelta(days=days)
        token_id = sessions.insert_api_token(conn, token, username, label, now, expires)
        audit.write_event(
            conn,
            actor,
            "tokens.issue",
            now=now,
            detail=f"{token_id} {username} {label} expires={expires:%Y-%m-%d}",
        )
    return token


@service("tokens_list", permission="users.manage", audit=None)
def list_api_tokens(store: Store, actor: Actor) -> list[TokenInfo]:
    """Every API token of the accounts the actor manages, newest first: label, user,
    issued, expires, last used, revoked (a county admin sees its county's users' tokens)."""
    now = utcnow()
    with store.engine.connect() as conn:
        rows = sessions.list_api_tokens(conn)
    return [_info(r, now) for r in rows if _manages(actor, r["user_org"] or None)]


@service("tokens_revoke", permission="users.manage", audit="tokens.revoke")
def revoke_api_token(store: Store, actor: Actor, token_id: int) -> TokenInfo:
    """Revoke a token: it is refused from the next request on."""
    now = utcnow()
    with store.transaction() as conn:
        row = sessions.get_api_token(conn, token_id)
        if row is None:
            raise UnknownToken(f"没有编号为 {token_id} 的令牌 (no token {token_id})")
        _require_manages(actor, row["username"], row["user_org"] or None)
        if not sessions.revoke_api_token(conn, token_id, now):
            raise _token_problem(
                "revoked", f"令牌 {token_id} 已被吊销", f"token {token_id} is already revoked"
            )
        audit.write_event(
            conn,
            actor,
            "tokens.revoke",
            now=now,
            detail=f"{token_id} {row['username']} {row['label']}",
        )
        row["revoked_at"] = now
    return _info(row, now)


def _actor(conn, username: str) -> Actor | None:  # type: ignore[no-untyped-def]
    row = users.get_user(conn, username)
    if row is None or row.get("disabled_at") is not None:
        return None
    return Actor(row["username"], row["role"], row["org_code"] or None, row["department"])
