"""``onesheet doctor``: what is wrong with this installation, in plain words."""

from __future__ import annotations

from onesheet.cli.common import actor, console, fail, friendly_errors, open_store
from onesheet.services import doctor
from onesheet.settings import get_settings

MARKS = {"ok": "[green]✓[/]", "warn": "[yellow]![/]", "fail": "[red]✗[/]"}


def doctor_command() -> None:
    """检查配置与数据库，用平实的话说明问题 (check configuration and database)."""
    with friendly_errors():
        checks = doctor.run_checks(open_store(), actor(), get_settings())
    for c in checks:
        console.print(f"{MARKS[c.status]} {c.name}：", end="")
        console.print(c.message, markup=False)
    if any(c.status == "fail" for c in checks):
        fail("有必须先解决的问题 (problems to fix first)", 1)
    warnings = sum(c.status == "warn" for c in checks)
    console.print(f"检查完毕：{warnings} 条提醒" if warnings else "检查完毕，一切正常")
