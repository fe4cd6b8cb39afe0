"""``onesheet users import | accounts | reset``: a whole county's accounts at once."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from onesheet.cli.common import actor, console, fail, friendly_errors, open_store, print_json
from onesheet.domain.access import ROLE_LABELS_ZH
from onesheet.services import accounts


def import_command(
    file: Annotated[Path, typer.Argument(help="账号表 CSV/XLSX：姓名、手机、角色、机构代码、部门")],
    passwords_out: Annotated[
        Path,
        typer.Option(
            "--passwords-out", help="初始密码写入此文件（仅本人可读 0600，不覆盖已有文件）"
        ),
    ],
) -> None:
    """批量创建账号：一次性初始密码，首次登录须修改；有错行则全部不写入 (import accounts)."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"无法读取文件 {file}：{exc.strerror}")
    with friendly_errors():
        result = accounts.import_accounts(open_store(), actor(), data, file.name, passwords_out)
    roles = "，".join(f"{ROLE_LABELS_ZH.get(k, k)} {v}" for k, v in sorted(result.by_role.items()))
    console.print(f"已创建 {result.created} 个账号（{roles}）")
    console.print(f"初始密码已写入 {result.passwords_file}（仅本人可读；分发后请删除）")


def accounts_command(
    role: Annotated[str | None, typer.Option(help="只列出该角色")] = None,
    under: Annotated[str | None, typer.Option(help="只列出该机构及下级的账号")] = None,
    disabled: Annotated[bool | None, typer.Option("--disabled/--enabled", help="按状态")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """列出账号：角色、机构、状态、最近登录 (list accounts)."""
    with friendly_errors():
        rows = accounts.list_accounts(
            open_store(), actor(), role=role, under=under, disabled=disabled
        )
    if as_json:
        print_json([r.__dict__ for r in rows])
        return
    table = Table("用户名", "姓名", "角色", "机构", "状态", "最近登录")
    for r in rows:
        state = "已停用" if r.disabled else "待改密" if r.must_change_password else "正常"
        last = r.last_login_at.strftime("%Y-%m-%d %H:%M") if r.last_login_at else "从未"
        table.add_row(r.username, r.full_name, r.role, r.org_code, state, last)
    console.print(table)
    console.print(f"共 {len(rows)} 个账号")


def reset_command(
    name: Annotated[str, typer.Argument(help="用户名")],
    password_out: Annotated[
        Path, typer.Option("--password-out", help="新的一次性密码写入此文件（0600）")
    ],
) -> None:
    """重置密码：生成一次性密码，下次登录须修改，现有会话结束 (reset a password)."""
    try:
        fd = os.open(password_out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fail(f"{password_out} 已存在，不会覆盖")
    try:
        with friendly_errors():
            password = accounts.reset_password(open_store(), actor(), name)
    except BaseException:
        os.close(fd)
        password_out.unlink(missing_ok=True)
        raise
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(password + "\n")
    console.print(f"已重置 {name} 的密码，一次性密码已写入 {password_out}")
