"""Audit events of reads that cannot wait for SQLite's write lock: a durable spool.

Why: every read of personal data is audited, and on SQLite writing the event needs the one
write lock, which an import holds for its whole write stage (a batch is one transaction, all
or nothing). So a read service on SQLite runs in a read-only snapshot (``Store.audited_read``)
and only collects its events (``audit.write_event`` sees ``DEFERRED`` on the connection);
once the read is done, and before its data goes out, ``flush`` writes them: into the audit
tables when the lock comes within ``FLUSH_WAIT_MS``, else appended to the spool beside the
database file and fsync'd. A read therefore never waits for an import, and no read goes out
unaudited. PostgreSQL needs none of this (an INSERT does not wait for another transaction).

The spool is drained into ``audit_event``/``audit_entity`` in spool order by the next writer
that holds the lock: a ``flush`` before its own events, and ``Store.transaction`` before it
begins (``drain_pending``), so an event that waited comes before anything written after it,
and an audit query sees it. Files, beside ``<db>``:

* ``<db>-auditspool``: appended (one JSON line per event, under the lock file's flock);
* ``<db>-auditspool.<g>``: segment ``g``, the spool renamed by a drainer, being drained;
* ``<db>-auditspool.lock``: the flock that keeps appends and the drainer's rename apart.

Exactly once, whatever is killed when: the ``id_counter`` row ``audit-spool`` holds the next
segment number to drain. A drain renames the spool to segment ``g`` (once; a segment left by
a killed drainer is drained as it is), inserts its events and advances the row in one
transaction, run with ``synchronous=FULL`` so the commit is on disk; only then is the segment
deleted. A segment below the row's number is already in the table and is only deleted.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Insert, insert, select, update
from sqlalchemy.exc import OperationalError

from onesheet.store.bulk import bulk_insert
from onesheet.store.schema import table

DEFERRED = "onesheet_audit_deferred"  # conn.info key: the read's events, kept for ``flush``
FLUSH_WAIT_MS = 20  # how long a read's flush waits for the write lock before spooling (a few
# short writes; an import's write stage is minutes, and 200 ms here was most of a read's time)
SPOOL_ROW = "audit-spool"  # id_counter row: the next segment number to drain
SUFFIX = "-auditspool"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pending:
    """One audit event not yet in the table: its ``audit_event`` columns (``at`` a naive
    UTC datetime) and every entity id it touched."""

    values: dict[str, Any]
    ids: list[int]

    def line(self) -> str:
        values = {**self.values, "at": self.values["at"].isoformat()}
        return json.dumps({"v": values, "ids": self.ids}, ensure_ascii=False) + "\n"

    @classmethod
    def parse(cls, line: str) -> Pending:
        got = json.loads(line)
        values = dict(got["v"])
        values["at"] = datetime.fromisoformat(values["at"])
        return cls(values, [int(i) for i in got["ids"]])


class LockBusy(Exception):
    """SQLite's write lock did not come within the wait asked for."""


def spool_path(engine: Engine) -> Path | None:
    """The spool of a file-backed SQLite database, or None (PostgreSQL, in-memory)."""
    if engine.dialect.name != "sqlite":
        return None
    db = engine.url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(os.path.abspath(db) + SUFFIX)


def is_busy(exc: BaseException) -> bool:
    """True for SQLite's 'database is locked' (the busy timeout ran out)."""
    orig = getattr(exc, "orig", exc)
    return isinstance(orig, sqlite3.OperationalError) and (
        getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY
        or "database is locked" in str(orig)
    )


@contextmanager
def writing(
    engine: Engine, *, wait_ms: int | None = None, durable: bool = False
) -> Iterator[Connection]:
    """A write transaction of the store's own engine (``BEGIN IMMEDIATE`` on SQLite) that
    waits at most ``wait_ms`` for the lock - ``LockBusy`` if it does not come (without
    ``wait_ms``: the connection's busy timeout, then SQLite's own error) - and, with
    ``durable``, commits with ``synchronous=FULL`` (on disk before it returns). Both are
    per-connection settings made before BEGIN (SQLite refuses them inside a transaction) and
    put back after, so the pooled connection goes back as it came."""
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        busy = int(raw.execute("PRAGMA busy_timeout").fetchone()[0])
        if wait_ms is not None:
            raw.execute(f"PRAGMA busy_timeout={int(wait_ms)}")
        if durable:
            raw.execute("PRAGMA synchronous=FULL")
        try:
            try:
                tx = conn.begin()
            except OperationalError as exc:
                if wait_ms is not None and is_busy(exc):
                    raise LockBusy(str(exc)) from exc
                raise
            with tx:
                yield conn
        finally:
            raw.execute(f"PRAGMA busy_timeout={busy}")
            if durable:
                raw.execute("PRAGMA synchronous=NORMAL")


# ------------------------------------------------------------------------------ the files
@contextmanager
def _flocked(path: Path) -> Iterator[None]:
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def append(path: Path, events: Sequence[Pending]) -> None:
    """Append ``events`` to the spool and fsync it (and, for a new file, its folder):
    when this returns they survive a kill -9 of any process and a power cut."""
    data = "".join(e.line() for e in events).encode()
    with _flocked(path):
        new = not path.exists()
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":  # a write cut short by a kill
                data = b"\n" + data  # ends that line; it is skipped as unreadable
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if new:
            _fsync_dir(path.parent)


def _segments(path: Path) -> dict[int, Path]:
    prefix = path.name + "."
    out: dict[int, Path] = {}
    for entry in os.scandir(path.parent):
        tail = entry.name[len(prefix) :] if entry.name.startswith(prefix) else ""
        if tail.isdigit():
            out[int(tail)] = Path(entry.path)
    return out


_looked: set[Path] = set()  # spools whose folder this process has listed once


def has_pending(path: Path | None) -> bool:
    """Whether anything waits in the spool: one ``stat`` (a segment a killed drainer left
    behind is looked for once per process, by listing the folder)."""
    if path is None:
        return False
    with contextlib.suppress(FileNotFoundError):
        if path.stat().st_size:
            return True
    if path not in _looked:
        _looked.add(path)
        return bool(_segments(path))
    return False


def read(path: Path | None, drained_to: int = 0) -> list[Pending]:
    """Every event still in the spool (segments from ``drained_to`` - the ``SPOOL_ROW``
    counter - first, oldest first), without draining: for audit answers that must not
    leave out what waits while the write lock is taken."""
    if path is None:
        return []
    out: list[Pending] = []
    segments = sorted((n, p) for n, p in _segments(path).items() if n >= drained_to)
    for file in [*(p for _, p in segments), path]:
        with contextlib.suppress(FileNotFoundError):
            out += read_segment(file)
    return out


def waiting(conn: Connection) -> list[Pending]:
    """The events still in the spool of ``conn``'s database (none on PostgreSQL): what an
    audit answer read in a snapshot adds to the table's rows. The segments the snapshot's
    ``audit-spool`` row says are in the table already are left out."""
    path = spool_path(conn.engine)
    if not has_pending(path) and not (path and _segments(path)):
        return []
    counters = table("id_counter")
    drained_to = conn.execute(
        select(counters.c.next_value).where(counters.c.name == SPOOL_ROW)
    ).scalar_one_or_none()
    return read(path, int(drained_to or 0))


# ---------------------------------------------------------------------------- the drain
@cache
def _insert() -> Insert:
    """Built once: a read's flush runs it on every audited read on SQLite."""
    return insert(table("audit_event"))


def insert_event(conn: Connection, values: dict[str, Any], ids: Sequence[int]) -> int:
    """One audit event row and its ``audit_entity`` rows (every id), the two-statement
    write; returns the event's id. ``audit.write_event`` and the drain both write this way."""
    event_id = int(conn.execute(_insert(), values).inserted_primary_key[0])  # type: ignore[index]
    if ids:
        county = values.get("county_code")
        bulk_insert(
            conn,
            "audit_entity",
            ("event_id", "entity_id", "county_code"),
            [(event_id, i, county) for i in ids],
        )
    return event_id


def drain(conn: Connection, path: Path | None) -> int:
    """Move every spooled event into the audit tables, in spool order, in ``conn``'s
    transaction, which must hold the write lock. Returns the segment number drained to:
    once the transaction is committed durably, ``tidy`` deletes the segments below it."""
    if path is None:
        return 0
    counters = table("id_counter")
    found = conn.execute(
        select(counters.c.next_value).where(counters.c.name == SPOOL_ROW)
    ).scalar_one_or_none()
    start = generation = int(found or 0)
    while True:
        segment = Path(f"{path}.{generation}")
        with _flocked(path):  # no append between the size check and the rename
            if not segment.exists() and path.exists() and path.stat().st_size:
                os.rename(path, segment)
                _fsync_dir(path.parent)
        if not segment.exists():
            break
        for event in read_segment(segment):
            insert_event(conn, event.values, event.ids)
        generation += 1
    if generation != start:
        if found is None:
            conn.execute(insert(counters).values(name=SPOOL_ROW, next_value=generation))
        else:
            conn.execute(
                update(counters).where(counters.c.name == SPOOL_ROW).values(next_value=generation)
            )
    return generation


def read_segment(segment: Path) -> list[Pending]:
    """The events of one spool file, in order. A line that is not a whole event - a write
    cut short by a kill, whose read was never answered - is skipped (and logged)."""
    out: list[Pending] = []
    text = segment.read_text(encoding="utf-8", errors="replace")
    for line in text.splitlines(keepends=True):
        try:
            if not line.endswith("\n"):
                raise ValueError("no end of line")
            out.append(Pending.parse(line))
        except (ValueError, KeyError, TypeError):
            log.warning("audit spool %s: skipped a cut-short line %r", segment, line[:80])
    return out


def tidy(path: Path | None, drained_to: int) -> None:
    """Delete the segments below ``drained_to`` (in the table, committed durably)."""
    if path is None:
        return
    for number, segment in _segments(path).items():
        if number < drained_to:
            segment.unlink(missing_ok=True)


def drain_pending(engine: Engine, *, wait_ms: int | None = None) -> None:
    """Drain the spool in a durable transaction of its own if anything waits in it (what
    ``Store.transaction`` runs first on SQLite, so an event that waited is written before
    anything the transaction writes, and an audit query in it sees every event)."""
    path = spool_path(engine)
    if not has_pending(path):
        return
    with writing(engine, wait_ms=wait_ms, durable=True) as conn:
        drained_to = drain(conn, path)
    tidy(path, drained_to)


def flush(engine: Engine, events: Sequence[Pending]) -> bool:
    """Write a read's events: into the tables (after whatever waits in the spool) when the
    write lock comes within ``FLUSH_WAIT_MS``, else into the spool, fsync'd. Returns
    whether they were spooled. A drain here commits durably when the spool was seen to hold
    something before BEGIN; one seen only after (a race) is drained without that, and its
    segment is then kept until a durable drain deletes it (the counter row still says it
    is in the table, so it is never inserted twice)."""
    if not events:
        return False
    path = spool_path(engine)
    durable = has_pending(path)
    drained_to: int | None = None
    try:
        with writing(engine, wait_ms=FLUSH_WAIT_MS, durable=durable) as conn:
            if durable or has_pending(path):
                drained_to = drain(conn, path)
            for event in events:
                insert_event(conn, event.values, event.ids)
    except LockBusy:
        if path is None:
            raise
        append(path, events)
        return True
    if durable and drained_to is not None:
        tidy(path, drained_to)
    return False
