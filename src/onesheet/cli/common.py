"""What every CLI command shares: the store from the settings, the actor, error reporting.

The CLI is the local operator's tool, so it acts as the installation's administrator
(``CLI_ADMIN``); its reads are audited under the name ``cli`` like anyone else's.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from onesheet.domain.access import CLI_ADMIN, AccessDenied, Actor
from onesheet.domain.findings import InvalidInput
from onesheet.services import setup
from onesheet.services.base import Store
from onesheet.services.errors import DATABASE_NOT_READY, ConcurrentEdit
from onesheet.services.sheet_write import UnknownEntity
from onesheet.settings import get_settings

console = Console()
err_console = Console(stderr=True)

_state: dict[str, Any] = {"url": None}


def set_database_url(url: str | None) -> None:
    _state["url"] = url


def database_url() -> str:
    return _state["url"] or get_settings().database_url


def open_store() -> Store:
    """The store for this invocation's database URL, its dictionary including the county's
    own fields (a database not initialised yet has none)."""
    return setup.open_store(database_url())


def actor() -> Actor:
    return CLI_ADMIN


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` as an error (literally: a ``[spark]`` in it is text, not rich markup)
    and exit with ``code``."""
    err_console.print(f"[bold red]错误 (error)：[/]{escape(message)}")
    raise typer.Exit(code)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn known failures into one clear message and a non-zero exit, never a traceback."""
    try:
        yield
    except InvalidInput as exc:
        fail(exc.message("zh") + "\n" + exc.message("en"))
    except AccessDenied as exc:
        fail(f"{exc.message_zh} ({exc.message_en})", 3)
    except (UnknownEntity, ConcurrentEdit, ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    except DATABASE_NOT_READY as exc:
        first = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
        fail(
            f"数据库错误：{first}。数据库是否已初始化？请先运行 onesheet init "
            f"(database error; did you run `onesheet init`?)"
        )


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


@contextmanager
def progress_bar(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar on stderr; yields the ``advance(n)`` callback services accept."""
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err_console, transient=False) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)
