"""Whole-database copies: SQLite's online backup API, pg_dump/pg_restore for PostgreSQL.

A backup file is either an SQLite database (header ``SQLite format 3``) or a pg_dump archive
in the custom format (header ``PGDMP``); ``restore`` tells them apart by those bytes, so a
file cannot be restored into the other backend by mistake.

SQLite: ``sqlite3.Connection.backup`` copies the pages while other connections keep reading
and writing (WAL mode); the copy is consistent as of one moment. PostgreSQL: ``pg_dump`` runs
in one repeatable-read snapshot, so it is consistent while the application runs too.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(ValueError):
    """A backup or restore that cannot be done; the message says why in plain words."""


def file_kind(path: Path) -> str:
    """'sqlite' or 'postgresql' by the file's first bytes."""
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} 不是 OneSheet 备份文件（既非 SQLite 数据库，也非 pg_dump 归档）")


def backend(engine: Engine) -> str:
    return "sqlite" if engine.dialect.name == "sqlite" else "postgresql"


def has_tables(engine: Engine) -> bool:
    return bool(inspect(engine).get_table_names())


def _sqlite_path(engine: Engine) -> str:
    path = engine.url.database
    if not path or path == ":memory:":
        raise BackupError("内存数据库无法备份 (an in-memory database cannot be backed up)")
    return path


def pg_bin(tool: str) -> str:
    """The newest pg_dump/pg_restore: $ONESHEET_PG_BIN, Debian's versioned folders, PATH."""
    given = os.environ.get("ONESHEET_PG_BIN")
    if given and Path(given, tool).exists():
        return str(Path(given, tool))
    found = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"),
        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
    )
    if found:
        return found[-1]
    on_path = shutil.which(tool)
    if on_path:
        return on_path
    raise BackupError(
        f"找不到 {tool}：请安装 PostgreSQL 客户端（apt-get install postgresql-client）"
        f"或设置 ONESHEET_PG_BIN"
    )


def _pg_env(engine: Engine) -> tuple[dict[str, str], str]:
    """libpq environment for the engine's URL (the password never on a command line)."""
    url = make_url(engine.url.render_as_string(hide_password=False))
    env = dict(os.environ)
    host = url.query.get("host") or url.host
    if isinstance(host, tuple):
        host = host[0]
    for key, value in (
        ("PGHOST", host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
    ):
        if value is not None:
            env[key] = str(value)
    return env, url.database or ""


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise BackupError(f"{Path(args[0]).name} 失败：" + " / ".join(tail))


def _sqlite_copy(src: sqlite3.Connection, dst: sqlite3.Connection) -> None:
    """Copy one SQLite database into another with the online backup API, 4096 pages a
    step (backup and restore copy alike); both connections are closed whatever happens."""
    try:
        with dst:
            src.backup(dst, pages=4096)
    finally:
        dst.close()
        src.close()


def backup(engine: Engine, out: Path) -> None:
    """Copy the whole database to ``out`` (written to a temp name, renamed when complete)."""
    tmp = out.with_name(out.name + ".partial")
    tmp.unlink(missing_ok=True)
    try:
        if backend(engine) == "sqlite":
            _sqlite_copy(sqlite3.connect(_sqlite_path(engine)), sqlite3.connect(tmp))
        else:
            env, db = _pg_env(engine)
            _run([pg_bin("pg_dump"), "--format=custom", "--no-owner", "-f", str(tmp), db], env)
        os.chmod(tmp, 0o600)  # it holds every resident's data
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def restore(engine: Engine, source: Path, *, replace: bool = False) -> None:
    """Load ``source`` into the engine's database: an empty one, or any with ``replace``."""
    kind = file_kind(source)
    target = backend(engine)
    if kind != target:
        raise BackupError(
            f"备份文件来自 {kind}，目标数据库是 {target}；请恢复到同类数据库"
            f" (a {kind} backup restores into {target} only via export/import)"
        )
    if has_tables(engine) and not replace:
        raise BackupError(
            "目标数据库不是空的；恢复会覆盖其中全部数据，确认请加 --replace"
            " (the target database is not empty; pass --replace to overwrite it)"
        )
    engine.dispose()
    if target == "sqlite":
        _sqlite_copy(
            sqlite3.connect(f"file:{source}?mode=ro", uri=True),
            sqlite3.connect(_sqlite_path(engine)),
        )
        return
    env, db = _pg_env(engine)
    args = [pg_bin("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "-d", db]
    if replace:
        args[1:1] = ["--clean", "--if-exists"]
    _run([*args, str(source)], env)
