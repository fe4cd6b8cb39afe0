"""The ``import_job`` table: imports started over the API, kept where every worker sees them.

Each change of a job is one small statement meant for a short transaction of its own: the
runner claims a job, reports progress and finishes it, and readers mark a job whose runner
died as interrupted. Every state change is guarded in its WHERE clause (status, attempt),
so two processes racing on one job cannot both win: the loser's UPDATE matches no row.
The uploaded bytes stay in ``data`` until the job finishes, so a runner process on any host
reads them from the database, and an interrupted job can be run again.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    MetaData,
    Table,
    select,
    update,
)

from onesheet.store.migrations.frozen import revision_module

ACTIVE = ("queued", "running")


def import_job_table(md: MetaData) -> Table:
    """Add ``import_job`` to ``md`` (once), as migration 0012 created and defines it."""
    if "import_job" not in md.tables:
        revision_module("0012").tables(md)
    return md.tables["import_job"]


def shareable_url(engine: Engine) -> str:
    """The engine's URL as another process can open it: the password kept, a SQLite file
    path made absolute (the runner may start elsewhere). An in-memory database cannot be
    shared with another process: ValueError."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:") or "mode=memory" in str(url):
            raise ValueError("an in-memory SQLite database cannot be opened by another process")
        url = url.set(database=os.path.abspath(url.database))
    return url.render_as_string(hide_password=False)


def _t() -> Table:
    from onesheet.store.schema import table

    return table("import_job")


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _row(mapping: Any) -> dict[str, Any]:
    row = dict(mapping)
    for key in ("options", "summary", "error"):
        if key in row and row[key] is not None:
            row[key] = json.loads(row[key])
    return row


def insert(
    conn: Connection,
    job_id: str,
    *,
    owner: str,
    county: str | None,
    file: str,
    department: str,
    entity: str,
    options: dict[str, Any],
    data: bytes,
    now: datetime,
) -> None:
    """A new queued job holding the upload."""
    conn.execute(
        _t()
        .insert()
        .values(
            id=job_id,
            owner=owner,
            county=county,
            file=file,
            department=department,
            entity=entity,
            options=_dump(options),
            data=data,
            status="queued",
            stage="queued",
            done=0,
            total=0,
            attempt=1,
            created_at=now,
            heartbeat_at=now,
        )
    )


def _visible(t: Table) -> list[Any]:
    """Every column but the upload, plus whether the upload is still held."""
    return [*[c for c in t.c if c.name != "data"], t.c.data.is_not(None).label("has_data")]


def get(conn: Connection, job_id: str) -> dict[str, Any] | None:
    """One job without its upload, JSON columns decoded."""
    t = _t()
    found = conn.execute(select(*_visible(t)).where(t.c.id == job_id)).first()
    return _row(found._mapping) if found else None


def listing(
    conn: Connection, *, owner: str | None, county: str | None, limit: int
) -> list[dict[str, Any]]:
    """The newest jobs first: ``owner``'s (None: anyone's), or those of ``county`` too."""
    t = _t()
    q = select(*_visible(t))
    if owner is not None and county is not None:
        q = q.where((t.c.owner == owner) | (t.c.county == county))
    elif owner is not None:
        q = q.where(t.c.owner == owner)
    q = q.order_by(t.c.created_at.desc(), t.c.id).limit(limit)
    return [_row(r._mapping) for r in conn.execute(q)]


def active(conn: Connection) -> list[dict[str, Any]]:
    """Every queued or running job (without uploads): the ones a dead runner could leave."""
    t = _t()
    q = select(*_visible(t)).where(t.c.status.in_(ACTIVE))
    return [_row(r._mapping) for r in conn.execute(q)]


def set_launched(conn: Connection, job_id: str, attempt: int, pid: int, host: str) -> None:
    """Record the process started to run a queued job (before it has claimed it), so a
    runner that dies before claiming is noticed like one that dies later."""
    t = _t()
    conn.execute(
        update(t)
        .where(t.c.id == job_id, t.c.attempt == attempt, t.c.status == "queued")
        .values(runner_pid=pid, runner_host=host)
    )


def claim(conn: Connection, job_id: str, *, pid: int, host: str, now: datetime) -> int | None:
    """Take a queued job for this process: its attempt number, or None when another runner
    took it first (or it is not queued). One UPDATE guarded by the status, so exactly one
    of two claimants matches the row."""
    t = _t()
    attempt = conn.execute(
        select(t.c.attempt).where(t.c.id == job_id, t.c.status == "queued")
    ).scalar()
    if attempt is None:
        return None
    took = conn.execute(
        update(t)
        .where(t.c.id == job_id, t.c.status == "queued", t.c.attempt == attempt)
        .values(
            status="running",
            stage="read",
            runner_pid=pid,
            runner_host=host,
            started_at=now,
            heartbeat_at=now,
        )
    )
    return int(attempt) if took.rowcount == 1 else None


def upload(conn: Connection, job_id: str) -> bytes | None:
    t = _t()
    return conn.execute(select(t.c.data).where(t.c.id == job_id)).scalar()  # type: ignore[no-any-return]


def progress(
    conn: Connection,
    job_id: str,
    attempt: int,
    *,
    stage: str,
    done: int,
    total: int,
    now: datetime,
) -> bool:
    """The runner's heartbeat with its stage and rows; False once the job is no longer this
    attempt's to report on."""
    t = _t()
    moved = conn.execute(
        update(t)
        .where(t.c.id == job_id, t.c.attempt == attempt, t.c.status == "running")
        .values(stage=stage, done=done, total=total, heartbeat_at=now)
    )
    return moved.rowcount == 1


def finish(
    conn: Connection,
    job_id: str,
    attempt: int,
    *,
    status: str,
    stage: str,
    done: int,
    total: int,
    summary: dict[str, Any] | None,
    error: dict[str, Any] | None,
    now: datetime,
) -> bool:
    """Record how this attempt ended and drop the upload. It overrides an "interrupted"
    verdict a reader reached for this attempt meanwhile: what the runner saw is the truth."""
    t = _t()
    moved = conn.execute(
        update(t)
        .where(t.c.id == job_id, t.c.attempt == attempt)
        .values(
            status=status,
            stage=stage,
            done=done,
            total=total,
            summary=_dump(summary),
            error=_dump(error),
            finished_at=now,
            heartbeat_at=now,
            data=None,
        )
    )
    return moved.rowcount == 1


def mark_interrupted(
    conn: Connection, job_id: str, attempt: int, *, error: dict[str, Any], now: datetime
) -> bool:
    """Fail the attempt whose runner is gone, keeping the upload for a rerun; False when
    the job moved on meanwhile (finished, or run again)."""
    t = _t()
    moved = conn.execute(
        update(t)
        .where(t.c.id == job_id, t.c.attempt == attempt, t.c.status.in_(ACTIVE))
        .values(status="failed", error=_dump(error), finished_at=now)
    )
    return moved.rowcount == 1


def requeue(conn: Connection, job_id: str, attempt: int, *, now: datetime) -> bool:
    """Queue a failed job that still holds its upload (an interrupted one) as a new
    attempt; False when it is not in that state (any more)."""
    t = _t()
    moved = conn.execute(
        update(t)
        .where(
            t.c.id == job_id,
            t.c.attempt == attempt,
            t.c.status == "failed",
            t.c.data.is_not(None),
        )
        .values(
            status="queued",
            stage="queued",
            done=0,
            total=0,
            summary=None,
            error=None,
            attempt=attempt + 1,
            started_at=None,
            finished_at=None,
            heartbeat_at=now,
            runner_pid=None,
            runner_host=None,
        )
    )
    return moved.rowcount == 1
