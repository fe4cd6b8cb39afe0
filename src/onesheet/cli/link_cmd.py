"""``onesheet link``: the review queue of rows linkage could not decide alone."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from onesheet.cli.common import actor, console, friendly_errors, open_store, print_json
from onesheet.services import linkage_queue

link_app = typer.Typer(help="数据关联 (record linkage: review queue)", no_args_is_help=True)


@link_app.command("queue")
def queue(
    status: Annotated[str, typer.Option(help="open / linked / created / rejected / all")] = "open",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """列出待人工确认的关联 (list queued rows)."""
    with friendly_errors():
        entries = linkage_queue.list_entries(
            open_store(), actor(), status=None if status == "all" else status
        )
    if as_json:
        print_json(entries)
        return
    t = Table("编号", "来源", "文件/行", "姓名", "候选 (编号:概率)", "状态")
    for e in entries:
        cands = " ".join(f"{c[0]}:{c[1]:.2f}" for c in e["candidates"][:3])
        where = f"{e['file']}:{e['row_no']}"
        name = e["record"].get("person.name", "")
        t.add_row(str(e["id"]), e["source"], where, name, cands, e["status"])
    console.print(t)


@link_app.command("decide")
def decide(
    entry: Annotated[int, typer.Argument(help="待办编号")],
    entity: Annotated[int | None, typer.Option("--entity", help="关联到该人员编号")] = None,
    create: Annotated[bool, typer.Option("--new", help="新建人员")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="驳回，不写入")] = False,
    reason: Annotated[str, typer.Option(help="说明")] = "",
) -> None:
    """确认一条待办：关联、新建或驳回 (decide a queued row)."""
    with friendly_errors():
        d = linkage_queue.decide(
            open_store(),
            actor(),
            entry,
            entity_id=entity,
            create=create,
            reject=reject,
            reason=reason,
        )
    console.print(
        f"待办 {d.entry_id}：{d.status}，人员 {d.entity_id or '-'}，写入 {d.observations} 条"
    )
