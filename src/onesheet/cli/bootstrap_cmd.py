"""``onesheet bootstrap FILE``: a county's population from the public-security export."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from onesheet.cli.common import (
    actor,
    console,
    err_console,
    fail,
    friendly_errors,
    open_store,
)
from onesheet.services import bootstrap

STAGE_LABELS = {
    "read": "读取 read (bytes)",
    "check": "检查 check",
    "place": "落位 place",
    "write": "写入 write",
}


@contextmanager
def stage_progress() -> Iterator[Callable[[str, int, int], None]]:
    """One Rich bar per stage of the bootstrap (read, check, place, write), each showing
    done/total as the service reports it; a stage not reached yet stays empty."""
    columns = (
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=False) as bar:
        tasks = {s: bar.add_task(label, total=None) for s, label in STAGE_LABELS.items()}

        def tell(stage: str, done: int, total: int) -> None:
            bar.update(tasks[stage], completed=done, total=total)

        yield tell


def bootstrap_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="公安户籍导出 CSV/XLSX：户号、户主、与户主关系、姓名、身份证号、住址、所属村/社区"
        ),
    ],
    county: Annotated[str | None, typer.Option(help="县级代码（库中只有一个县时可省略）")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="导出日期 YYYY-MM-DD（默认今天）")
    ] = None,
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="确认跳过有问题的行，装入其余各行")
    ] = False,
) -> None:
    """从公安户籍导出装入人口与户（来源：公安）(bootstrap the population)."""
    try:
        data = file.read_bytes()
        day = date.fromisoformat(as_of) if as_of else None
    except OSError as exc:
        fail(f"无法读取文件 {file}：{exc.strerror}")
    except ValueError:
        fail(f"日期须为 YYYY-MM-DD：{as_of}")
    with friendly_errors(), stage_progress() as advance:
        result = bootstrap.bootstrap_population(
            open_store(), actor(), data, file.name, county=county, as_of=day,
            skip_bad=skip_bad, progress=advance,
        )  # fmt: skip
    for f in result.skipped[:50]:
        err_console.print(f"已跳过 (skipped) {f.message('zh')}", markup=False)
    console.print(
        f"县 {result.county_code}：新增人口 {result.people_new}，"
        f"已有人口 {result.people_existing}，"
        f"新增户 {result.households_new}，观测值 {result.observations}，"
        f"跳过 {len({f.row for f in result.skipped})} 行"
    )
