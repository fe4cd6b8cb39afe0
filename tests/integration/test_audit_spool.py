"""The audit spool on SQLite (``store/audit_spool``): a read whose audit event cannot get the
write lock at once - an import holds it for its whole write stage - spools the event, fsync'd,
and answers; the next writer drains the spool into the audit tables, in spool order, before
its own writes, exactly once even when a drainer died half-way. The lock is held by a second
real SQLite connection in ``BEGIN IMMEDIATE``, as an import's write transaction holds it.
(The same through a real server and a kill -9 after the spool write:
``tests/faults/test_kill.py::test_audit_of_a_read_during_an_import_survives_a_kill``.)
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from onesheet.domain.access import Actor
from onesheet.services.base import Store, utcnow
from onesheet.store import audit, audit_spool

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
CADRE = Actor("cadre9", "village", "330523101201")


@contextmanager
def _import_holds_the_lock(store: Store) -> Iterator[None]:
    """Another connection in ``BEGIN IMMEDIATE`` for the duration of the block."""
    raw = sqlite3.connect(str(store.engine.url.database), isolation_level=None, timeout=30)
    raw.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        raw.execute("ROLLBACK")
        raw.close()


def _read(store: Store, detail: str, ids: list[int]) -> float:
    """An audited read (its event only); seconds it took."""
    began = time.perf_counter()
    with store.audited_read() as conn:
        conn.execute(text("SELECT count(*) FROM audit_event")).scalar()
        audit.write_event(conn, CADRE, "tasks.read", now=utcnow(), entity_ids=ids, detail=detail)
    return time.perf_counter() - began


def _events(store: Store) -> list[tuple[str, str, int]]:
    with store.reading() as conn:  # a snapshot: never waits for the lock
        rows = conn.execute(
            text(
                "SELECT action, detail, entity_count FROM audit_event "
                "WHERE actor IN ('cadre9', 'writer') ORDER BY id"
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def _entities(store: Store, detail: str) -> list[int]:
    with store.reading() as conn:
        rows = conn.execute(
            text(
                "SELECT a.entity_id FROM audit_entity a JOIN audit_event e ON e.id = a.event_id "
                "WHERE e.detail = :d ORDER BY a.entity_id"
            ),
            {"d": detail},
        )
        return [r[0] for r in rows]


def _write(store: Store, detail: str) -> None:
    with store.transaction() as conn:
        audit.write_event(conn, Actor("writer", "admin", None), "sheet.correct", now=utcnow(),
                          detail=detail)  # fmt: skip


def _spool(store: Store) -> Path:
    path = audit_spool.spool_path(store.engine)
    assert path is not None
    return path


def test_reads_under_an_import_are_spooled_and_drained_in_order(store: Store) -> None:
    path = _spool(store)
    _read(store, "before", [1])  # the lock is free: written at once
    assert not path.exists() and _events(store) == [("tasks.read", "before", 1)]

    with _import_holds_the_lock(store):
        _read(store, "first", [5, 6, 7])
        _read(store, "second", [])
        # answered without the lock; the events wait, durably, in the spool, in order
        assert _events(store) == [("tasks.read", "before", 1)]
        spooled = audit_spool.read(path)
        assert [e.values["detail"] for e in spooled] == ["first", "second"]
        assert spooled[0].ids == [5, 6, 7] and spooled[0].values["actor"] == "cadre9"

    _write(store, "after the import")  # the next writer drains first
    assert _events(store) == [
        ("tasks.read", "before", 1),
        ("tasks.read", "first", 3),
        ("tasks.read", "second", 0),
        ("sheet.correct", "after the import", 0),
    ]
    assert _entities(store, "first") == [5, 6, 7]  # every entity, for "who read X"
    assert not path.exists() and audit_spool.read(path) == []
    _write(store, "again")  # nothing left to drain twice
    assert [d for _, d, _ in _events(store)].count("first") == 1


def test_a_read_drains_the_spool_before_its_own_event(store: Store) -> None:
    with _import_holds_the_lock(store):
        _read(store, "waited", [3])
    _read(store, "next read", [4])  # the lock is free again: drains, then writes its own
    assert [d for _, d, _ in _events(store)] == ["waited", "next read"]
    assert audit_spool.read(_spool(store)) == []


def test_a_drainer_killed_half_way_loses_nothing_and_doubles_nothing(store: Store) -> None:
    path = _spool(store)
    with _import_holds_the_lock(store):
        _read(store, "one", [1])
        _read(store, "two", [2])
    # a drainer renamed the spool to its segment and died before its commit
    segment = Path(f"{path}.0")
    path.rename(segment)
    kept = segment.read_bytes()
    with _import_holds_the_lock(store):
        _read(store, "three", [3])  # spooled anew beside the orphaned segment
    _write(store, "w")
    assert [d for _, d, _ in _events(store)] == ["one", "two", "three", "w"]
    # a drainer that committed and died before deleting its segment: the counter row
    # says the segment is in the table, so it is deleted, never inserted again
    segment.write_bytes(kept)
    audit_spool._looked.discard(path)  # a new process looks for leftovers once
    _write(store, "w2")
    assert [d for _, d, _ in _events(store)] == ["one", "two", "three", "w", "w2"]
    assert not segment.exists()


def test_an_audited_read_writes_nothing_else_on_sqlite(store: Store) -> None:
    with pytest.raises(OperationalError, match=r"readonly"), store.audited_read() as conn:
        conn.execute(text("INSERT INTO id_counter (name, next_value) VALUES ('x', 1)"))


def test_a_torn_last_line_is_not_an_event(store: Store) -> None:
    """A process killed inside its write() of the spool never answered that read: the cut
    line is skipped, the whole lines before it are kept."""
    path = _spool(store)
    with _import_holds_the_lock(store):
        _read(store, "whole", [9])
    with path.open("ab") as f:
        f.write(b'{"v": {"at": "2026-')
    assert [e.values["detail"] for e in audit_spool.read(path)] == ["whole"]
    with _import_holds_the_lock(store):
        _read(store, "after the cut", [8])  # appended on a line of its own
    assert [e.values["detail"] for e in audit_spool.read(path)] == ["whole", "after the cut"]
    _write(store, "w")
    assert [d for _, d, _ in _events(store)] == ["whole", "after the cut", "w"]


def test_rationed_lookups_count_the_spooled_ones(store: Store) -> None:
    """Full-number lookups that found nobody are rationed by counting their audit events:
    those waiting in the spool count too, so an import does not lift the ration."""

    def misses() -> int:
        with store.reading() as conn:
            return audit.count_empty_events(
                conn, actor="cadre9", action="sheet.search", since=since, detail_prefix="id "
            )

    def lookup(detail: str, found: list[int]) -> None:
        with store.audited_read() as conn:
            audit.write_event(
                conn, CADRE, "sheet.search", now=utcnow(), entity_ids=found, detail=detail
            )

    since = utcnow()
    lookup("id 330523194601011234", [])
    with _import_holds_the_lock(store):
        lookup("id 330523194601011235", [])
        lookup("id 330523194601011236", [7])  # found someone: not a miss
        lookup("name 张", [])  # not a full-number lookup
        assert misses() == 2  # one in the table, one in the spool
    _write(store, "drains")
    assert misses() == 2  # the same, counted once, from the table
