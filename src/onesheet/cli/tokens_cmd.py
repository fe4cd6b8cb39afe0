"""``onesheet tokens``: API tokens for department systems (issue, list, revoke)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from onesheet.cli.common import actor, console, friendly_errors, open_store, print_json
from onesheet.services import auth

app = typer.Typer(help="API 令牌 (API tokens for department systems)", no_args_is_help=True)

STATUS_ZH = {"active": "有效", "expired": "已过期", "revoked": "已吊销"}


def _when(value: object) -> str:
    return str(value)[:16] if value else "—"


@app.command("issue")
def issue(
    username: Annotated[str, typer.Argument(help="令牌代表的用户（系统以该用户的权限访问）")],
    label: Annotated[str, typer.Option("--label", help="说明，如“民政救助系统”")] = "",
    days: Annotated[int, typer.Option("--days", help="有效天数")] = auth.TOKEN_DAYS,
) -> None:
    """签发令牌（只显示这一次，请立即保存）(issue a token; shown once)."""
    with friendly_errors():
        token = auth.issue_api_token(open_store(), actor(), username, label, days=days)
    console.print(f"已签发令牌（{days} 天内有效，只显示这一次，请立即保存）：", soft_wrap=True)
    console.print(token, soft_wrap=True, markup=False, highlight=False)
    console.print(f"token for {username}, valid {days} days; it is shown only this once")


@app.command("list")
def list_tokens(
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """列出令牌：说明、用户、签发、到期、最近使用、吊销 (list tokens)."""
    with friendly_errors():
        tokens = auth.list_api_tokens(open_store(), actor())
    if as_json:
        print_json([asdict(t) for t in tokens])
        return
    table = Table("编号", "说明", "用户", "签发", "到期", "最近使用", "吊销", "状态")
    for t in tokens:
        table.add_row(
            str(t.id),
            t.label,
            t.username,
            _when(t.created_at),
            _when(t.expires_at),
            _when(t.last_used_at),
            _when(t.revoked_at),
            f"{STATUS_ZH[t.status]} {t.status}",
        )
    console.print(table)


@app.command("revoke")
def revoke(
    token_id: Annotated[int, typer.Argument(help="令牌编号（见 tokens list）")],
) -> None:
    """吊销令牌（下一次请求起即被拒绝）(revoke a token)."""
    with friendly_errors():
        info = auth.revoke_api_token(open_store(), actor(), token_id)
    console.print(f"已吊销令牌 {info.id}（{info.label or '无说明'}，用户 {info.username}）")
