"""``onesheet sheet``: read, correct, rebuild and export the one sheet."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from onesheet.cli.common import (
    actor,
    console,
    fail,
    friendly_errors,
    open_store,
    print_json,
    progress_bar,
)
from onesheet.services import sheet_admin, sheet_read, sheet_write

app = typer.Typer(help="一张表 (the sheet: current values and their history)", no_args_is_help=True)


@app.command()
def rebuild(
    check: Annotated[
        bool, typer.Option("--check", help="只比较，不改写；有差异时退出码非零")
    ] = False,
) -> None:
    """从观测日志重算当前视图 (recompute the current view from the log)."""
    with friendly_errors():
        store = open_store()
        total = sum(sheet_admin.count_entities(store).values())
        with progress_bar("重算 rebuilding", total) as advance:
            report = sheet_admin.rebuild_view(store, actor(), check_only=check, progress=advance)
    for line in report.examples:
        console.print(f"  {line}")
    summary = (
        f"对象 {sum(report.entities.values())} 个，差异行 {report.differing_rows}，"
        f"差异冲突 {report.differing_conflicts}"
    )
    if check and not report.clean:
        fail(f"当前视图与日志不一致 (view differs from the log)：{summary}", 1)
    verb = "检查通过 (check passed)" if check else "已重算 (rebuilt)"
    console.print(f"{verb}：{summary}")


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="输出 CSV 文件")],
    entity: Annotated[str, typer.Option(help="person / household / enterprise / house")] = "person",
    org: Annotated[str | None, typer.Option("--org", help="只导出该机构及下级")] = None,
) -> None:
    """导出当前视图为 CSV（管理员；代码保留为代码）(raw export of the current view)."""
    if out.suffix.lower() != ".csv":
        fail(f"输出文件须为 .csv：{out}")
    with friendly_errors():
        n = sheet_admin.export_csv(open_store(), actor(), entity, out, org_code=org)
    console.print(f"已导出 {n} 行到 {out} (exported {n} rows)")


@app.command()
def show(
    entity_id: Annotated[int, typer.Argument(help="对象编号 entity id")],
    as_of: Annotated[datetime | None, typer.Option("--as-of", help="显示该时刻的值 (UTC)")] = None,
    history: Annotated[bool, typer.Option("--history", help="同时列出全部历史观测值")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """查看一个对象的当前值（或某时刻的值）及来源 (show an entity's values and sources)."""
    with friendly_errors():
        card = sheet_read.read_entity(
            open_store(), actor(), entity_id, as_of=as_of, with_history=history
        )
    if as_json:
        print_json(asdict(card))
        return
    table = Table("字段 field", "值 value", "来源 source", "时间 valid from", "冲突")
    for v in card.values:
        if v.value is None:
            continue
        table.add_row(
            v.label_zh,
            v.display,
            v.source or "（计算）",
            v.valid_from.date().isoformat() if v.valid_from else "",
            "⚠" if v.in_conflict else "",
        )
    place = f"{card.town_name} · {card.org_name}" if card.town_name else card.org_name
    console.print(f"{card.entity_type} {card.entity_id} · {place} · 版本 {card.version}")
    console.print(table)
    for h in card.history:
        console.print(
            f"  #{h['id']} {h['recorded_at']} {h['field_key']} = {h['display']} "
            f"[{h['kind']}] ← {h['source']}"
        )


@app.command()
def correct(
    entity_id: Annotated[int, typer.Argument(help="对象编号 entity id")],
    field: Annotated[str, typer.Option("--field", help="字段 key，如 person.phone")],
    value: Annotated[str, typer.Option("--value", help="新值")],
    source: Annotated[str | None, typer.Option(help="来源部门 key（默认 village）")] = None,
    reason: Annotated[str | None, typer.Option(help="更正原因")] = None,
    expected_version: Annotated[
        int | None, typer.Option(help="读取时的版本号，防止覆盖他人修改")
    ] = None,
) -> None:
    """更正一个值（追加新观测值，旧值保留）(record a correction as a new observation)."""
    with friendly_errors():
        result = sheet_write.record_changes(
            open_store(),
            actor(),
            entity_id,
            [sheet_write.Change(field, value, reason=reason)],
            source=source,
            expected_version=expected_version,
        )
    console.print(
        f"已记录 (recorded)：批次 batch {result.batch_id}，观测值 {result.observations} 条"
    )


@app.command()
def remove(
    entity_id: Annotated[int, typer.Argument(help="对象编号 entity id")],
    field: Annotated[str, typer.Option("--field", help="字段 key")],
    reason: Annotated[str, typer.Option(help="删除原因（必填）")],
    source: Annotated[str | None, typer.Option(help="来源部门 key")] = None,
) -> None:
    """删除一个值（记录删除标记与原因，历史保留）(record a tombstone)."""
    with friendly_errors():
        result = sheet_write.record_changes(
            open_store(),
            actor(),
            entity_id,
            [sheet_write.Change(field, kind="tombstone", reason=reason)],
            source=source,
        )
    console.print(f"已记录删除 (tombstone recorded)：批次 batch {result.batch_id}")


@app.command()
def conflicts(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """列出来源不一致、待村（社区）确认的值 (open conflicts)."""
    with friendly_errors():
        items = sheet_read.list_conflicts(open_store(), actor())
    if as_json:
        print_json([asdict(i) for i in items])
        return
    for i in items:
        values = "；".join(f"{v['source']}={v['value']}" for v in i.values)
        console.print(f"{i.entity_type} {i.entity_id} {i.field_key}: {values}")
    console.print(f"共 {len(items)} 处冲突 ({len(items)} conflicts)")
