"""User accounts: adding users with argon2-hashed passwords, checking passwords."""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from onesheet.domain.access import ROLES, AccessDenied, Actor
from onesheet.domain.findings import Finding, InvalidInput, finding, refuse
from onesheet.services.base import Store, service, utcnow
from onesheet.services.sheet_write import UnknownEntity
from onesheet.store import audit, orgs, sessions, users
from onesheet.store.db import IntegrityError

_hasher = PasswordHasher()
_USERNAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{2,40}$")
MIN_PASSWORD = 8


def _manages(actor: Actor, user_org: str | None) -> bool:
    """Whether an administrator may manage an account rooted at ``user_org``: one without
    an org (the installation's) manages every account; a county administrator only the
    accounts inside its county, never installation-wide ones."""
    return actor.org_code is None or bool(user_org and user_org.startswith(actor.org_code))


def _require_manages(actor: Actor, username: str, user_org: str | None) -> None:
    if not _manages(actor, user_org):
        raise AccessDenied(
            f"用户 {username} 不在您的管辖范围内",
            f"user {username} is outside {actor.username}'s scope",
        )


# The org level each role's scope is rooted at (its org code's length), None = the whole
# installation. Department staff and reviewers work county-wide, never for one village.
ROLE_LEVELS: dict[str, tuple[str | None, ...]] = {
    "village": ("village",),
    "town": ("town",),
    "department": ("county",),
    "reviewer": ("county",),
    "steward": ("county",),  # 数据管理员: the county's fields
    "admin": ("county", None),
}
LEVEL_DIGITS = {"county": 6, "town": 9, "village": 12}
LEVEL_WORDS = {
    "county": ("县", "county"),
    "town": ("乡镇（街道）", "town"),
    "village": ("村（社区）", "village"),
}
# Department keys that are sources of values, not county departments a person can work for:
# ``village`` is what cadres record themselves, and its grant is every field.
NOT_USER_DEPARTMENTS = frozenset({"village"})


def _department_finding(
    store: Store, role: str, department: str | None
) -> tuple[str | None, list[Finding]]:
    """(the department key to store, findings) for ``role`` and the given wording."""
    wording = (department or "").strip()
    if role != "department":
        if wording:
            return None, [
                Finding(
                    "user.department",
                    f"只有部门用户可指定部门（角色 {role} 不应指定 {wording}）",
                    f"only department users have a department (role {role} may not name {wording})",
                )
            ]
        return None, []
    key = store.dictionary.department_key(wording) if wording else None
    if key is None or key in NOT_USER_DEPARTMENTS:
        known = [d for d in store.dictionary.departments if d not in NOT_USER_DEPARTMENTS]
        why_zh = "未指定" if not wording else f"“{wording}”不是县级部门"
        why_en = "none given" if not wording else f"{wording!r} is not a county department"
        return None, [
            Finding(
                "user.department",
                f"部门用户须指定县级部门（{why_zh}；可选：{'、'.join(known)}）",
                f"department users need a county department ({why_en}; one of {', '.join(known)})",
            )
        ]
    return key, []


def _org_level_finding(role: str, org_code: str | None) -> list[Finding]:
    """A finding when ``org_code``'s level does not fit ``role`` (judged by its length)."""
    allowed = ROLE_LEVELS.get(role, ())
    code = org_code or None
    if code is None and None in allowed:
        return []
    level = next((lv for lv, n in LEVEL_DIGITS.items() if code and len(code) == n), None)
    if code is not None and code.isdigit() and level in allowed:
        return []
    wanted_zh = "或".join(
        f"{LEVEL_WORDS[lv][0]}代码（{LEVEL_DIGITS[lv]} 位）" if lv else "不指定机构"
        for lv in allowed
    )
    wanted_en = " or ".join(
        f"a {LEVEL_WORDS[lv][1]} code ({LEVEL_DIGITS[lv]} digits)" if lv else "no org"
        for lv in allowed
    )
    return [
        finding(
            "user.org_level",
            role=role,
            wanted_zh=wanted_zh,
            code=code or "（未指定）",
            wanted_en=wanted_en,
            code_en=code or "(none)",
        )
    ]


@service("users_add", permission="users.manage", audit="users.add")
def add_user(
    store: Store,
    actor: Actor,
    username: str,
    *,
    role: str,
    org_code: str | None,
    password: str,
    department: str | None = None,
) -> int:
    """Create a user with a role, an org scope and (for department staff) a department.

    Refused with every finding at once unless the role is known, a department user names a
    county department (by key or wording; stored as its key) and nobody else names one,
    the org code's level fits the role (village 12 digits, town 9, department and reviewer
    the county's 6, admin the county or none) and the org unit exists.
    """
    findings: list[Finding] = []
    if not _USERNAME.match(username):
        findings.append(finding("user.name"))
    if role not in ROLES:
        refuse("user.role", role=role, roles="、".join(ROLES), roles_en=", ".join(ROLES))
    department_key, problems = _department_finding(store, role, department)
    findings += problems
    org_code = (org_code or "").strip() or None
    _require_manages(actor, username, org_code)  # a county admin adds users in its county
    level_problems = _org_level_finding(role, org_code)
    findings += level_problems
    if len(password) < MIN_PASSWORD:
        findings.append(finding("user.password", min_password=MIN_PASSWORD))
    with store.transaction() as conn:
        if org_code is not None and not level_problems and orgs.get_org(conn, org_code) is None:
            findings.append(finding("user.org", org_code=org_code))
        if findings:
            raise InvalidInput(findings)
        now = utcnow()
        try:
            user_id = users.insert_user(
                conn,
                username=username,
                role=role,
                org_code=org_code or "",
                department=department_key,
                password_hash=_hasher.hash(password),
                now=now,
            )
        except IntegrityError:
            raise InvalidInput([finding("user.exists", username=username)]) from None
        audit.write_event(
            conn, actor, "users.add", now=now, detail=f"{username} {role} {org_code or '-'}"
        )
        return user_id


@dataclass(frozen=True)
class UserInfo:
    """An account as the admin sees it (never its password hash)."""

    username: str
    role: str
    org_code: str | None
    department: str | None
    disabled: bool


@service("users_list", permission="users.manage", audit=None)
def list_users(store: Store, actor: Actor) -> list[UserInfo]:
    """Every account the actor manages, by username (accounts, not residents: no audit
    event)."""
    with store.engine.connect() as conn:
        rows = [r for r in users.list_users(conn) if _manages(actor, r["org_code"] or None)]
    return [
        UserInfo(
            r["username"],
            r["role"],
            r["org_code"] or None,
            r["department"],
            r.get("disabled_at") is not None,
        )
        for r in rows
    ]


def _existing_in_scope(conn, actor: Actor, username: str) -> None:  # type: ignore[no-untyped-def]
    row = users.get_user(conn, username)
    if row is None:
        raise UnknownEntity(f"用户 {username} 不存在 (no user {username})")
    _require_manages(actor, username, row["org_code"] or None)


@service("users_disable", permission="users.manage", audit="users.disable")
def disable_user(store: Store, actor: Actor, username: str) -> None:
    """Disable a user: no sign-in, sessions ended at once, API tokens refused (kept, so
    the audit trail and the token list still name them)."""
    now = utcnow()
    with store.transaction() as conn:
        _existing_in_scope(conn, actor, username)
        users.set_disabled(conn, username, now)
        sessions.delete_sessions_of(conn, username)
        audit.write_event(conn, actor, "users.disable", now=now, detail=username)


@service("users_enable", permission="users.manage", audit="users.enable")
def enable_user(store: Store, actor: Actor, username: str) -> None:
    """Enable a disabled user again (its unexpired, unrevoked tokens work again)."""
    now = utcnow()
    with store.transaction() as conn:
        _existing_in_scope(conn, actor, username)
        users.set_disabled(conn, username, None)
        audit.write_event(conn, actor, "users.enable", now=now, detail=username)


@functools.cache
def _dummy_hash() -> str:
    """A hash no password matches, verified for unknown usernames (made once, on first use)."""
    return _hasher.hash(secrets.token_urlsafe(32))


def _password_matches(password_hash: str | None, password: str) -> bool:
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
    if not _password_matches(row["password_hash"] if row else None, password) or row is None:
        return None
    if row.get("disabled_at") is not None:
        return None
    return Actor(row["username"], row["role"], row["org_code"] or None, row["department"])
