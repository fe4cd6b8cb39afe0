"""``onesheet orgs``: the administrative tree."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from onesheet.cli.common import actor, console, friendly_errors, open_store, print_json
from onesheet.domain.orgunits import LEVEL_LABELS_ZH
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
