"""The layers ``docs/architecture.md`` promises, kept by reading every module's imports.

* ``domain/`` is pure Python: no SQLAlchemy, FastAPI/Starlette, Typer or server, no engine URL,
  and nothing from the layers above it (store, services, web, cli).
* SQLAlchemy is imported by ``store/`` only (and ``services/base.py``, which holds the engine);
  everything else names the database through ``onesheet.store.db``.
* ``cli/`` and ``web/`` call services: they import nothing from ``onesheet.store``.

Every import counts, including those inside functions: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import onesheet

ROOT = Path(onesheet.__file__).parent

# Violations that may be left for later, each with the move that fixes it (query into a store
# repository, store type re-exported through a service). This list may only shrink: an entry
# that no longer violates fails ``test_pending_moves_are_still_pending`` so it gets deleted.
# It is empty: the last queries in services (import, county fields, search and card, tasks)
# moved into store repositories (store/sheet_lists, store/tasks, store/orgs, ...).
PENDING_MOVES: dict[tuple[str, str], str] = {}

DOMAIN_FORBIDDEN = (
    "sqlalchemy",
    "fastapi",
    "starlette",
    "typer",
    "uvicorn",
    "psycopg",
    "sqlite3",
    "onesheet.store",
    "onesheet.services",
    "onesheet.web",
    "onesheet.cli",
)
SQLALCHEMY_ALLOWED = ("store/", "services/base.py")
ENGINE_URL = re.compile(r"\b(postgres(ql)?|sqlite)(\+\w+)?://")


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        yield rel, ast.parse(path.read_text(encoding="utf-8"), filename=rel)


def _package_of(rel: str) -> str:
    parts = ["onesheet", *rel.removesuffix(".py").split("/")]
    return ".".join(parts[:-1])


def _imports(rel: str, tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every import, relative ones made absolute."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = _package_of(rel).split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            yield node.lineno, module


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _violations() -> dict[tuple[str, str], str]:
    """(file, imported module) → where and why, for every import breaking a layer rule."""
    found: dict[tuple[str, str], str] = {}
    for rel, tree in _modules():
        for line, module in _imports(rel, tree):
            why = None
            if rel.startswith("domain/"):
                if any(_under(module, p) for p in DOMAIN_FORBIDDEN):
                    why = "domain/ is pure Python"
            elif _under(module, "sqlalchemy") and not rel.startswith(SQLALCHEMY_ALLOWED):
                why = "only store/ (and services/base.py) import SQLAlchemy"
            if rel.startswith(("cli/", "web/")) and _under(module, "onesheet.store"):
                why = "cli/ and web/ call services, not the store"
            if why:
                found.setdefault(
                    (rel, module.split(".")[0] if module.startswith("sqlalchemy") else module),
                    f"{rel}:{line} imports {module}: {why}",
                )
    return found


def test_no_layer_is_crossed() -> None:
    broken = {k: v for k, v in _violations().items() if k not in PENDING_MOVES}
    assert not broken, "\n".join(sorted(broken.values()))


def test_pending_moves_are_still_pending() -> None:
    current = _violations()
    done = [k for k in PENDING_MOVES if k not in current]
    assert not done, f"moved — delete from PENDING_MOVES: {done}"


def test_domain_names_no_engine_url() -> None:
    for rel, tree in _modules():
        if not rel.startswith("domain/"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not ENGINE_URL.search(node.value), f"{rel}:{node.lineno} names an engine URL"


@pytest.mark.parametrize(
    ("rel", "source", "expected"),
    [
        ("domain/x.py", "import sqlalchemy", True),
        ("domain/x.py", "def f():\n    from fastapi import Request", True),
        ("domain/x.py", "from onesheet.store.tables import t", True),
        ("domain/x.py", "from ..store import tables", True),
        ("domain/x.py", "from onesheet.domain.values import parse_date", False),
        ("services/x.py", "from sqlalchemy import select", True),
        ("services/base.py", "from sqlalchemy import Engine", False),
        ("store/x.py", "from sqlalchemy import select", False),
        ("web/x.py", "from onesheet.store.tasks import StaleTask", True),
        ("cli/x.py", "from onesheet.services.tasks import StaleTask", False),
        ("export/x.py", "import sqlalchemy.exc", True),
    ],
)
def test_the_checker_sees_what_it_should(
    rel: str, source: str, expected: bool, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    tree = ast.parse(source)
    monkeypatch.setattr(f"{__name__}._modules", lambda: iter([(rel, tree)]))
    assert bool(_violations()) is expected


# One rule, one place: the store of a request, the signed-in caller dependency and the
# CSRF checks are defined once (``web/deps.get_store``, re-exported as ``web/pages.store_of``;
# ``web/pages.CallerDep``; ``web/pages.CsrfDep`` for forms, ``web/pages.ApiCsrfDep`` for the
# ``X-CSRF-Token`` header of JSON POSTs). A router defining its own again fails; the list of
# pending duplicates is empty and may only stay so.
ONE_PLACE = {
    "get_store": "web/deps.py",
    "store_of": "web/pages.py",
    "CallerDep": "web/pages.py",
    "csrf_checked": "web/pages.py",
    "CsrfDep": "web/pages.py",
    "api_csrf_checked": "web/pages.py",
    "ApiCsrfDep": "web/pages.py",
}
PENDING_DUPLICATES: set[tuple[str, str]] = set()


def _definitions() -> set[tuple[str, str]]:
    found = set()
    for rel, tree in _modules():
        for node in tree.body:
            names = []
            if isinstance(node, ast.FunctionDef):
                names = [node.name]
            elif isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            found |= {(rel, n) for n in names if n in ONE_PLACE}
    return found


def test_store_caller_and_csrf_deps_are_defined_once() -> None:
    extra = _definitions() - {(where, name) for name, where in ONE_PLACE.items()}
    assert extra <= PENDING_DUPLICATES, sorted(extra - PENDING_DUPLICATES)
    assert extra >= PENDING_DUPLICATES, f"deduplicated — delete: {PENDING_DUPLICATES - extra}"
