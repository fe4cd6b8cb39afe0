"""User accounts: adding users with argon2-hashed passwords, checking passwords."""

from __future__ import annotations

import functools
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError

from onesheet.domain.access import ROLES, Actor
from onesheet.domain.findings import Finding, InvalidInput
from onesheet.services.base import Store, service, utcnow
from onesheet.store import audit, orgs, users

_hasher = PasswordHasher()
_USERNAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{2,40}$")
MIN_PASSWORD = 8


def _problem(code: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput([Finding(code, zh, en)])


@service("users_add", permission="users.manage", audit="users.add")
def add_user(
    store: Store,
    actor: Actor,
    username: str,
    *,
    role: str,
    org_code: str,
    password: str,
    department: str | None = None,
) -> int:
    """Create a user with a role, an org scope and (for department staff) a department."""
    if not _USERNAME.match(username):
        raise _problem(
            "user.name",
            "用户名须为 2–40 位字母、数字、汉字或 _.-",
            "username must be 2–40 letters, digits, CJK or _.-",
        )
    if role not in ROLES:
        raise _problem(
            "user.role",
            f"未知角色 {role}（可选：{'、'.join(ROLES)}）",
            f"unknown role {role} (one of {', '.join(ROLES)})",
        )
    if role == "department" and department not in store.dictionary.departments:
        raise _problem(
            "user.department",
            f"部门用户须指定已知部门（{department!r} 未知）",
            f"department users need a known department ({department!r} is not)",
        )
    if len(password) < MIN_PASSWORD:
        raise _problem(
            "user.password",
            f"密码至少 {MIN_PASSWORD} 位",
            f"password needs at least {MIN_PASSWORD} characters",
        )
    with store.transaction() as conn:
        if orgs.get_org(conn, org_code) is None:
            raise _problem("user.org", f"机构代码 {org_code} 不存在", f"no org unit {org_code}")
        now = utcnow()
        try:
            user_id = users.insert_user(
                conn,
                username=username,
                role=role,
                org_code=org_code,
                department=department,
                password_hash=_hasher.hash(password),
                now=now,
            )
        except IntegrityError:
            raise _problem(
                "user.exists", f"用户 {username} 已存在", f"user {username} exists"
            ) from None
        audit.write_event(conn, actor, "users.add", now=now, detail=f"{username} {role} {org_code}")
        return user_id


@functools.cache
def _dummy_hash() -> str:
    """A hash no password matches, verified for unknown usernames (made once, on first use)."""
    return _hasher.hash(secrets.token_urlsafe(32))


def password_matches(password_hash: str | None, password: str) -> bool:
    """One argon2 verify; ``None`` (no such user) verifies against a dummy hash, so an
    unknown username costs the same time as a wrong password."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def verify_password(store: Store, username: str, password: str) -> Actor | None:
    """The user's actor when the password matches, else None (no hint which part was wrong)."""
    with store.engine.connect() as conn:
        row = users.get_user(conn, username)
    if not password_matches(row["password_hash"] if row else None, password) or row is None:
        return None
    if row.get("disabled_at") is not None:
        return None
    return Actor(row["username"], row["role"], row["org_code"] or None, row["department"])
