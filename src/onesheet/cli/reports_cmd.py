"""``onesheet reports``: an approved template, filled from the sheet, in the official layout."""

from __future__ import annotations

import typer

app = typer.Typer(help="一键生成报表 (one-click reports)", no_args_is_help=True)
