"""What every migration shares, frozen: the naming convention, the id type, the sheet columns.

A migration must create tomorrow exactly what it created the day it was written, so every
revision defines its tables literally in its own file and imports nothing from the live
table modules. The dependency runs the other way: the live modules (``store/tables.py`` and
friends) take each table from the revision that created it, through ``revision_module``, and
add only what later revisions changed, taken from those revisions' own definitions — so a
table is written once, and ``tests/contract/test_migrations.py`` checks that the revisions
add up to the live schema. The building blocks below are shared by the revisions (and so by
the live schema); never change them — a new convention or type belongs in a new module and
a new migration. ``tests/contract/test_migration_upgrade.py`` pins the schema every revision
creates, so an edit here fails a test.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import cache
from importlib.resources import files
from importlib.util import module_from_spec, spec_from_file_location
from types import ModuleType

from alembic import op
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BigInteger ids, but INTEGER on SQLite so that ROWID aliasing (autoincrement) works.
Id = BigInteger().with_variant(Integer(), "sqlite")

# Dictionary value type → column type of the sheet tables, as of revision 0001.
SHEET_COLUMN_TYPES = {
    "text": Text,
    "integer": BigInteger,
    "decimal": lambda: Numeric(20, 4),
    "date": Date,
    "boolean": Boolean,
    "code": lambda: String(16),
    "id_number": lambda: String(18),
    "phone": lambda: String(20),
    "uscc": lambda: String(18),
    "ref": BigInteger,
}


def metadata() -> MetaData:
    """An empty MetaData with the frozen naming convention."""
    return MetaData(naming_convention=NAMING)


def create(tables: Callable[[MetaData], object]) -> None:
    """Create, on the migration's connection, the tables ``tables(md)`` defines: the whole
    upgrade of a revision that only adds tables."""
    md = metadata()
    tables(md)
    md.create_all(op.get_bind())


def sheet_columns(snapshot: str) -> dict[str, list[tuple[str, str]]]:
    """entity → [(column, value type)] from a JSON snapshot in ``snapshots/``."""
    path = files("onesheet.store.migrations") / "snapshots" / snapshot
    return {k: [(c[0], c[1]) for c in v] for k, v in json.loads(path.read_text()).items()}


def sheet_table(md: MetaData, entity: str, columns: Sequence[tuple[str, str]]) -> Table:
    """A sheet (current view) table as revision 0001 laid them out."""
    cols = [
        Column("entity_id", BigInteger, primary_key=True, autoincrement=False),
        Column("county_code", String(6), nullable=False),
        Column("org_code", String(20), nullable=False),
        Column("version", Integer, nullable=False, default=1),
        Column("updated_at", DateTime, nullable=False),
    ]
    for name, value_type in columns:
        cols.append(Column(name, SHEET_COLUMN_TYPES[value_type]()))
    table = Table(f"sheet_{entity}", md, *cols)
    Index(f"ix_{table.name}_org", table.c.county_code, table.c.org_code)
    if entity == "person":
        Index("ix_sheet_person_id_number", table.c.id_number)
        Index("ix_sheet_person_name", table.c.name)
    return table


@cache
def revision_module(revision: str) -> ModuleType:
    """The module of one revision (``"0011"`` → ``versions/0011_demands.py``), loaded once.

    The live table modules read their tables from here instead of writing them again; the
    file names start with digits, so they are loaded by path, not imported by name."""
    folder = files("onesheet.store.migrations") / "versions"
    found = [p for p in folder.iterdir() if p.name.endswith(".py") and _number(p.name) == revision]
    if len(found) != 1:
        raise LookupError(f"no single migration file for revision {revision}: {found}")
    spec = spec_from_file_location(f"onesheet_revision_{revision}", str(found[0]))
    assert spec is not None and spec.loader is not None
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _number(file_name: str) -> str:
    """The revision id a versions file carries in its name (``0011_demands.py`` → ``0011``)."""
    return file_name.split("_", 1)[0]
