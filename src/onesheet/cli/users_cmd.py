"""``onesheet users``: accounts with roles and org scopes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from onesheet.cli.common import actor, console, fail, friendly_errors, open_store
from onesheet.services import users

app = typer.Typer(help="用户 (users)", no_args_is_help=True)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="用户名")],
    role: Annotated[
        str, typer.Option("--role", help="village / town / department / reviewer / admin")
    ],
    password_file: Annotated[Path, typer.Option("--password-file", help="存放密码的文件（首行）")],
    org: Annotated[
        str | None,
        typer.Option(
            "--org",
            help="所属机构代码（权限范围的根）：村 12 位、乡镇 9 位、部门/审核员为县 6 位；"
            "管理员为县或不填",
        ),
    ] = None,
    department: Annotated[
        str | None,
        typer.Option("--department", help="部门 key 或名称（如 civil_affairs、民政；仅部门用户）"),
    ] = None,
) -> None:
    """添加用户（密码以 argon2 散列保存）(add a user)."""
    try:
        password = password_file.read_text(encoding="utf-8").splitlines()[0].strip()
    except (OSError, IndexError, UnicodeDecodeError):
        fail(f"无法读取密码文件 {password_file}（须为 UTF-8 文本，首行为密码）")
    with friendly_errors():
        user_id = users.add_user(
            open_store(),
            actor(),
            name,
            role=role,
            org_code=org,
            password=password,
            department=department,
        )
    console.print(f"已添加用户 {name}（编号 {user_id}，角色 {role}，范围 {org or '全部'}）")


@app.command("disable")
def disable(name: Annotated[str, typer.Argument(help="用户名")]) -> None:
    """停用用户：不能登录，会话立即结束，其 API 令牌被拒绝 (disable a user)."""
    with friendly_errors():
        users.disable_user(open_store(), actor(), name)
    console.print(f"已停用用户 {name}（会话已结束，令牌失效）")


@app.command("enable")
def enable(name: Annotated[str, typer.Argument(help="用户名")]) -> None:
    """重新启用用户 (enable a disabled user again)."""
    with friendly_errors():
        users.enable_user(open_store(), actor(), name)
    console.print(f"已启用用户 {name}")


# Bulk accounts live in their own module (cli/users_import.py).
from onesheet.cli import users_import  # noqa: E402

app.command("import")(users_import.import_command)
app.command("accounts")(users_import.accounts_command)
app.command("reset")(users_import.reset_command)
