"""``onesheet audit``: the audit trail (who read whom, when, through what)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from onesheet.cli.common import actor, console, friendly_errors, open_store, print_json
from onesheet.services import audit

app = typer.Typer(help="审计 (audit trail)", no_args_is_help=True)


@app.command("who-read")
def who_read(
    entity_id: Annotated[int, typer.Argument(help="人员（或户、企业、房屋）编号 entity id")],
    limit: Annotated[int | None, typer.Option(help="最多显示条数（默认全部）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """谁查看过此人：时间、用户、角色、途径（含被拒绝的尝试）(who read an entity; admin only)."""
    with friendly_errors():
        found = audit.who_read(open_store(), actor(), entity_id, limit=limit)
    if as_json:
        print_json([asdict(a) for a in found])
        return
    if not found:
        console.print(f"没有涉及 {entity_id} 的审计记录 (no audited access to {entity_id})")
        return
    table = Table("时间 (UTC)", "用户", "角色", "操作", "涉及人数", "字段数", "详情")
    for a in found:
        table.add_row(
            str(a.at)[:19],
            a.actor,
            a.role,
            a.action,
            str(a.entity_count),
            str(len(a.fields)),
            a.detail,
        )
    console.print(table)
