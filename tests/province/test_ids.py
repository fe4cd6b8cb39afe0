"""Per-county id counters (issue 18): two counties' writers never wait on one row.

``store/ids.allocate`` hands each county consecutive ids from its own ``id_counter`` row
(``entity@<county>``, ``batch@<county>``), refilled by regions from the installation-wide
row. Checked on both backends: ids unique across counties and callers without a county,
consecutive within a county, regions refilled past their end. On PostgreSQL: a transaction
of county A holding its batch row does not stop county B (B's statements run under a
``lock_timeout`` and would fail if they waited), while a second writer of county A still
waits — the row lock an import's "has the sheet moved" check relies on (``high_water``).
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from onesheet.store import ids, link_store

A, B = "330523", "330522"


def test_ids_are_unique_across_counties_and_consecutive_within_one(store) -> None:  # type: ignore[no-untyped-def]
    taken: list[range] = []
    with store.engine.begin() as conn:
        a1 = ids.allocate(conn, "entity", 10, A)
        b1 = ids.allocate(conn, "entity", 7, B)
        a2 = ids.allocate(conn, "entity", 5, A)
        none = ids.allocate(conn, "entity", 3)  # a caller without a county
        b2 = ids.allocate(conn, "entity", 4, B)
        big = ids.allocate(conn, "entity", ids.REGION + 5, A)  # larger than a region
        a3 = ids.allocate(conn, "entity", 2, A)
        taken = [a1, b1, a2, none, b2, big, a3]
        batch_a = ids.allocate(conn, "batch", 1, A)
    assert a1 == range(1, 11)  # the first county of a fresh database starts at 1
    assert a2.start == a1.stop and b2.start == b1.stop  # consecutive within a county
    assert a3.start == big.stop
    assert len(big) == ids.REGION + 5
    every = [i for r in taken for i in r]
    assert len(every) == len(set(every)), "an id was handed out twice"
    assert batch_a == range(1, 2)  # another sequence, its own counters
    with store.engine.connect() as conn:
        assert link_store.high_water(conn, A) == 2
        assert link_store.high_water(conn, B) == 0  # B has written no batch


def test_a_region_is_refilled_at_its_end(store) -> None:  # type: ignore[no-untyped-def]
    with store.engine.begin() as conn:
        first = ids.allocate(conn, "entity", ids.REGION - 1, A)  # 1 … REGION-1: region full
        other = ids.allocate(conn, "entity", 1, B)
        nxt = ids.allocate(conn, "entity", 1, A)
    assert first.stop == ids.REGION
    assert other.start == ids.REGION  # B's region begins where A's ended
    assert nxt.start == 2 * ids.REGION  # A's next region, after B's
    with store.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT name, next_value FROM id_counter")).all())
    assert rows == {
        "entity": 3 * ids.REGION,
        f"entity@{A}": 2 * ids.REGION + 1,
        f"entity@{B}": ids.REGION + 1,
    }


def _timeout(conn) -> None:  # type: ignore[no-untyped-def]
    conn.execute(text("SET LOCAL lock_timeout = '2s'"))


@pytest.mark.postgres
def test_two_counties_never_wait_on_one_row(store) -> None:  # type: ignore[no-untyped-def]
    if store.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite has one writer for the whole file)")
    with store.engine.begin() as conn:  # both counties have written before
        ids.allocate(conn, "batch", 1, A)
        ids.allocate(conn, "batch", 1, B)
    holder = store.engine.connect()
    tx = holder.begin()
    try:
        held = ids.allocate(holder, "batch", 1, A)  # county A's import, not committed yet
        ids.allocate(holder, "entity", ids.REGION, A)  # its new region is committed at once
        with store.engine.begin() as other:  # county B writes meanwhile: no wait
            _timeout(other)
            mark = link_store.high_water(other, B, lock=True)
            got = ids.allocate(other, "batch", 1, B)
            big = ids.allocate(other, "entity", ids.REGION, B)  # takes a new region too
        assert got.start == mark
        assert len(big) == ids.REGION
        same = store.engine.connect()  # a second writer of county A waits
        with pytest.raises(OperationalError, match="lock timeout"), same, same.begin():
            _timeout(same)
            ids.allocate(same, "batch", 1, A)
    finally:
        tx.commit()
        holder.close()
    with store.engine.connect() as conn:
        assert link_store.high_water(conn, A) == held.stop
