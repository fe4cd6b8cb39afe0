"""Import jobs: an upload is kept as a job in the database and run by a process of its own.

``start`` stores the upload as a queued ``import_job`` row and launches a runner process
(``onesheet.cli.jobs_cmd run JOB``; the ``job_runner`` setting may change or wrap the
command). The runner (``run_job``) claims the job — one guarded UPDATE, so two runners never
run one job — re-loads the owner's account as the actor, and calls the same
``services.data_import.import_file`` as the CLI: one batch, all or nothing.

Why a process and not a thread of the web worker: the import is CPU-bound Python, and a
thread holding the GIL stalled the worker's event loop for seconds (at 100 req/s uvicorn
even killed the worker, and the import with it). A job in the database is also seen by
every worker and outlives a restart of the server; a runner started by a server keeps
running when that server is killed.

Progress: ``import_file`` reports stage and rows to the runner in memory; a heartbeat
thread writes them (at most once per ``HEARTBEAT_SECONDS``) in short transactions of its
own, never inside the import's write transaction. On SQLite nothing else can write while
that transaction holds the lock, so the runner records the ``write`` stage just before the
import opens it, and the heartbeat resumes after the commit.

Interrupted jobs: a queued or running job whose runner is gone — on this host its pid no
longer runs this job; on another host no heartbeat for ``STALE_SECONDS`` — is failed with
reason ``interrupted`` (中断) when it is read and when a server starts. The import's
transaction never committed, so nothing was written; the upload is kept and ``rerun``
queues the job again as a new attempt (a rerun of an import that did commit just before
the kill answers ``already_imported``, by its content hash).
"""

from __future__ import annotations

import logging
import os
import secrets
import shlex
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from onesheet.domain.access import CLI_ADMIN, AccessDenied, Actor
from onesheet.domain.findings import Finding, InvalidInput
from onesheet.services.base import Store, service, utcnow
from onesheet.services.data_import import ImportSummary, import_file
from onesheet.settings import get_settings
from onesheet.store import import_jobs as jobs
from onesheet.store import users
from onesheet.store.db import Connection, OperationalError, PoolTimeout
from onesheet.store.priority import lower_backend_priority

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 1.0
"""How often a runner writes its progress and heartbeat."""
STALE_SECONDS = 120.0
"""A runner on another host with no heartbeat for this long is taken as gone."""
INTERRUPTED = "interrupted"
HOST = socket.gethostname()
RUNNER_MODULE = "onesheet.cli.jobs_cmd"
LIST_LIMIT = 50

INTERRUPTED_ZH = (
    "导入中断：运行导入的进程已退出（被终止或服务器重启）。导入在一个事务中进行，"
    "未提交的内容不会留下；可重新运行此任务"
)
INTERRUPTED_EN = (
    "interrupted: the process running the import is gone (killed or the server restarted); "
    "the import is one transaction, so nothing uncommitted was left; the job can be run again"
)


class UnknownJob(LookupError):
    """No such job — or one the caller may not see (job ids reveal nothing)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"没有导入任务 {job_id} (no such job)")
        self.job_id = job_id


class JobNotRerunnable(Exception):
    """Only a job that failed without finishing (interrupted) still holds its upload."""

    def __init__(self, job_id: str, status: str) -> None:
        super().__init__(
            f"导入任务 {job_id} 状态为 {STATUS_ZH.get(status, status)}，只有中断的任务可重新运行"
            f" (job {job_id} is {status}; only an interrupted job can be run again)"
        )
        self.job_id, self.status = job_id, status


class JobNotQueued(Exception):
    """A runner asked for a job that is not waiting (another runner claimed it first)."""

    def __init__(self, job_id: str, status: str | None) -> None:
        what = STATUS_ZH.get(status or "", "不存在")
        super().__init__(
            f"导入任务 {job_id} 不在排队中（{what}），未运行 "
            f"(job {job_id} is not queued: {status or 'unknown'}; not run)"
        )
        self.job_id, self.status = job_id, status


STATUS_ZH = {"queued": "排队中", "running": "运行中", "done": "已完成", "failed": "失败"}


@dataclass(frozen=True)
class JobView:
    """One job as its owner sees it (never the upload itself)."""

    id: str
    owner: str
    file: str
    department: str
    entity: str
    county: str | None
    status: str
    stage: str
    done: int
    total: int
    summary: dict[str, Any] | None
    error: dict[str, Any] | None
    attempt: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime
    runner_pid: int | None
    runner_host: str | None
    rerunnable: bool

    @property
    def interrupted(self) -> bool:
        return bool(self.error) and self.error.get("reason") == INTERRUPTED  # type: ignore[union-attr]


def _view(row: Mapping[str, Any]) -> JobView:
    fields = {k: row[k] for k in JobView.__dataclass_fields__ if k in row}
    fields["rerunnable"] = row["status"] == "failed" and bool(row["has_data"])
    return JobView(**fields)


# ------------------------------------------------------------------------------ use cases
@service("import_jobs.start", permission="data.import", audit=None)
def start(
    store: Store,
    actor: Actor,
    data: bytes,
    *,
    department: str,
    filename: str,
    entity: str = "person",
    mapping: Mapping[str, str] | None = None,
    county_code: str | None = None,
    dry_run: bool = False,
    launch: bool = True,
) -> JobView:
    """Keep the upload as a queued job and start its runner process (``launch``)."""
    job_id = secrets.token_hex(12)  # hex: never read as an option on the runner's argv
    options = {"mapping": dict(mapping or {}), "dry_run": dry_run, "county": county_code}
    with store.transaction() as conn:
        jobs.insert(
            conn,
            job_id,
            owner=actor.username,
            county=county_code or actor.county_code,
            file=filename,
            department=department,
            entity=entity,
            options=options,
            data=data,
            now=utcnow(),
        )
    if launch:
        _launch(store, job_id, 1)
    return _read(store, job_id)


@service("import_jobs.show", permission="data.import", audit=None)
def show(store: Store, actor: Actor, job_id: str) -> JobView:
    """The job if the caller started it (an administrator: any of its county); a job whose
    runner is gone is failed as interrupted first."""
    with store.reading() as conn:
        row = jobs.get(conn, job_id)
    if row is None or not _may_see(actor, row):
        raise UnknownJob(job_id)
    return _checked(store, row)


@service("import_jobs.list", permission="data.import", audit=None)
def list_jobs(store: Store, actor: Actor, *, limit: int = LIST_LIMIT) -> list[JobView]:
    """The caller's jobs, newest first (an administrator: every job of its county, or all)."""
    owner: str | None = actor.username
    county = None
    if actor.role == "admin":
        owner, county = (None, None) if actor.county_code is None else (owner, actor.county_code)
    with store.reading() as conn:
        rows = jobs.listing(conn, owner=owner, county=county, limit=limit)
    return [_checked(store, row) for row in rows]


@service("import_jobs.rerun", permission="data.import", audit=None)
def rerun(store: Store, actor: Actor, job_id: str, *, launch: bool = True) -> JobView:
    """Queue an interrupted job again (a new attempt over the kept upload) and start it."""
    job = show(store, actor, job_id)
    if not job.rerunnable:
        raise JobNotRerunnable(job_id, job.status)
    with store.transaction() as conn:
        if not jobs.requeue(conn, job_id, job.attempt, now=utcnow()):
            raise JobNotRerunnable(job_id, _read(store, job_id).status)
    if launch:
        _launch(store, job_id, job.attempt + 1)
    return _read(store, job_id)


def recover_interrupted(store: Store) -> int:
    """Fail every queued or running job whose runner is gone (a server calls this as it
    starts); how many. Not a service: there is no caller, and it reads no personal data."""
    with store.reading() as conn:
        rows = jobs.active(conn)
    return sum(_checked(store, row).interrupted for row in rows)


def run_job(
    store: Store,
    job_id: str,
    *,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
    backend_nice: int = 0,
) -> JobView:
    """Claim a queued job in this process and run its import as the job's owner.

    ``backend_nice`` lowers the CPU priority of the PostgreSQL backends the import drives,
    where that is allowed (see ``store.priority``): most of an import's CPU is theirs.

    Not a service of its own: it acts as no one until it has loaded the owner's account,
    and ``import_file`` — the service it runs — checks that actor's permission and scope
    and writes the audit event, exactly as when the owner imports from the CLI.
    """
    lower_backend_priority(store.engine, backend_nice)
    with store.transaction() as conn:
        attempt = jobs.claim(conn, job_id, pid=os.getpid(), host=HOST, now=utcnow())
        row = jobs.get(conn, job_id)
        data = jobs.upload(conn, job_id) if attempt is not None else None
    if attempt is None or row is None or data is None:
        raise JobNotQueued(job_id, row["status"] if row else None)
    tracker = _Tracker(store, job_id, attempt, heartbeat_seconds)
    outcome: tuple[str, dict[str, Any] | None, dict[str, Any] | None]
    try:
        summary = import_file(
            _RunnerStore(store.engine, store.dictionary, store.grants, tracker.before_write),
            _owner(store, row["owner"]),
            data,
            department=row["department"],
            filename=row["file"],
            entity=row["entity"],
            mapping=row["options"]["mapping"] or None,
            county_code=row["options"]["county"],
            dry_run=row["options"]["dry_run"],
            progress=tracker.update,
        )
        outcome = ("done", _summary_json(summary), None)
    except InvalidInput as exc:  # the file or its mapping needs a person: say what
        outcome = ("failed", None, {"detail": exc.message("zh"), "findings": _findings(exc)})
    except AccessDenied as exc:
        outcome = ("failed", None, {"detail": exc.message_zh, "detail_en": exc.message_en})
    except Exception as exc:  # reported by the job; the transaction left nothing behind
        log.exception("import job %s failed", job_id)
        outcome = ("failed", None, {"detail": f"{type(exc).__name__}: {exc}"})
    finally:
        tracker.stop()
    status, result, error = outcome
    with store.transaction() as conn:
        jobs.finish(conn, job_id, attempt, status=status, summary=result, error=error,
                    now=utcnow(), **tracker.state())  # fmt: skip
    return _read(store, job_id)


# ------------------------------------------------------------------------------- helpers
def _summary_json(s: ImportSummary) -> dict[str, Any]:
    """The summary as the API has always shown it (findings with Chinese messages)."""
    data = asdict(s)
    data["findings"] = [_finding_json(f) for f in s.findings]
    return data


def _finding_json(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "row": f.row,
        "column": f.column,
        "field": f.field,
        "message": f.message_zh,
        "message_en": f.message_en,
    }


def _findings(exc: InvalidInput) -> list[dict[str, Any]]:
    return [_finding_json(f) for f in exc.findings]


def _read(store: Store, job_id: str) -> JobView:
    with store.reading() as conn:
        row = jobs.get(conn, job_id)
    if row is None:
        raise UnknownJob(job_id)
    return _view(row)


def _may_see(actor: Actor, row: Mapping[str, Any]) -> bool:
    if row["owner"] == actor.username:
        return True
    if actor.role != "admin":
        return False
    return actor.county_code is None or row["county"] == actor.county_code


def _checked(store: Store, row: Mapping[str, Any]) -> JobView:
    """The job, failed as interrupted first if its runner is gone."""
    if not _runner_gone(row, utcnow()):
        return _view(row)
    error = {"reason": INTERRUPTED, "detail": INTERRUPTED_ZH, "detail_en": INTERRUPTED_EN}
    with store.transaction() as conn:
        jobs.mark_interrupted(conn, row["id"], row["attempt"], error=error, now=utcnow())
    return _read(store, row["id"])


def _runner_gone(row: Mapping[str, Any], now: datetime) -> bool:
    """On this host the pid decides (a runner may hold SQLite's lock long enough to miss
    heartbeats); elsewhere, or before any runner was recorded, the heartbeat's age.

    A launched runner that has not claimed its job yet may still be between fork and exec,
    with the server's command line: until it claims (or ``STALE_SECONDS`` pass) being alive
    is enough. A runner that claimed the job must be running it: its command line names the
    job, so a reused pid does not count."""
    if row["status"] not in jobs.ACTIVE:
        return False
    stale = (now - row["heartbeat_at"]).total_seconds() > STALE_SECONDS
    if row["runner_pid"] is None or row["runner_host"] != HOST:
        return stale
    pid = int(row["runner_pid"])
    if row["status"] == "queued":
        return stale or not _runs(pid, None)
    return not _runs(pid, row["id"])


def _runs(pid: int, job_id: str | None) -> bool:
    """Whether process ``pid`` is alive (not a zombie) and, given ``job_id``, running it."""
    proc = Path(f"/proc/{pid}")
    if Path("/proc/self").exists():
        try:
            if proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return False
            return job_id is None or job_id.encode() in proc.joinpath("cmdline").read_bytes()
        except (OSError, IndexError):
            return False
    try:  # no /proc: only whether the pid is alive
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner(store: Store, username: str) -> Actor:
    """The job's owner as an actor, re-read now: a disabled account imports nothing."""
    with store.reading() as conn:
        row = users.get_user(conn, username)
    if row is None and username == CLI_ADMIN.username:
        return CLI_ADMIN
    if row is None or row.get("disabled_at") is not None:
        raise AccessDenied(
            f"用户 {username} 不存在或已停用，导入未运行", f"user {username} is unknown or disabled"
        )
    return Actor(row["username"], row["role"], row["org_code"] or None, row["department"])


def _runner_command(job_id: str) -> list[str]:
    configured = get_settings().job_runner
    head = shlex.split(configured) if configured else [sys.executable, "-m", RUNNER_MODULE, "run"]
    return [*head, job_id]


def _launch(store: Store, job_id: str, attempt: int) -> None:
    """Start the runner process for ``attempt`` of the job and record its pid; a runner
    that cannot start leaves the job interrupted (upload kept, rerunnable) with the reason."""
    try:
        env = {**os.environ, "ONESHEET_DATABASE_URL": jobs.shareable_url(store.engine)}
        proc = subprocess.Popen(
            _runner_command(job_id),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,  # a server stopped with Ctrl-C leaves its imports running
        )
    except (OSError, ValueError) as exc:
        error = {
            "reason": INTERRUPTED,
            "detail": f"无法启动导入进程：{exc}",
            "detail_en": f"the import process could not start: {exc}",
        }
        with store.transaction() as conn:
            jobs.mark_interrupted(conn, job_id, attempt, error=error, now=utcnow())
        return
    # reap it when it ends, so no zombie is left in a long-running server
    threading.Thread(target=proc.wait, name=f"reap-{job_id}", daemon=True).start()
    with store.transaction() as conn:
        jobs.set_launched(conn, job_id, attempt, proc.pid, HOST)


class _Tracker:
    """The runner's progress: updated in memory by the import, written by a heartbeat
    thread in short transactions of its own."""

    def __init__(self, store: Store, job_id: str, attempt: int, every: float) -> None:
        self.store, self.job_id, self.attempt, self.every = store, job_id, attempt, every
        self.stage, self.done, self.total = "read", 0, 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"beat-{job_id}", daemon=True)
        self._thread.start()

    def update(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            self.stage, self.done, self.total = stage, done, total

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {"stage": self.stage, "done": self.done, "total": self.total}

    def before_write(self) -> None:
        """The import is about to open a transaction: on SQLite nothing else can write until
        it commits, so say now that it is writing."""
        with self._lock:
            if self.stage != "write":
                self.stage, self.done = "write", 0
        self._write()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            self._write()

    def _write(self) -> None:
        state = self.state()
        try:
            with self.store.transaction() as conn:
                jobs.progress(conn, self.job_id, self.attempt, now=utcnow(), **state)
        except (OperationalError, PoolTimeout):  # SQLite: the import holds the write lock
            log.debug("import job %s: progress not written this time", self.job_id)


@dataclass
class _RunnerStore(Store):
    """The runner's store: it lets the tracker write just before each transaction."""

    before_transaction: Callable[[], None] | None = None

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        if self.before_transaction is not None:
            self.before_transaction()
        with super().transaction() as conn:
            yield conn
