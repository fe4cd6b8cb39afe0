"""Fault-test fixtures: a seeded county per backend, and real servers to start and kill -9.

The county is made the way the browser tests make theirs (``tests/web/conftest.py``:
``onesheet init`` + ``seed`` + the cadre and town users, served by ``onesheet serve``), plus a
second cadre of the same village, a county-wide civil-affairs user, and the phone-number
template of ``tests/web/tasks_fixtures.py`` approved with its tasks. SQLite lives in a temp
folder; PostgreSQL is a fresh database on the run's shared cluster (``pg_server_url``). The
PostgreSQL restart test starts a cluster of its own instead, so nothing else sees the restart.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from onesheet.domain.access import CLI_ADMIN
from onesheet.services.auth import issue_api_token
from onesheet.services.base import Store, utcnow
from onesheet.services.users import add_user
from onesheet.store import tasks as task_store
from onesheet.store.engine import make_engine
from onesheet.store.templates import get_template, insert_template
from tests.scratch_db import scratch_database
from tests.web.conftest import WEB_PASSWORD, ServedEnv, seed_served, start_server
from tests.web.tasks_fixtures import TEMPLATE_ID, _spec

REPO = Path(__file__).parents[2]
FAILPOINT_CLI = [sys.executable, "-m", "tests.faults.failpoint"]
PEOPLE = 1000

__all__ = ["TEMPLATE_ID", "WEB_PASSWORD", "County", "Server"]


@dataclass
class Server:
    """One ``onesheet serve`` process (uvicorn, one worker: the process to kill)."""

    proc: subprocess.Popen[bytes]
    base: str

    def client(self, token: str | None = None, **kw: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=60, **kw)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no finally block, no rollback by the app."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        assert self.proc.returncode == -signal.SIGKILL

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@dataclass
class County:
    """A seeded county on one backend, its server, and helpers to look inside it.

    ``live()`` is the running server (started if there is none: the real CLI's ``serve``
    through ``failpoint.py``, every failpoint disarmed). The server starts each import
    job's runner process through ``failpoint.py`` too (``ONESHEET_JOB_RUNNER``), so an
    import pauses in its runner, whose pid the marker gives. The tests of one county share it,
    so a test that kills it starts the next one, and that restarted server is what it checks.
    The server's temp files go to ``tmpdir``.
    """

    backend: str
    served: ServedEnv
    folder: Path
    engine: Engine
    village: str
    task_id: int
    current: Server | None = None

    @property
    def marks(self) -> Path:
        return self.folder / "failpoints"

    @property
    def tmpdir(self) -> Path:
        return self.folder / "server-tmp"

    # --------------------------------------------------------------------------- servers
    def live(self) -> Server:
        if self.current is not None and self.current.proc.poll() is None:
            return self.current
        self.marks.mkdir(exist_ok=True)
        self.tmpdir.mkdir(exist_ok=True)
        env = {
            **self.served.env,
            "ONESHEET_FAILPOINT_DIR": str(self.marks),
            # import jobs run in processes of their own: the same CLI with the failpoints
            "ONESHEET_JOB_RUNNER": " ".join([*FAILPOINT_CLI, "jobs", "run"]),
            "TMPDIR": str(self.tmpdir),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        }
        proc, base = start_server(
            self.served, self.folder / "server.log", cli=FAILPOINT_CLI, env=env
        )
        self.current = Server(proc, base)
        return self.current

    def kill(self) -> None:
        assert self.current is not None
        self.current.kill()
        self.current = None

    def stop(self) -> None:
        if self.current is not None:
            self.current.stop()
            self.current = None

    def arm(self, name: str) -> None:
        """The next call through failpoint ``name`` pauses (see ``failpoint.py``)."""
        self.marks.mkdir(exist_ok=True)
        (self.marks / f"{name}.json").unlink(missing_ok=True)
        (self.marks / f"{name}.armed").touch()

    def release(self, name: str) -> None:
        """Let a paused failpoint go on (the request then finishes as it would have)."""
        (self.marks / f"{name}.release").touch()

    def wait_for_failpoint(
        self, name: str, timeout: float = 60, job: tuple[httpx.Client, str] | None = None
    ) -> dict[str, Any]:
        """The marker of the paused failpoint. With ``job`` (a client and the job's URL),
        the pause is in the job's runner process, which must first start and read, check
        and link the file (longer on a loaded machine): the wait is three times as long, and
        a job that ended without reaching the failpoint fails at once, saying how."""
        marker = self.marks / f"{name}.json"
        deadline = time.monotonic() + timeout * (3 if job else 1)
        state: Any = None
        while time.monotonic() < deadline:
            if marker.exists():
                return json.loads(marker.read_text())  # type: ignore[no-any-return]
            assert self.current and self.current.proc.poll() is None, "server died first"
            if job is not None:
                state = job[0].get(job[1]).json()
                assert state["status"] in ("queued", "running"), f"job ended first: {state}"
                time.sleep(0.2)
            time.sleep(0.02)
        raise AssertionError(f"failpoint {name} not reached in {timeout} s; job: {state}")

    # ----------------------------------------------------------------------------- data
    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params))

    def token(self, username: str) -> str:
        store = Store(self.engine)
        return issue_api_token(store, CLI_ADMIN, username, label="faults")

    def rebuild_check(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.served.cli, "sheet", "rebuild", "--check"],
            env=self.served.env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def orphans_gone(self, timeout: float = 15) -> int:
        """PostgreSQL: wait until no other session of this database is in a transaction (the
        killed server's backends have noticed their client is gone and rolled back); the
        number still there at the end (0 on SQLite)."""
        if self.backend != "postgresql":
            return 0
        sql = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid() "
            "AND (state <> 'idle' OR xact_start IS NOT NULL)"
        )
        deadline = time.monotonic() + timeout
        while (left := self.scalar(sql)) and time.monotonic() < deadline:
            time.sleep(0.05)
        return int(left)

    def counts(self) -> dict[str, int]:
        """Everything a write could leave half-done, counted."""
        queries = {
            "observations": "SELECT count(*) FROM observation",
            "batches": "SELECT count(*) FROM batch",
            "entities": "SELECT count(*) FROM entity",
            "people_rows": "SELECT count(*) FROM sheet_person",
            "items_filled": "SELECT count(*) FROM task_item WHERE status = 'filled'",
            "task_versions": "SELECT coalesce(sum(version), 0) FROM collection_task",
            "task_filled_counters": "SELECT coalesce(sum(items_filled), 0) FROM collection_task",
            "report_runs": "SELECT count(*) FROM report_run",
            "link_queue": "SELECT count(*) FROM link_queue",
            "audit_writes": (
                "SELECT count(*) FROM audit_event WHERE action IN "
                "('tasks.fill', 'reports.run', 'data.import')"
            ),
        }
        return {k: int(self.scalar(q)) for k, q in queries.items()}


def make_county(backend: str, served: ServedEnv, folder: Path, people: int = PEOPLE) -> County:
    """Seed ``served``'s database and add the users and the approved task template."""
    seed_served(served, folder, people=people)
    engine = make_engine(served.url)
    store = Store(engine)
    with engine.connect() as conn:
        village, county = conn.execute(
            text(
                "SELECT u.org_code, o.county_code FROM app_user u JOIN org_unit o "
                "ON o.code = u.org_code WHERE u.username = 'cadre1'"
            )
        ).one()
    add_user(store, CLI_ADMIN, "cadre2", role="village", org_code=village, password=WEB_PASSWORD)
    add_user(
        store,
        CLI_ADMIN,
        "dept1",
        role="department",
        org_code=county,
        department="civil_affairs",
        password=WEB_PASSWORD,
    )
    with store.transaction() as conn:
        if get_template(conn, TEMPLATE_ID) is None:
            spec = _spec()
            insert_template(conn, spec, status="approved", actor="test", at=utcnow())
            task_store.create_for_template(conn, store.dictionary, spec, now=utcnow())
        task_id = conn.execute(
            text("SELECT id FROM collection_task WHERE template_id = :t AND org_code = :v"),
            {"t": TEMPLATE_ID, "v": village},
        ).scalar_one()
    return County(backend, served, folder, engine, village, task_id)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def county(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[County]:
    backend = request.param
    folder = tmp_path_factory.mktemp(f"faults-{backend}")
    with contextlib.ExitStack() as cleanup:
        if backend == "sqlite":
            url = f"sqlite:///{folder}/faults.db"
        else:
            server_url = request.getfixturevalue("pg_server_url")
            url = cleanup.enter_context(scratch_database(server_url, "faults_", hex_digits=10))
        county = make_county(backend, ServedEnv.at(url), folder)
        try:
            yield county
        finally:
            county.stop()
            county.engine.dispose()
