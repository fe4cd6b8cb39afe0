"""``onesheet backup OUT`` and ``onesheet restore IN``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from onesheet.cli.common import actor, console, fail, friendly_errors, open_store
from onesheet.services import backup as backups
from onesheet.services.errors import BackupError


def _show(verb: str, figures: backups.Figures) -> None:
    c = figures.counts
    console.print(
        f"{verb}（{figures.backend}，版本 {figures.revision}）："
        f"人 {c['person']}，户 {c['household']}，"
        f"企业 {c['enterprise']}，房屋 {c['house']}，观测值 {c['observation']}，"
        f"机构 {c['org_unit']}，账号 {c['app_user']}"
    )


def backup_command(
    out: Annotated[
        Path, typer.Argument(help="备份文件（SQLite 为数据库文件，PostgreSQL 为 pg_dump 归档）")
    ],
) -> None:
    """备份整个数据库（应用运行中也可）(back up the whole database)."""
    try:
        with friendly_errors():
            figures = backups.backup_database(open_store(), actor(), out)
    except BackupError as exc:
        fail(str(exc))
    _show(f"已备份到 {out}", figures)


def restore_command(
    source: Annotated[Path, typer.Argument(help="onesheet backup 生成的备份文件")],
    replace: Annotated[
        bool, typer.Option("--replace", help="目标数据库非空时覆盖其全部数据")
    ] = False,
) -> None:
    """从备份恢复到（空的）数据库；之后可运行 sheet rebuild --check (restore a backup)."""
    try:
        with friendly_errors():
            figures = backups.restore_database(open_store(), actor(), source, replace=replace)
    except BackupError as exc:
        fail(str(exc))
    _show(f"已从 {source} 恢复", figures)
