"""Import jobs kept in the database and run by processes of their own, on both databases.

Every job here is run by a real runner process (``python -m onesheet.cli.jobs_cmd run``),
started by the app or by the test; "another worker" is a second app over a second engine,
sharing nothing with the first but the database. The kill -9 of a runner in the middle of
its write transaction is in ``tests/faults/test_kill.py`` (it needs the failpoints).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from onesheet.domain.access import CLI_ADMIN, Actor
from onesheet.services import import_jobs
from onesheet.services.auth import issue_api_token
from onesheet.services.base import Store, utcnow
from onesheet.services.users import add_user
from onesheet.store import import_jobs as jobs_store
from onesheet.store import link_store
from onesheet.store.engine import make_engine
from onesheet.store.schema import table
from onesheet.web.app import create_app
from tests.integration.helpers import COUNTY, log_rows, seed_small

PW = "pw pw pw 12"
HEALTH = Actor("health_sys", "department", COUNTY, "health")
RUNNER = [sys.executable, "-m", "onesheet.cli.jobs_cmd"]


@pytest.fixture
def people(store: Store) -> list[dict[str, Any]]:
    seed_small(store, people=60)
    for name, role, dept in (
        ("health_sys", "department", "health"),
        ("other", "department", "health"),
        ("boss", "admin", None),
    ):
        add_user(store, CLI_ADMIN, name, role=role, org_code=COUNTY, department=dept, password=PW)
    with store.engine.connect() as conn:
        return link_store.sheet_people(conn, COUNTY)


def _client(store: Store, username: str) -> TestClient:
    client = TestClient(create_app(store))
    client.headers["Authorization"] = f"Bearer {issue_api_token(store, CLI_ADMIN, username)}"
    return client


def _csv(people: list[dict[str, Any]], n: int, prefix: str = "1391111") -> tuple[bytes, dict]:  # type: ignore[type-arg]
    """``n`` people with new phone numbers; the phone each should end with."""
    rows = ["姓名,公民身份号码,联系电话"]
    phones = {}
    for i, p in enumerate(people[:n]):
        phone = f"{prefix}{i:04d}"
        rows.append(f"{p['name']},{p['id_number']},{phone}")
        phones[p["entity_id"]] = phone
    return ("\n".join(rows) + "\n").encode(), phones


def _wait(client: TestClient, url: str, seconds: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = client.get(url)
        assert got.status_code == 200, got.text
        if got.json()["status"] in ("done", "failed"):
            return got.json()  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"job did not finish: {got.json()}")


def _phones(store: Store, batch_id: int | None = None) -> dict[int, str]:
    """The phone numbers a batch recorded (the newest batch when none is named), by person:
    what the import wrote to the log (the sheet shows the phone's authoritative source)."""
    o, b = table("observation"), table("batch")
    with store.engine.connect() as conn:
        batch = batch_id or conn.execute(select(func.max(b.c.id))).scalar()
        rows = conn.execute(
            select(o.c.entity_id, o.c.value).where(
                o.c.batch_id == batch, o.c.field_key == "person.phone"
            )
        )
        return {r.entity_id: r.value for r in rows}


def _batches(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table("batch"))).scalar_one())


def _dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _set(store: Store, job_id: str, **values: Any) -> None:
    t = table("import_job")
    with store.transaction() as conn:
        conn.execute(update(t).where(t.c.id == job_id).values(**values))


def _env(database_url: str) -> dict[str, str]:
    return {**os.environ, "ONESHEET_DATABASE_URL": database_url}


# ---------------------------------------------------------------------------------------
def test_a_job_is_seen_by_another_worker_with_its_progress(store, database_url, people) -> None:  # type: ignore[no-untyped-def]
    data, phones = _csv(people, 30)
    first = _client(store, "health_sys")
    got = first.post(
        "/api/import", files={"file": ("卫健.csv", data)}, data={"department": "health"}
    )
    assert got.status_code == 202, got.text
    job = got.json()
    assert job["status"] == "queued" and job["url"] == f"/api/import/{job['job']}"

    other_store = Store(make_engine(database_url))  # another worker: its own engine and app
    try:
        second = _client(other_store, "health_sys")
        seen = second.get(job["url"]).json()
        assert seen["job"] == job["job"] and seen["file"] == "卫健.csv"
        done = _wait(second, job["url"])
        assert done["status"] == "done", done
        assert (done["stage"], done["done"], done["total"]) == ("write", 30, 30)
        assert done["summary"]["linked"] == 30 and done["summary"]["observations"] == 90
        assert done["started"] and done["finished"] and done["attempt"] == 1
        listed = second.get("/api/import").json()["jobs"]
        assert [j["job"] for j in listed] == [job["job"]]
        # another user of the same department sees neither the job nor it in a list
        stranger = _client(other_store, "other")
        assert stranger.get(job["url"]).status_code == 404
        assert stranger.get("/api/import").json() == {"jobs": []}
        # the administrator sees every job
        assert [j["job"] for j in _client(other_store, "boss").get("/api/import").json()["jobs"]]
    finally:
        other_store.engine.dispose()
    assert _phones(store) == phones
    with store.engine.connect() as conn:  # the upload is dropped once the job finished
        assert conn.execute(select(table("import_job").c.data)).scalar() is None


def test_two_runners_for_one_job_run_it_once(store, database_url, people) -> None:  # type: ignore[no-untyped-def]
    data, phones = _csv(people, 20, prefix="1392222")
    job = import_jobs.start(store, HEALTH, data, department="health", filename="a.csv",
                            launch=False)  # fmt: skip
    before = _batches(store)
    runners = [
        subprocess.Popen([*RUNNER, "run", job.id], env=_env(database_url),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]  # fmt: skip
    outs = [(r.wait(180), *r.communicate()) for r in runners]
    codes = sorted(code for code, _, _ in outs)
    assert codes == [0, 2], outs
    loser = next(err for code, _, err in outs if code == 2)
    assert "不在排队中" in loser
    assert _batches(store) == before + 1
    assert _phones(store) == phones
    view = import_jobs.show(store, HEALTH, job.id)
    assert view.status == "done" and view.attempt == 1


def test_claims_race_in_threads_one_wins(store, database_url, people) -> None:  # type: ignore[no-untyped-def]
    job = import_jobs.start(store, HEALTH, b"x", department="health", filename="a.csv",
                            launch=False)  # fmt: skip
    stores = [Store(make_engine(database_url)) for _ in range(4)]
    barrier = threading.Barrier(len(stores))
    won: list[int | None] = []

    def claim(s: Store) -> None:
        barrier.wait()
        with s.transaction() as conn:
            won.append(jobs_store.claim(conn, job.id, pid=os.getpid(), host="h", now=utcnow()))

    threads = [threading.Thread(target=claim, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for s in stores:
        s.engine.dispose()
    assert sorted(won, key=lambda w: w is None) == [1, None, None, None]
    with pytest.raises(import_jobs.JobNotQueued):
        import_jobs.run_job(store, job.id)


def test_a_dead_runner_is_reported_interrupted_and_the_job_reruns(store, people) -> None:  # type: ignore[no-untyped-def]
    data, phones = _csv(people, 10, prefix="1393333")
    job = import_jobs.start(store, HEALTH, data, department="health", filename="b.csv",
                            launch=False)  # fmt: skip
    # a runner claimed it on this host and died (kill -9 leaves exactly this row behind)
    _set(store, job.id, status="running", stage="link", runner_pid=_dead_pid(),
         runner_host=import_jobs.HOST, started_at=utcnow(), heartbeat_at=utcnow())  # fmt: skip
    before, batches = log_rows(store), _batches(store)
    client = _client(store, "health_sys")
    seen = client.get(f"/api/import/{job.id}").json()
    assert seen["status"] == "failed" and seen["interrupted"] is True, seen
    assert seen["error"]["reason"] == "interrupted" and "中断" in seen["error"]["detail"]
    assert seen["rerun"] == f"/api/import/{job.id}/rerun"
    assert log_rows(store) == before and _batches(store) == batches

    again = client.post(f"/api/import/{job.id}/rerun")
    assert again.status_code == 202, again.text
    assert again.json()["attempt"] == 2 and again.json()["status"] == "queued"
    done = _wait(client, f"/api/import/{job.id}")
    assert done["status"] == "done" and done["error"] is None, done
    assert done["summary"]["observations"] == 30 and "rerun" not in done
    assert _phones(store) == phones
    assert _batches(store) == batches + 1
    # a finished job is not run again; someone else's is not theirs to rerun
    assert client.post(f"/api/import/{job.id}/rerun").status_code == 409
    assert _client(store, "other").post(f"/api/import/{job.id}/rerun").status_code == 404


def test_heartbeats_decide_for_a_runner_on_another_host(store, people) -> None:  # type: ignore[no-untyped-def]
    fresh = import_jobs.start(store, HEALTH, b"x", department="health", filename="c.csv",
                              launch=False)  # fmt: skip
    stale = import_jobs.start(store, HEALTH, b"x", department="health", filename="d.csv",
                              launch=False)  # fmt: skip
    now = utcnow()
    for job, beat in ((fresh, now), (stale, now - timedelta(minutes=3))):
        _set(store, job.id, status="running", runner_pid=1, runner_host="elsewhere",
             heartbeat_at=beat)  # fmt: skip
    assert import_jobs.show(store, HEALTH, fresh.id).status == "running"
    late = import_jobs.show(store, HEALTH, stale.id)
    assert late.status == "failed" and late.interrupted and late.rerunnable
    # a queued job no runner ever took is given the same time before it counts as lost
    queued = import_jobs.start(store, HEALTH, b"x", department="health", filename="e.csv",
                               launch=False)  # fmt: skip
    assert import_jobs.show(store, HEALTH, queued.id).status == "queued"
    _set(store, queued.id, heartbeat_at=now - timedelta(minutes=3))
    assert import_jobs.show(store, HEALTH, queued.id).interrupted


def test_a_runner_between_fork_and_exec_is_not_taken_for_dead(store, people) -> None:  # type: ignore[no-untyped-def]
    """Launched and not yet claiming, a runner may still carry the server's command line
    (this process's here): alive is enough. Once it has claimed, it must be running the job."""
    job = import_jobs.start(store, HEALTH, b"x", department="health", filename="h.csv",
                            launch=False)  # fmt: skip
    _set(store, job.id, runner_pid=os.getpid(), runner_host=import_jobs.HOST)
    assert import_jobs.show(store, HEALTH, job.id).status == "queued"
    _set(store, job.id, status="running")  # this process runs no job: a reused pid
    assert import_jobs.show(store, HEALTH, job.id).interrupted
    queued = import_jobs.start(store, HEALTH, b"x", department="health", filename="i.csv",
                               launch=False)  # fmt: skip
    _set(store, queued.id, runner_pid=_dead_pid(), runner_host=import_jobs.HOST)
    assert import_jobs.show(store, HEALTH, queued.id).interrupted  # died before claiming


def test_a_server_starting_marks_jobs_of_dead_runners(store, people) -> None:  # type: ignore[no-untyped-def]
    job = import_jobs.start(store, HEALTH, b"x", department="health", filename="f.csv",
                            launch=False)  # fmt: skip
    _set(store, job.id, status="running", runner_pid=_dead_pid(), runner_host=import_jobs.HOST)
    row = table("import_job")
    with TestClient(create_app(store)), store.engine.connect() as conn:  # the server starts
        status, error = conn.execute(
            select(row.c.status, row.c.error).where(row.c.id == job.id)
        ).one()
    assert status == "failed" and '"interrupted"' in error


def test_jobs_cli_lists_shows_and_reruns(store, database_url, people) -> None:  # type: ignore[no-untyped-def]
    data, phones = _csv(people, 5, prefix="1394444")
    job = import_jobs.start(store, HEALTH, data, department="health", filename="g.csv",
                            launch=False)  # fmt: skip
    _set(store, job.id, status="running", runner_pid=_dead_pid(), runner_host=import_jobs.HOST)
    cli = [sys.executable, "-m", "onesheet.cli.main"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cli, "jobs", *args], env=_env(database_url),
                              capture_output=True, text=True, timeout=180)  # fmt: skip

    listed = run("list")
    assert listed.returncode == 0, listed.stderr
    assert job.id in listed.stdout and "中断" in listed.stdout
    shown = run("show", job.id)
    assert "中断" in shown.stdout and f"onesheet jobs rerun {job.id}" in shown.stdout
    rerun = run("rerun", job.id)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "已完成" in rerun.stdout and "写入 15 条" in rerun.stdout
    assert _phones(store) == phones
    again = run("run", job.id)
    assert again.returncode == 2 and "不在排队中" in again.stderr
    missing = run("show", "nope")
    assert missing.returncode == 2 and "没有导入任务" in missing.stderr
