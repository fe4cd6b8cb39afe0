"""Alembic migrations of the OneSheet schema (``versions/``), run by ``store/migrate.py``."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from alembic.script import ScriptDirectory


@cache
def head_revision() -> str:
    """The newest revision, read from ``versions/`` (so a new migration needs no constant)."""
    script = ScriptDirectory(str(files("onesheet.store") / "migrations"))
    heads = script.get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations must form one line; heads: {sorted(heads)}")
    return heads[0]


def revisions() -> list[str]:
    """Every revision id from the first to the head, in upgrade order."""
    script = ScriptDirectory(str(files("onesheet.store") / "migrations"))
    return [s.revision for s in reversed(list(script.walk_revisions("base", "heads")))]
