"""``onesheet import FILE --department NAME``: bring a department's export into the sheet."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from onesheet.cli.common import actor, console, err_console, friendly_errors, open_store, print_json
from onesheet.linkage.columns import parse_overrides
from onesheet.services.data_import import ImportSummary, import_file


def import_command(
    file: Annotated[Path, typer.Argument(help="部门导出文件（CSV / XLSX / XLS）")],
    department: Annotated[str, typer.Option("--department", help="来源部门（如 民政局）")],
    entity: Annotated[str, typer.Option(help="对象类型")] = "person",
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出摘要")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查和关联，不写入")] = False,
    mapping: Annotated[
        list[str] | None, typer.Option("--map", help="确认列映射，如 B=person.phone 或 C=skip")
    ] = None,
    county: Annotated[str | None, typer.Option("--county", help="县级代码")] = None,
) -> None:
    """导入部门数据并关联到人员 (import a department's export, linking each row)."""
    with friendly_errors():
        store = open_store()
        overrides = parse_overrides(mapping or [])
        with _bar() as on_progress:
            summary = import_file(
                store,
                actor(),
                file,
                department=department,
                entity=entity,
                mapping=overrides,
                county_code=county,
                dry_run=dry_run,
                progress=on_progress,
            )
    report = _write_report(file, summary)
    if as_json:
        data = asdict(summary)
        data["findings"] = [f.message("zh") for f in summary.findings]
        data["report"] = str(report) if report else None
        print_json(data)
        return
    _print(summary, report)


STAGES = {"check": "校验 checking", "link": "关联 linking", "write": "写入 writing"}


@contextmanager
def _bar() -> Iterator[Callable[[str, int, int], None]]:
    """A bar on stderr that follows the rows through checking, linking and writing."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=err_console) as bar:
        task = bar.add_task("读取 reading", total=None)

        def update(stage: str, done: int, total: int) -> None:
            bar.update(task, description=STAGES.get(stage, stage), completed=done, total=total)

        yield update


def _write_report(file: Path, summary: ImportSummary) -> Path | None:
    """Every finding with row, column and reason, next to the input file: rejected rows and
    the values refused in rows still used (an invalid ID number, kept in the queue)."""
    if not summary.findings:
        return None
    out = file.with_name(file.stem + ".rejected.csv")
    with out.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["行 row", "列 column", "字段 field", "代码 code", "原因", "reason"])
        for f in summary.findings:
            w.writerow([f.row, f.column, f.field, f.code, f.message_zh, f.message_en])
    return out


def _print(s: ImportSummary, report: Path | None) -> None:
    if s.already_imported:
        console.print(f"该文件已导入（批次 {s.batch_id}），未重复写入 (already imported)")
        return
    verb = "试运行 (dry run)" if s.dry_run else f"已导入 (imported)，批次 {s.batch_id}"
    console.print(
        f"{verb}：读取 {s.rows_read} 行，关联 {s.linked}，新建 {s.created}，"
        f"待核 {s.queued}，拒绝 {s.rejected}；写入观测 {s.observations} 条"
    )
    if s.methods:
        m = s.methods
        console.print(
            f"按方法 (by method)：身份证号 key {m.get('key', 0)}，更正号码 repaired "
            f"{m.get('repaired', 0)}，模型 model {m.get('model', 0)}，待核 queued "
            f"{m.get('queued', 0)}，新建 new {m.get('new', 0)}"
        )
    console.print(f"列映射 (mapping)：{s.mapping}；编码 {s.encoding or '-'}")
    if report:
        console.print(f"被拒绝的行和无效值见 (refused rows and values)：{report}")
