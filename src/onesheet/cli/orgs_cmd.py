"""``onesheet orgs``: the administrative tree."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from onesheet.cli.common import actor, console, fail, friendly_errors, open_store, print_json
from onesheet.domain.orgunits import LEVEL_LABELS_ZH
from onesheet.services import org_tree
from onesheet.services.reference import list_orgs

app = typer.Typer(help="行政区划与网格 (org tree)", no_args_is_help=True)


@app.command("list")
def list_command(
    under: Annotated[str | None, typer.Option(help="只列出该代码下的机构 (subtree root)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """列出机构 (list org units)."""
    with friendly_errors():
        units = list_orgs(open_store(), actor(), under=under)
    if as_json:
        print_json([asdict(u) for u in units])
        return
    table = Table("代码 code", "名称 name", "层级 level", "上级 parent")
    for u in units:
        indent = "  " * ("county", "town", "village", "grid").index(u.level)
        table.add_row(u.code, indent + u.name, LEVEL_LABELS_ZH[u.level], u.parent_code or "")
    console.print(table)
    console.print(f"共 {len(units)} 个 ({len(units)} units)")


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        fail(f"无法读取文件 {path}：{exc.strerror}")


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"日期须为 YYYY-MM-DD：{text}")


@app.command("load")
def load_command(
    file: Annotated[Path, typer.Argument(help="统计用区划代码表（CSV UTF-8/GBK 或 XLSX）")],
    grids: Annotated[
        Path | None, typer.Option("--grids", help="网格表：网格编码、网格名称、所属村代码")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只显示差异，不写入")] = False,
    effective: Annotated[
        str | None, typer.Option("--effective", help="变更生效日期 YYYY-MM-DD（默认今天）")
    ] = None,
) -> None:
    """装入一个县的区划代码与网格（先显示差异；更名、村改社区记为带日期的事件）."""
    data = _read_file(file)
    grid_data = _read_file(grids) if grids else None
    with friendly_errors():
        result = org_tree.load_org_tree(
            open_store(),
            actor(),
            data,
            file.name,
            grids=grid_data,
            grids_filename=grids.name if grids else None,
            effective=_day(effective),
            apply=not dry_run,
        )
    plan = result.plan
    for change in plan.changes:
        console.print(change.describe(), markup=False)
    c = result.counts()
    merged = f"撤并 {c['merge']}，迁移 {c['move']}，" if c["merge"] or c["move"] else ""
    summary = (
        f"县 {plan.county_code}：新增 {c['add']}，更名 {c['rename']}，类别变更 {c['reclass']}，"
        f"{merged}未变 {c['unchanged']}，文件中缺少 {c['absent']}"
    )
    if result.applied:
        followed = "，".join(f"{k} {v}" for k, v in sorted(result.followed.items()))
        console.print(f"已装入 (applied)：{summary}" + (f"；随迁：{followed}" if followed else ""))
    else:
        console.print(f"仅预览，未写入 (dry run)：{summary}")


@app.command("history")
def history_command(code: Annotated[str, typer.Argument(help="机构代码")]) -> None:
    """机构的变更事件 (dated changes of one unit)."""
    with friendly_errors():
        events = org_tree.org_history(open_store(), actor(), code)
    for e in events:
        into = f" → {e.into_code}" if e.into_code else ""
        console.print(
            f"{e.effective} {e.kind} {e.old_name or ''}→{e.new_name or ''} "
            f"({e.old_kind or ''}→{e.new_kind or ''}){into}",
            markup=False,
        )
    console.print(f"共 {len(events)} 条 ({len(events)} events)")


@app.command("as-of")
def as_of_command(
    code: Annotated[str, typer.Argument(help="机构代码")],
    day: Annotated[str, typer.Argument(help="日期 YYYY-MM-DD")],
) -> None:
    """机构在某日的名称与类别 (the unit as it stood on a day)."""
    when = _day(day)
    assert when is not None
    with friendly_errors():
        unit = org_tree.org_as_of(open_store(), actor(), code, when)
    if unit is None:
        fail(f"机构 {code} 不存在")
    state = (
        "存在"
        if unit.existed
        else f"不存在（已并入 {unit.merged_into}）"
        if unit.merged_into
        else "尚未设立"
    )
    console.print(
        f"{unit.code} {unit.name}（{unit.kind}，城乡分类 {unit.urban_rural or '-'}）{state}"
    )


@app.command("merge")
def merge_command(
    code: Annotated[str, typer.Argument(help="被撤并的机构代码（村或乡镇）")],
    into: Annotated[str, typer.Option("--into", help="并入的机构代码")],
    effective: Annotated[str | None, typer.Option("--effective", help="生效日期")] = None,
    codes: Annotated[
        Path | None,
        typer.Option(
            "--codes",
            help="乡镇撤并：其村（社区）在并入乡镇下公布的新代码表"
            "（统计用区划代码，及原代码或名称；CSV/XLSX）",
        ),
    ] = None,
) -> None:
    """记录撤并：旧机构保留并指向新机构（不删除），人员、户、账号与未完成任务随迁；
    乡镇撤并时其村按公布的新代码迁入并入的乡镇 (record a merger)."""
    data = _read_file(codes) if codes else None
    with friendly_errors():
        moved = org_tree.merge_org(
            open_store(), actor(), code, into, effective=_day(effective),
            codes=data, codes_filename=codes.name if codes else None,
        )  # fmt: skip
    followed = "，".join(f"{k} {v}" for k, v in sorted(moved.entities.items())) or "无"
    console.print(
        f"已记录：{code} 并入 {into}；随迁 {followed}；账号 {moved.users}；"
        f"未完成任务移交 {moved.open_tasks_moved}，并入同期任务 {moved.open_tasks_joined}"
    )
