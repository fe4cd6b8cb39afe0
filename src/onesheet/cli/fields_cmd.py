"""``onesheet fields``: the data dictionary."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from onesheet.cli.common import actor, console, friendly_errors, print_json
from onesheet.domain.dictionary import load_builtin
from onesheet.services.base import Store
from onesheet.services.reference import list_fields

app = typer.Typer(help="数据字典 (the data dictionary)", no_args_is_help=True)


@app.command("list")
def list_command(
    entity: Annotated[
        str | None, typer.Option(help="person / household / enterprise / house")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """列出字段 (list fields)."""
    with friendly_errors():
        # The dictionary needs no database: build a store-less view of it.
        fields = list_fields(_DictionaryOnly(), actor(), entity=entity)
    if as_json:
        print_json([asdict(f) for f in fields])
        return
    table = Table("key", "名称", "label", "类型", "代码表", "敏感度", "权威部门")
    for f in fields:
        table.add_row(
            f.key, f.label_zh, f.label_en, f.type, f.code_table or "", f.sensitivity, f.authority
        )
    console.print(table)
    console.print(f"共 {len(fields)} 个字段 ({len(fields)} fields)")


class _DictionaryOnly(Store):
    """A Store without a database, for services that only read the dictionary."""

    def __init__(self) -> None:
        self.dictionary = load_builtin()
        self.grants = {}
