"""Back up while the database is in use, restore into a fresh database, rebuild --check."""

from __future__ import annotations

import sqlite3
import stat

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from onesheet.cli.main import app
from onesheet.domain.access import CLI_ADMIN
from onesheet.services import backup as backups
from onesheet.services.base import Store
from onesheet.store.backup import BackupError
from onesheet.store.engine import make_engine
from tests.integration.helpers import seed_small
from tests.scratch_db import scratch_database

runner = CliRunner()


@pytest.fixture
def fresh_url(request, database_url, tmp_path):
    """An empty database (no tables at all) on the same backend as ``database_url``."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    with scratch_database(request.getfixturevalue("pg_server_url"), "r_") as url:
        yield url


def cli(url, *args):
    return runner.invoke(app, ["--database-url", url, *args])


def test_backup_restore_rebuild_check(store, database_url, fresh_url, tmp_path):
    seed_small(store, people=300)
    out = tmp_path / "county.backup"
    # The application is running: a reader is in the middle of a transaction.
    if database_url.startswith("sqlite"):
        busy = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        busy.execute("BEGIN")
        busy.execute("SELECT count(*) FROM observation").fetchone()
    else:
        busy = store.engine.connect()
        busy.execute(text("SELECT count(*) FROM observation")).scalar_one()
    try:
        made = cli(database_url, "backup", str(out))
    finally:
        busy.close()
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "人 300" in made.output
    restored = cli(fresh_url, "restore", str(out))
    assert restored.exit_code == 0, restored.output
    before = "".join(made.output.split("：", 1)[1].split())
    after = "".join(restored.output.split("：", 1)[1].split())
    assert before.split("账号")[0] == after.split("账号")[0]  # same counts, same revision
    check = cli(fresh_url, "sheet", "rebuild", "--check")
    assert check.exit_code == 0, check.output
    assert "检查通过" in check.output
    fresh = Store(make_engine(fresh_url))
    try:
        figures = backups._figures(fresh)
        original = backups._figures(store)
        assert figures.counts == original.counts and figures.revision == original.revision
        with pytest.raises(BackupError, match="不是空的"):
            backups.restore_database(fresh, CLI_ADMIN, out)
        again = backups.restore_database(fresh, CLI_ADMIN, out, replace=True)
        assert again.counts == original.counts
    finally:
        fresh.engine.dispose()


def test_refuses_a_file_that_is_not_a_backup_or_of_the_other_backend(store, tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"hello")
    with pytest.raises(BackupError, match="不是 OneSheet 备份文件"):
        backups.restore_database(store, CLI_ADMIN, junk)
    other = tmp_path / "other.bin"
    other.write_bytes(b"PGDMP" if store.engine.dialect.name == "sqlite" else b"SQLite format 3\0")
    with pytest.raises(BackupError, match="请恢复到同类数据库"):
        backups.restore_database(store, CLI_ADMIN, other)
