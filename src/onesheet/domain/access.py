"""Who may do what, and see which fields (个人信息保护法: the minimum necessary).

A policy written down in one place, Datasette-style: each service names the permission it
needs; anything not granted is denied. Field visibility is decided per actor and field:
``hidden`` (not returned at all), ``masked`` (ID numbers and phones partly hidden) or
``full``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from onesheet.domain.dictionary import Field
from onesheet.domain.grants import DepartmentGrant

Role = Literal["village", "town", "department", "reviewer", "steward", "admin"]
ROLES: tuple[str, ...] = ("village", "town", "department", "reviewer", "steward", "admin")
ROLE_LABELS_ZH = {
    "village": "村（社区）干部",
    "town": "乡镇（街道）工作人员",
    "department": "县级部门",
    "reviewer": "减负办审核员",
    "steward": "数据管理员",
    "admin": "系统管理员",
}
Visibility = Literal["hidden", "masked", "full"]

# permission → roles that hold it. Unlisted permissions are denied to everyone.
PERMISSIONS: dict[str, frozenset[str]] = {
    "fields.read": frozenset(ROLES),
    # 数据管理员 (data steward): confirms a draft field's definition so it can join the
    # county's dictionary when its form is approved; reviewers and the administrator may too.
    "fields.manage": frozenset({"steward", "reviewer", "admin"}),
    "orgs.read": frozenset(ROLES),
    "sheet.read": frozenset({"village", "town", "department", "admin"}),
    "sheet.write": frozenset({"village", "town", "admin"}),
    "sheet.settle": frozenset({"village", "town", "admin"}),
    "sheet.rebuild": frozenset({"admin"}),
    "sheet.export": frozenset({"admin"}),
    "seed.run": frozenset({"admin"}),
    "users.manage": frozenset({"admin"}),
    "audit.read": frozenset({"admin"}),
    "forms.read": frozenset(ROLES),
    "forms.import": frozenset({"department", "admin"}),
    "forms.map": frozenset({"department", "admin"}),
    "forms.submit": frozenset({"department", "admin"}),
    "forms.review": frozenset({"reviewer", "department", "admin"}),
    "forms.decide": frozenset({"reviewer", "admin"}),
    "lists.manage": frozenset({"admin"}),
    "reports.run": frozenset({"village", "town", "department", "admin"}),
    "reports.history": frozenset({"town", "department", "reviewer", "admin"}),
    "data.import": frozenset({"department", "town", "admin"}),
    "link.review": frozenset({"village", "town", "admin"}),
    "link.dedupe": frozenset({"admin"}),
    "tasks.read": frozenset({"village", "town", "department", "admin"}),
    "tasks.fill": frozenset({"village", "town", "admin"}),
    "feedback.submit": frozenset({"village", "town"}),
    "feedback.read": frozenset(ROLES),
    "feedback.handle": frozenset({"town", "reviewer", "admin"}),
    # demands on villages (涉村事项): meetings, inspections, apps, groups, signs, letters
    "demands.read": frozenset(ROLES),
    "demands.register": frozenset({"department", "admin"}),
    "demands.review": frozenset({"reviewer", "department", "admin"}),
    "demands.decide": frozenset({"reviewer", "admin"}),
    "demands.flag": frozenset({"village", "town"}),
    # subsidies from the sheet (惠民补贴 一键认定): a department defines and submits its rule,
    # the Gate decides it, whoever may read the people runs it in scope, the department
    # confirms a run or loads its existing roster
    "eligibility.read": frozenset(ROLES),
    "eligibility.define": frozenset({"department", "admin"}),
    "eligibility.decide": frozenset({"reviewer", "admin"}),
    "eligibility.run": frozenset({"village", "town", "department", "admin"}),
    "eligibility.enrol": frozenset({"department", "admin"}),
    "eligibility.ledger": frozenset({"town", "department", "reviewer", "admin"}),
    # proof from data (数据代证明): asked in scope for a named matter; verifying needs no scope
    "proofs.ask": frozenset({"village", "town", "department", "admin"}),
    "proofs.verify": frozenset(ROLES),
}


class AccessDenied(Exception):
    """The actor lacks a permission, or asked for something outside its scope."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en


@dataclass(frozen=True)
class Actor:
    """Whoever calls a service: a person, an API client, or the local operator's CLI.

    ``org_code`` is the root of the actor's subtree; ``None`` means the whole installation
    (only the local administrator has that).
    """

    username: str
    role: str
    org_code: str | None
    department: str | None = None

    @property
    def county_code(self) -> str | None:
        return self.org_code[:6] if self.org_code else None


CLI_ADMIN = Actor(username="cli", role="admin", org_code=None)


def require(actor: Actor, permission: str) -> None:
    """Raise AccessDenied unless ``actor``'s role holds ``permission``."""
    if actor.role not in PERMISSIONS.get(permission, frozenset()):
        raise AccessDenied(
            f"{ROLE_LABELS_ZH.get(actor.role, actor.role)}无权执行此操作（{permission}）",
            f"role {actor.role} may not {permission}",
        )


def org_in_scope(actor: Actor, org_code: str) -> bool:
    """Whether ``org_code`` lies in the actor's subtree (codes nest by prefix)."""
    return actor.org_code is None or org_code.startswith(actor.org_code)


def require_org(actor: Actor, org_code: str) -> None:
    """Raise AccessDenied when ``org_code`` is outside the actor's subtree."""
    if not org_in_scope(actor, org_code):
        raise AccessDenied(
            f"{org_code} 不在您的管辖范围内", f"{org_code} is outside {actor.username}'s scope"
        )


def field_visibility(
    actor: Actor, field: Field, grants: Mapping[str, DepartmentGrant]
) -> Visibility:
    """How much of ``field`` the actor may see."""
    if actor.role == "admin":
        return "full"
    if actor.role in ("village", "town"):
        return "masked" if field.mask else "full"
    if actor.role == "department":
        grant = grants.get(actor.department or "")
        if grant is None or field.key not in grant.read:
            return "hidden"
        return "full" if (field.key in grant.unmasked or not field.mask) else "masked"
    return "full" if field.sensitivity == "general" else "hidden"
