"""Shared fixtures: every store test runs on SQLite and on a real PostgreSQL server.

The PostgreSQL cluster is started once per run (or taken from ONESHEET_TEST_POSTGRES_URL);
each test gets a fresh database cloned from a migrated template, so tests never see each
other's rows.

The suite runs in parallel (pytest-xdist, ``--dist loadgroup``; see pyproject). Each worker
is a session of its own: it starts its own cluster (a fresh temp folder and a free port, see
``devtools/pg_cluster.py``) and its own SQLite template under its own basetemp. Tests that
share a costlier fixture — module- or class-scoped, or session-scoped outside this file
(the browser tests' served county and Chromium) — are put in one ``xdist_group`` by
``pytest_collection_modifyitems`` below, so that fixture is built once, on one worker, and
its tests run in the order they run in serially.

pytest-xdist 3.8 passes a test's group to the scheduler by appending ``@group`` to its node
id, which pytest 9.2 no longer allows (pytest-xdist issue 1386: the groups are silently
ignored). So the workers also write the groups to a file the controller names
(``ONESHEET_TEST_GROUPS``), and ``pytest_xdist_make_scheduler`` schedules by that file.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from onesheet.devtools.pg_cluster import Cluster
from onesheet.domain.access import CLI_ADMIN
from onesheet.services import setup
from onesheet.services.base import Store
from onesheet.store.engine import make_engine
from tests.scratch_db import create_database, scratch_database

BACKENDS = ["sqlite", "postgresql"]
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")  # gw0, gw1, ... under xdist
_SHARED_SCOPES = {"class", "module", "package", "session"}
GROUPS_ENV = "ONESHEET_TEST_GROUPS"  # the file the workers write {node id: group} to


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


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Argon2 at its cheapest for the services called in this process.

    At the real cost (64 MiB, 3 passes) each hash or verify takes 0.1-0.7 s of a shared
    core, and most web tests add users and sign in several times. No test here is about that
    cost: they check what is stored (argon2id, never the password), how many verifies a
    refusal costs and who is let in, and a hash carries its own parameters, so verifying
    works the same. The servers the browser and fault tests start (``onesheet serve``) and
    the CLI run in subprocesses and keep the real parameters."""
    from argon2 import PasswordHasher

    from onesheet.services import accounts, users

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(users, "_hasher", cheap)
        mp.setattr(accounts, "_hasher", cheap)
        yield


@pytest.fixture(scope="session")
def pg_template(pg_server_url: str) -> str:
    """A migrated, initialised database to clone for each test."""
    name = f"onesheet_tpl_{WORKER}_{uuid.uuid4().hex[:8]}"
    store = Store(make_engine(create_database(pg_server_url, name)))
    setup.init_database(store, CLI_ADMIN)
    store.engine.dispose()
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
    with scratch_database(server, "t_", template=template) as url:
        yield url


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


# ----------------------------------------------------------------------- parallel runs
def _shared_keys(item: pytest.Item, root: str) -> set[str]:
    """What ``item`` shares with other tests: the module of a module/class-scoped fixture it
    uses, or a session-scoped fixture defined outside this file (``root``: its baseid).
    Fixtures of this file (per-worker cluster and templates) and of plugins are not counted:
    every worker may build its own."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return set()
    keys = set()
    for name in item.fixturenames:
        defs = info.name2fixturedefs.get(name)
        if not defs:
            continue
        fixturedef = defs[-1]
        if fixturedef.scope not in _SHARED_SCOPES or fixturedef.baseid in ("", root):
            continue
        if fixturedef.scope in ("session", "package"):
            keys.add(f"{fixturedef.baseid}::{name}")
        else:
            keys.add(item.nodeid.split("::", 1)[0])
    return keys


def _rank(key: str) -> tuple[bool, int, str]:
    """A group is named after the shared session fixture of the widest folder where it has
    one (``tests/web::browser``), else after its module."""
    return ("::" not in key, key.count("/"), key)


@pytest.hookimpl(tryfirst=True)  # before xdist turns the marks into work units
def pytest_collection_modifyitems(config: pytest.Config, items: Sequence[pytest.Item]) -> None:
    """Put tests that share a costly fixture in one ``xdist_group`` (one per connected set:
    the browser tests share the served county and Chromium, so they are one group)."""
    root = Path(__file__).parent.relative_to(config.rootpath).as_posix()
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    keyed = []
    for item in items:
        if any(True for _ in item.iter_markers("xdist_group")):
            continue  # grouped by its author
        keys = sorted(_shared_keys(item, root), key=_rank)
        if keys:
            keyed.append((item, keys[0]))
            for other in keys[1:]:
                a, b = sorted((find(keys[0]), find(other)), key=_rank)
                parent[b] = a
    for item, key in keyed:
        item.add_marker(pytest.mark.xdist_group(find(key)))
    _write_groups(items)


def _group_of(item: pytest.Item) -> str | None:
    names = sorted(
        str(m.args[0] if m.args else m.kwargs.get("name", "default"))
        for m in item.iter_markers("xdist_group")
    )
    return "_".join(dict.fromkeys(names)) or None


def _write_groups(items: Sequence[pytest.Item]) -> None:
    """On an xdist worker: every grouped test's group, for the controller's scheduler (each
    worker collects the same tests, so they all write the same file; written whole, then
    renamed, so the controller never reads half of it)."""
    path = os.environ.get(GROUPS_ENV)
    if not path or "PYTEST_XDIST_WORKER" not in os.environ:
        return
    groups = {item.nodeid: g for item in items if (g := _group_of(item)) is not None}
    part = f"{path}.{os.environ['PYTEST_XDIST_WORKER']}"
    Path(part).write_text(json.dumps(groups), encoding="utf-8")
    os.replace(part, path)


def pytest_configure(config: pytest.Config) -> None:
    """On the xdist controller: name the groups file before the workers start (they inherit
    the environment)."""
    distributing = config.getoption("dist", "no") == "loadgroup" and config.getoption("tx", [])
    if hasattr(config, "workerinput") or not distributing:
        return
    folder = tempfile.mkdtemp(prefix="onesheet-test-groups-")
    os.environ[GROUPS_ENV] = str(Path(folder) / "groups.json")
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``--dist loadgroup`` scheduled by the groups the workers wrote (see the docstring at
    the top); other modes are xdist's own."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class FileGroupScheduling(LoadGroupScheduling):
        groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.groups is None:
                path = os.environ.get(GROUPS_ENV, "")
                text = Path(path).read_text(encoding="utf-8") if os.path.exists(path) else "{}"
                self.groups = json.loads(text)
            group = self.groups.get(nodeid)
            return group if group is not None else super()._split_scope(nodeid)

    return FileGroupScheduling(config, log)  # type: ignore[arg-type]
