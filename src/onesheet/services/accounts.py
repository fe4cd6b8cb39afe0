"""Accounts for a whole county: bulk import with one-time passwords, the password policy,
the forced change at first sign-in, resets and the account list with the last sign-in.

``import_accounts`` reads a CSV/XLSX (姓名, 手机, 角色, 机构代码, 部门; optional 用户名 — the
phone number otherwise) and checks every row the way ``users.add_user`` checks one (role ↔
org level, a real county department, the org unit exists and is in the administrator's
county) plus a valid mobile number and no repeated or existing username. Any bad row refuses
the whole file, each listed with its row and reason. A clean file is created in one
transaction; each account gets a random one-time password (``domain/passwords``) and must
change it at first sign-in. The passwords go to a file readable by its owner only (0600),
written before the transaction commits and removed if it does not.

One-time passwords are hashed with a light argon2id setting (1 pass, 4 MiB): they are 12
random characters (≈ 68 bits), so the hash's slowness adds nothing, and they are replaced at
first sign-in by a password hashed with the full default. With the default, 600 accounts
would take ten minutes of CPU.
"""

from __future__ import annotations

import csv
import io
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from argon2 import PasswordHasher

from onesheet.domain.access import ROLE_LABELS_ZH, ROLES, Actor
from onesheet.domain.findings import Finding, InvalidInput, finding
from onesheet.domain.org_load import cell_text, find_column
from onesheet.domain.passwords import one_time_password, password_problems
from onesheet.linkage.reading import read_export
from onesheet.services.base import Store, service, utcnow
from onesheet.services.sheet_write import UnknownEntity
from onesheet.services.users import (
    _USERNAME,
    _department_finding,
    _hasher,
    _manages,
    _org_level_finding,
    _password_matches,
    _require_manages,
)
from onesheet.store import accounts as store_accounts
from onesheet.store import audit, sessions

ONE_TIME_HASHER = PasswordHasher(time_cost=1, memory_cost=4096, parallelism=1)
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
NAME_HEADINGS = ("姓名", "name")
PHONE_HEADINGS = ("手机", "手机号", "手机号码", "联系电话", "phone")
ROLE_HEADINGS = ("角色", "role")
ORG_HEADINGS = ("机构代码", "所属机构代码", "区划代码", "org", "org_code")
DEPT_HEADINGS = ("部门", "所属部门", "department")
USERNAME_HEADINGS = ("用户名", "账号", "username")
ROLE_WORDS = {
    "村": "village",
    "村干部": "village",
    "社区": "village",
    "村（社区）干部": "village",
    "村(社区)干部": "village",
    "乡镇": "town",
    "街道": "town",
    "乡镇（街道）工作人员": "town",
    "乡镇工作人员": "town",
    "部门": "department",
    "县级部门": "department",
    "审核员": "reviewer",
    "减负办审核员": "reviewer",
    "数据管理员": "steward",
    "管理员": "admin",
    "系统管理员": "admin",
} | {label: key for key, label in ROLE_LABELS_ZH.items()}


@dataclass(frozen=True)
class ImportedAccounts:
    created: int
    by_role: dict[str, int]
    passwords_file: Path


def _role(text: str) -> str | None:
    t = text.strip()
    if t.lower() in ROLES:
        return t.lower()
    return ROLE_WORDS.get(t)


def _finding(code: str, zh: str, en: str, row: int, file: str | None) -> Finding:
    return Finding(code, zh, en, file=file, row=row)


def _open_private(path: Path) -> int:
    """Create ``path`` readable and writable by its owner only; refuse an existing file."""
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InvalidInput([finding("accounts.out_exists", path=path)]) from None


def _hash_all(passwords: list[str]) -> list[str]:
    """argon2 releases the GIL, so the one-time hashes use every core."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return list(pool.map(ONE_TIME_HASHER.hash, passwords, chunksize=32))


@service("accounts_import", permission="users.manage", audit="users.import")
def import_accounts(
    store: Store,
    actor: Actor,
    data: bytes,
    filename: str | None,
    passwords_out: Path,
) -> ImportedAccounts:
    """Create every account of the file in one transaction, or none (see the module)."""
    if passwords_out.exists():
        _open_private(passwords_out)  # refuses with a finding
    table = read_export(data, filename)
    h = table.headings
    cols = {
        "name": find_column(h, NAME_HEADINGS),
        "phone": find_column(h, PHONE_HEADINGS),
        "role": find_column(h, ROLE_HEADINGS),
        "org": find_column(h, ORG_HEADINGS),
        "dept": find_column(h, DEPT_HEADINGS),
        "user": find_column(h, USERNAME_HEADINGS),
    }
    missing = [k for k in ("name", "phone", "role", "org") if cols[k] is None]
    if missing:
        raise InvalidInput([finding("accounts.headings", file=filename, row=table.first_row - 1)])

    def cell(row: list[object], key: str) -> str:
        i = cols[key]
        return cell_text(row[i]) if i is not None and i < len(row) else ""

    findings: list[Finding] = []
    wanted: list[dict] = []  # type: ignore[type-arg]
    first_row_of: dict[str, int] = {}
    for offset, raw in enumerate(table.rows):
        n = table.first_row + offset
        name, phone = cell(raw, "name"), cell(raw, "phone")
        role_text, org = cell(raw, "role"), cell(raw, "org")
        username = cell(raw, "user") or phone
        row_problems: list[Finding] = []
        if not name:
            row_problems.append(finding("accounts.name", row=n, file=filename))
        if not _MOBILE.match(phone):
            row_problems.append(finding("accounts.phone", phone=phone, row=n, file=filename))
        if not _USERNAME.match(username):
            row_problems.append(
                finding("accounts.username", username=username, row=n, file=filename)
            )
        elif username in first_row_of:
            row_problems.append(
                finding(
                    "accounts.repeated",
                    username=username,
                    first_row_of=first_row_of[username],
                    row=n,
                    file=filename,
                )
            )
        else:
            first_row_of[username] = n
        role = _role(role_text)
        if role is None:
            row_problems.append(
                finding(
                    "accounts.role",
                    role_text=role_text,
                    roles=", ".join(ROLES),
                    row=n,
                    file=filename,
                )
            )
        else:
            dept_key, dept_problems = _department_finding(store, role, cell(raw, "dept"))
            level_problems = _org_level_finding(role, org or None)
            if org and not _manages(actor, org):
                level_problems.append(finding("accounts.scope", org=org))
            for f in dept_problems + level_problems:
                row_problems.append(_finding(f.code, f.message_zh, f.message_en, n, filename))
            wanted.append(
                {
                    "row": n,
                    "username": username,
                    "full_name": name,
                    "phone": phone,
                    "role": role,
                    "org_code": org,
                    "department": dept_key,
                    "ok": not row_problems,
                }
            )
        findings += row_problems
    if not table.rows:
        findings.append(finding("accounts.empty", file=filename))
    written = False
    try:
        with store.transaction() as conn:
            taken = store_accounts.existing_usernames(conn, (w["username"] for w in wanted))
            orgs = store_accounts.org_levels(conn, (w["org_code"] for w in wanted if w["org_code"]))
            for w in wanted:
                if w["username"] in taken:
                    findings.append(
                        finding(
                            "accounts.exists", username=w["username"], row=w["row"], file=filename
                        )
                    )
                if w["ok"] and w["org_code"] and w["org_code"] not in orgs:
                    findings.append(
                        finding("accounts.org", org_code=w["org_code"], row=w["row"], file=filename)
                    )
            if findings:
                raise InvalidInput(sorted(findings, key=lambda f: f.row or 0))
            now = utcnow()
            passwords = [one_time_password() for _ in wanted]
            hashes = _hash_all(passwords)
            store_accounts.insert_accounts(
                conn,
                [
                    {
                        "username": w["username"],
                        "role": w["role"],
                        "org_code": w["org_code"],
                        "department": w["department"],
                        "password_hash": h,
                        "created_at": now,
                        "failed_logins": 0,
                        "full_name": w["full_name"],
                        "phone": w["phone"],
                        "must_change_password": True,
                        "password_set_at": now,
                    }
                    for w, h in zip(wanted, hashes, strict=True)
                ],
            )
            by_role: dict[str, int] = {}
            for w in wanted:
                by_role[w["role"]] = by_role.get(w["role"], 0) + 1
            audit.write_event(
                conn,
                actor,
                "users.import",
                now=now,
                detail=f"{filename or '-'} {len(wanted)} accounts "
                + " ".join(f"{k}={v}" for k, v in sorted(by_role.items())),
            )
            _write_passwords(passwords_out, wanted, passwords, orgs)
            written = True
    except BaseException:
        if written:  # the commit failed: the passwords of accounts that do not exist go too
            passwords_out.unlink(missing_ok=True)
        raise
    return ImportedAccounts(len(wanted), by_role, passwords_out)


def _write_passwords(path: Path, wanted, passwords, orgs) -> None:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(
        ["用户名", "姓名", "手机", "角色", "机构代码", "机构名称", "初始密码（首次登录须修改）"]
    )
    for row, pw in zip(wanted, passwords, strict=True):
        org_name = orgs.get(row["org_code"], ("", ""))[1]
        w.writerow(
            [
                row["username"],
                row["full_name"],
                row["phone"],
                ROLE_LABELS_ZH.get(row["role"], row["role"]),
                row["org_code"],
                org_name,
                pw,
            ]
        )
    fd = _open_private(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
            fh.write(buf.getvalue())
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


# Changing one's own password is open to every role; "fields.read" is the permission every
# role holds (the service itself only ever touches the actor's own account).
@service("accounts_change_password", permission="fields.read", audit="users.password")
def change_own_password(store: Store, actor: Actor, old: str, new: str) -> None:
    """The actor's own password: the old one must match and the new one pass the policy
    and differ from the old; clears the forced change."""
    with store.engine.connect() as conn:
        row = store_accounts.account(conn, actor.username)
    if row is None or not _password_matches(row["password_hash"], old):
        raise InvalidInput([finding("password.old")])
    problems = password_problems(new, actor.username)
    if new == old:
        problems.append(finding("password.same"))
    if problems:
        raise InvalidInput(problems)
    now = utcnow()
    with store.transaction() as conn:
        store_accounts.set_password(
            conn, actor.username, _hasher.hash(new), must_change=False, now=now
        )
        audit.write_event(conn, actor, "users.password", now=now, detail=actor.username)


@service("accounts_reset_password", permission="users.manage", audit="users.reset")
def reset_password(store: Store, actor: Actor, username: str) -> str:
    """A new one-time password for ``username`` (returned once, never stored in clear);
    the account must change it at its next sign-in and its sessions end now."""
    now = utcnow()
    password = one_time_password()
    with store.transaction() as conn:
        row = store_accounts.account(conn, username)
        if row is None:
            raise UnknownEntity(f"用户 {username} 不存在 (no user {username})")
        _require_manages(actor, username, row["org_code"] or None)
        store_accounts.set_password(
            conn, username, ONE_TIME_HASHER.hash(password), must_change=True, now=now
        )
        sessions.delete_sessions_of(conn, username)
        audit.write_event(conn, actor, "users.reset", now=now, detail=username)
    return password


@service("accounts_must_change", permission="fields.read", audit=None)
def must_change_password(store: Store, actor: Actor) -> bool:
    """Whether the actor still has its one-time password (the web asks after sign-in and
    sends it to the change-password page until it is changed)."""
    with store.reading() as conn:
        row = store_accounts.account(conn, actor.username)
    return bool(row and row.get("must_change_password"))


@service("accounts_signed_in", permission="fields.read", audit=None)
def record_sign_in(store: Store, actor: Actor, now: datetime | None = None) -> None:
    """Note the actor's successful sign-in (the account list shows the last one)."""
    with store.transaction() as conn:
        store_accounts.record_sign_in(conn, actor.username, now or utcnow())


@dataclass(frozen=True)
class AccountRow:
    username: str
    full_name: str
    phone: str
    role: str
    org_code: str
    department: str | None
    disabled: bool
    must_change_password: bool
    last_login_at: datetime | None


@service("accounts_list", permission="users.manage", audit=None)
def list_accounts(
    store: Store,
    actor: Actor,
    *,
    role: str | None = None,
    under: str | None = None,
    disabled: bool | None = None,
) -> list[AccountRow]:
    """Accounts the actor manages, filtered by role, org subtree and state, with the last
    sign-in (accounts, not residents: no audit event)."""
    with store.engine.connect() as conn:
        rows = store_accounts.accounts(conn, role=role, under=under, disabled=disabled)
    return [
        AccountRow(
            r["username"],
            r.get("full_name") or "",
            r.get("phone") or "",
            r["role"],
            r["org_code"] or "",
            r["department"],
            r.get("disabled_at") is not None,
            bool(r.get("must_change_password")),
            r.get("last_login_at"),
        )
        for r in rows
        if _manages(actor, r["org_code"] or None)
    ]
