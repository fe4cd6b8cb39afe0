"""``onesheet forms``: legacy forms become templates and pass the Gate (报表准入)."""

from __future__ import annotations

import typer

app = typer.Typer(help="报表模板与准入审核 (forms and the Gate)", no_args_is_help=True)
