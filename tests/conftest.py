"""Shared fixtures: every store test runs on SQLite and on a real PostgreSQL server.

The PostgreSQL cluster is started once per run (or taken from ONESHEET_TEST_POSTGRES_URL);
each test gets a fresh database cloned from a migrated template, so tests never see each
other's rows.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from onesheet.devtools.pg_cluster import Cluster
from onesheet.domain.access import CLI_ADMIN
from onesheet.services import setup
from onesheet.services.base import Store
from onesheet.store.engine import make_engine

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """Superuser URL of a PostgreSQL server for this run."""
    given = os.environ.get("ONESHEET_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    cluster = Cluster()
    cluster.start()
    try:
        yield cluster.url
    finally:
        cluster.stop()


def _with_db(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def pg_template(pg_server_url: str) -> str:
    """A migrated, initialised database to clone for each test."""
    name = f"onesheet_tpl_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    store = Store(make_engine(_with_db(pg_server_url, name)))
    setup.init_database(store, CLI_ADMIN)
    store.engine.dispose()
    admin.dispose()
    return name


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    store = Store(make_engine(f"sqlite:///{path}"))
    setup.init_database(store, CLI_ADMIN)
    store.engine.dispose()  # closing the last connection checkpoints the WAL into the file
    return path


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, initialised database URL on the backend the test is parametrised with."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        path = tmp_path / "onesheet.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("pg_server_url")
    template = request.getfixturevalue("pg_template")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield _with_db(server, name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    s = Store(make_engine(database_url))
    yield s
    s.engine.dispose()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests asking for ``store`` or ``database_url`` run once per backend."""
    if {"store", "database_url"} & set(metafunc.fixturenames) and "database_url" not in [
        m.args[0] for m in metafunc.definition.iter_markers("parametrize")
    ]:
        metafunc.parametrize("database_url", BACKENDS, indirect=True)
