"""``onesheet reports``: an approved template, filled from the sheet, in the official layout."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from onesheet.cli.common import actor, console, fail, friendly_errors, open_store, print_json
from onesheet.services import reports

app = typer.Typer(help="一键生成报表 (one-click reports)", no_args_is_help=True)

_SUFFIX_FORMATS = {".xlsx": "xlsx", ".csv": "csv", ".json": "json"}


def _report_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"日期格式应为 YYYY-MM-DD：{text} (date must be YYYY-MM-DD)")


@app.command("run")
def run(
    template: Annotated[str, typer.Argument(help="报表模板编号 (approved template id)")],
    org: Annotated[str, typer.Option("--org", help="填报单位代码 (org unit code)")],
    out: Annotated[Path, typer.Option("--out", help="输出文件 .xlsx / .csv / .json")],
    report_date: Annotated[
        str | None, typer.Option("--date", help="填报日期 YYYY-MM-DD（默认今天）")
    ] = None,
    encoding: Annotated[
        str, typer.Option("--encoding", help="CSV 编码：utf-8-sig（默认，带 BOM）或 gb18030")
    ] = "utf-8-sig",
    by: Annotated[
        str | None,
        typer.Option("--by", help="汇总表按哪一级分行：town / village / grid（默认直接下级）"),
    ] = None,
) -> None:
    """生成报表 (fill an approved template for an org unit and write the form)."""
    fmt = _SUFFIX_FORMATS.get(out.suffix.lower())
    if fmt is None:
        fail(f"输出文件须以 .xlsx、.csv 或 .json 结尾：{out}")
    enc = {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "gbk": "gb18030"}.get(
        encoding.lower(), encoding.lower()
    )
    if enc not in ("utf-8-sig", "gb18030"):
        fail(f"不支持的编码 {encoding}（可选 utf-8-sig、gb18030）")
    if not out.parent.exists():
        fail(f"目录不存在：{out.parent}")
    if by not in (None, "town", "village", "grid"):
        fail(f"--by 须为 town、village 或 grid：{by}")
    when = _report_date(report_date)
    with friendly_errors():
        result = reports.run_report(
            open_store(), actor(), template, org, when, fmt, out, encoding=enc, rows_by=by
        )
    console.print(
        f"已生成 {out}：{result.title}（{result.org_name}，{result.report_date}）"
        f"{result.rows} 行，取自一张表 {result.values_filled} 项，"
        f"待采集 {result.values_missing} 项，"
        f"用时 {result.seconds:.1f} 秒"
    )


@app.command("history")
def history(
    limit: Annotated[int, typer.Option(help="最多显示条数")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """报表生成记录 (recent report runs)."""
    with friendly_errors():
        runs = reports.report_history(open_store(), actor(), limit=limit)
    if as_json:
        print_json([asdict(r) for r in runs])
        return
    table = Table("时间", "模板", "单位", "填报日期", "格式", "行数", "取自一张表", "待采集", "秒")
    for r in runs:
        table.add_row(
            str(r.at)[:19],
            r.template_id,
            r.org_code,
            str(r.report_date),
            r.format,
            str(r.rows),
            str(r.values_filled),
            str(r.values_missing),
            f"{r.seconds:.1f}",
        )
    console.print(table)
