"""Migrations stand alone: an old database with data upgrades through every revision.

Three promises are kept here (issue 15, item 7):

* the revisions form one line whose head is read from ``versions/`` (no constant to forget);
* every revision from 0001 to 0011 creates exactly the schema pinned in
  ``migration_schemas.json`` — its tables are frozen inside the migration, so an edit of a
  live table module (``store/tables.py`` …) cannot change what an old migration creates;
* the live table modules write no table again: they take each from the revision that created
  it (``frozen.revision_module``), so the live schema and the migrations cannot drift apart;
* a database left at revision 0006 with a seeded county in it upgrades to the head on SQLite
  and PostgreSQL, keeps every row, gets 0007's data steps (token expiry, audited ids), and
  passes ``onesheet sheet rebuild --check`` — which is shown to fail on a tampered view.

``python -m tests.contract.test_migration_upgrade --write`` pins revisions not pinned yet
(never rewrites a pinned one).
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import DateTime, Engine, MetaData, column, create_engine, func, select, text
from typer.testing import CliRunner

from onesheet.cli.main import app
from onesheet.store.migrate import _config, current_revision
from onesheet.store.migrations import head_revision, revisions
from tests.scratch_db import scratch_database

PINS = Path(__file__).with_name("migration_schemas.json")
FROZEN = [f"{i:04d}" for i in range(1, 12)]  # revisions whose tables this round froze
OLD = "0006"
VERSIONS = Path(__file__).parents[2] / "src" / "onesheet" / "store" / "migrations" / "versions"
# Live modules whose tables come from the revisions.
LIVE_TABLE_MODULES = (
    "tables.py",
    "county_tables.py",
    "dayone_tables.py",
    "demand_tables.py",
    "eligibility_tables.py",
    "link_tables.py",
    "import_jobs.py",
)
SCHEMA_ITEMS = {"Table", "Column", "Index", "UniqueConstraint"}
runner = CliRunner()


def _upgrade(engine: Engine, revision: str) -> None:
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def _sqlite_schema(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL"))
        return sorted(r[0] for r in rows)


def schemas_by_revision(tmp: Path) -> dict[str, dict[str, list[str]]]:
    """What each revision adds to and removes from the SQLite schema (its DDL statements),
    upgrading one step at a time (a table a batch operation rebuilt is removed and added)."""
    engine = create_engine(f"sqlite:///{tmp / 'steps.db'}")
    out, before = {}, set()
    try:
        for rev in revisions():
            _upgrade(engine, rev)
            after = set(_sqlite_schema(engine))
            out[rev] = {"adds": sorted(after - before), "removes": sorted(before - after)}
            before = after
    finally:
        engine.dispose()
    return out


def test_head_is_read_from_the_versions_folder():
    files = sorted(p.name.split("_", 1)[0] for p in VERSIONS.glob("[0-9]*.py"))
    assert revisions() == files, "revision ids must follow the file numbers, one line"
    assert head_revision() == files[-1]


def test_each_revision_creates_its_pinned_schema(tmp_path):
    pinned = json.loads(PINS.read_text())
    assert set(FROZEN) <= set(pinned), "run python -m tests.contract.test_migration_upgrade --write"
    built = schemas_by_revision(tmp_path)
    unpinned = sorted(set(built) - set(pinned))
    assert not unpinned, f"pin {unpinned}: python -m tests.contract.test_migration_upgrade --write"
    for rev, schema in pinned.items():
        assert rev in built, f"pinned revision {rev} no longer exists"
        assert built[rev] == schema, f"revision {rev} now changes the schema differently"


def test_no_migration_imports_a_live_table_module():
    """Every revision, the frozen ones and any added later, defines its tables itself."""
    for path in VERSIONS.glob("[0-9]*.py"):
        source = path.read_text()
        assert "onesheet.store.tables" not in source, path.name
        assert "onesheet.store.schema" not in source, path.name
        assert not re.search(r"onesheet\.store\.\w+_tables", source), path.name


def test_live_table_modules_take_their_tables_from_the_revisions():
    """A second definition of a table in a live module would drift from its revision unseen
    until the next migration; the live modules call the revisions' functions instead."""
    store = VERSIONS.parents[1]
    for name in LIVE_TABLE_MODULES:
        tree = ast.parse((store / name).read_text())
        called = {
            node.func.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        }
        assert not called & SCHEMA_ITEMS, f"{name} defines {sorted(called & SCHEMA_ITEMS)}"


# --- an old database with data, upgraded -------------------------------------------------


@pytest.fixture(scope="session")
def seeded_source(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """A small seeded county at the head (the rows to copy into an old database)."""
    path = tmp_path_factory.mktemp("seeded") / "seeded.db"
    url = f"sqlite:///{path}"
    assert runner.invoke(app, ["--database-url", url, "init"]).exit_code == 0
    seeded = runner.invoke(
        app, ["--database-url", url, "seed", "--county", "330523", "--people", "40", "--seed", "7"]
    )
    assert seeded.exit_code == 0, seeded.output
    return create_engine(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables at all) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    with scratch_database(request.getfixturevalue("pg_server_url"), "old_", hex_digits=10) as url:
        yield url


def _copy_into_old_schema(source: Engine, target: Engine) -> dict[str, int]:
    """Copy every row the old schema can hold (its tables, its columns) from ``source``."""
    old, new = MetaData(), MetaData()
    old.reflect(target)
    new.reflect(source)
    counts = {}
    with source.connect() as src, target.begin() as dst:
        for name, table in old.tables.items():
            if name == "alembic_version" or name not in new.tables:
                continue
            cols = [c.name for c in table.columns if c.name in new.tables[name].c]
            source_cols = [new.tables[name].c[c] for c in cols]
            rows = [dict(r._mapping) for r in src.execute(select(*source_cols))]
            if rows:
                dst.execute(table.insert(), rows)
            counts[name] = len(rows)
            if target.dialect.name == "postgresql" and "id" in cols and rows:
                # rows came with their ids: move the sequence past them, as in a live database
                dst.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id))"
                        f" FROM {name}"
                    )
                )
    return counts


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(text(table))).scalar_one()


def test_an_old_database_with_data_upgrades_to_the_head(seeded_source, empty_url):
    old = create_engine(empty_url)
    try:
        _upgrade(old, OLD)
        assert current_revision(old) == OLD
        counts = _copy_into_old_schema(seeded_source, old)
        assert counts["observation"] > 1000 and counts["sheet_person"] == 40
        issued = datetime(2026, 11, 1, 8, 30)
        with old.begin() as conn:  # rows only an old installation has: 0007 converts them
            conn.execute(
                text(
                    "INSERT INTO api_token (token_hash, username, label, created_at) "
                    "VALUES ('ab' || :h, 'admin', 'old', :at)"
                ),
                {"h": "0" * 62, "at": issued},
            )
            conn.execute(
                text(
                    "INSERT INTO audit_event (at, actor, role, action, county_code, entity_type,"
                    " entity_count, entity_ids, fields, detail) VALUES (:at, 'admin', 'admin',"
                    " 'sheet.read', '330523', 'person', 3, '3,5,5,x', '', '')"
                ),
                {"at": issued},
            )
        person = _first_person(old)
        before = _person_values(old, person)
    finally:
        old.dispose()

    def cli(*args: str):
        return runner.invoke(app, ["--database-url", empty_url, *args])

    upgraded = cli("init")
    assert upgraded.exit_code == 0, upgraded.output
    engine = create_engine(empty_url)
    try:
        assert current_revision(engine) == head_revision()
        for table, n in counts.items():
            assert _count(engine, table) >= n, f"{table} lost rows in the upgrade"
        assert _person_values(engine, person) == before
        with engine.connect() as conn:
            tokens = sa.table("api_token", column("expires_at", DateTime))
            expires = conn.execute(select(tokens.c.expires_at)).scalar_one()
            audited = conn.execute(
                text(
                    "SELECT entity_id FROM audit_entity WHERE event_id = "
                    "(SELECT max(id) FROM audit_event WHERE action = 'sheet.read')"
                    " ORDER BY entity_id"
                )
            ).scalars()
            assert list(audited) == [3, 5]
            must_change = conn.execute(text("SELECT must_change_password FROM app_user"))
            assert not any(v for (v,) in must_change)
        assert expires == issued + timedelta(days=90)
    finally:
        engine.dispose()

    card = json.loads(cli("sheet", "show", str(person), "--json").stdout)
    shown = {v["key"]: v["value"] for v in card["values"]}
    assert shown["person.name"] == before["name"]
    assert shown["person.id_number"] == before["id_number"]
    checked = cli("sheet", "rebuild", "--check")
    assert checked.exit_code == 0, checked.output

    engine = create_engine(empty_url)
    try:  # the check has teeth: a view that disagrees with the log fails it
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE sheet_person SET name = 'tampered' WHERE entity_id = :e"),
                {"e": person},
            )
    finally:
        engine.dispose()
    assert cli("sheet", "rebuild", "--check").exit_code == 1


def _first_person(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT min(entity_id) FROM sheet_person")).scalar_one()


def _person_values(engine: Engine, entity_id: int) -> dict[str, object]:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT name, id_number, gender, birth_date, org_code FROM sheet_person "
                "WHERE entity_id = :e"
            ),
            {"e": entity_id},
        ).one()
    return {k: str(v) for k, v in row._mapping.items()}


def _write_pins(tmp: Path) -> None:
    pinned = json.loads(PINS.read_text()) if PINS.exists() else {}
    built = schemas_by_revision(tmp)
    added = [rev for rev in built if rev not in pinned]
    for rev in added:
        pinned[rev] = built[rev]
    PINS.write_text(json.dumps(pinned, indent=1, ensure_ascii=False) + "\n")
    print(f"pinned {added or 'nothing new'}")


if __name__ == "__main__":
    import tempfile

    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.contract.test_migration_upgrade --write")
    with tempfile.TemporaryDirectory() as tmp:
        _write_pins(Path(tmp))
