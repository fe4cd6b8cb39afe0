"""Blocks of ids handed out inside the caller's transaction, per county.

Entities and batches need their ids before their rows are written (observations and
references point at them, and PostgreSQL COPY cannot return generated keys), so ids come
from counter rows of ``id_counter`` updated in the caller's transaction: a consecutive
block, backend-neutral, and the row lock (PostgreSQL) or the single writer (SQLite)
serialises concurrent callers of the same counter.

One counter row for the whole installation made every writer of every county queue on it
(issue 18: a province's counties, and an import's write phase holding the row to its
commit). So each county has its own row, ``<name>@<county>`` — two counties' writers never
wait on one row — and the installation-wide row ``<name>`` only hands out *regions*:

* a county's row holds its next id ``n``; its region runs to the next multiple of
  ``REGION`` above ``n`` (none left when ``n`` is a multiple), so no second column is needed;
* when the region cannot hold a block, the county takes a new region from the
  installation-wide row: from its next value ``g`` up to the multiple of ``REGION`` that
  holds ``g + count`` — on PostgreSQL in a short transaction of its own (committed at once,
  so the installation-wide row is held for one UPDATE, not to the caller's commit; an id
  region of a caller that then rolls back is left unused), on SQLite in the caller's
  transaction (one writer at a time anyway).

Regions never overlap (the installation-wide counter only grows), so ids stay unique across
counties — across the partitions of the province layout too (``store/province.py``). A
county's ids are consecutive within a region; the first county of a fresh database starts at
1 as before. Callers without a county (``county_code=None``) take their block from the
installation-wide row directly (on PostgreSQL committed at once too, never held: a caller
holding that row to its commit would block every county's next region — and its own).

``batch`` ids double as the county's change mark: ``link_store.high_water`` reads the
county's ``batch@<county>`` row, and an import holds that row from its check to its commit.
Value fills of people the sheet already holds (a cadre's task save) draw their batch ids
from a lane of their own, ``batch@<county>:values`` (``VALUES_LANE``), with regions from the
same installation-wide ``batch`` row: they create no entity and change no key, so they cannot
change what an import links against, and a save no longer waits for the rest of an import
(issue 10/13). The lane's row serialises the fills among themselves, as before.
"""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from onesheet.store.schema import table

REGION = 1 << 16  # ids a county takes from the installation-wide counter at a time (at least)
VALUES_LANE = "values"  # batches that only add values to entities the sheet holds


def counter_name(name: str, county_code: str | None, lane: str = "") -> str:
    """The ``id_counter`` row of sequence ``name`` for ``county_code`` (None: installation),
    in ``lane`` when given (``batch@330523:values``)."""
    row = name if county_code is None else f"{name}@{county_code}"
    return f"{row}:{lane}" if lane and county_code is not None else row


def _region(conn: Connection, name: str, count: int, *, whole: bool = True) -> int:
    """Advance the installation-wide row ``name`` past ``count`` ids — with ``whole``, on
    to the next multiple of ``REGION`` (a county's region) — and return the first id. On
    PostgreSQL in a transaction of its own, committed at once."""
    counters = table("id_counter")

    def take(c: Connection) -> int:
        first = c.execute(
            select(counters.c.next_value).where(counters.c.name == name).with_for_update()
        ).scalar_one_or_none()
        first = 1 if first is None else int(first)
        end = -(-(first + count) // REGION) * REGION if whole else first + count
        if (
            c.execute(
                update(counters).where(counters.c.name == name).values(next_value=end)
            ).rowcount
            == 0
        ):
            c.execute(insert(counters).values(name=name, next_value=end))
        return first

    if conn.dialect.name != "postgresql":
        return take(conn)
    with conn.engine.connect() as own, own.begin():  # committed before the caller goes on
        return take(own)


def allocate(
    conn: Connection, name: str, count: int, county_code: str | None = None, *, lane: str = ""
) -> range:
    """Reserve ``count`` consecutive ids of sequence ``name`` (``entity``, ``batch``) for
    a write of county ``county_code`` — from the county's row ``lane`` when given (regions
    still come from the installation-wide row ``name``, so lanes never overlap); returns
    them as a range."""
    if count <= 0:
        return range(0)
    if county_code is None:
        start = _region(conn, name, count, whole=False)
        return range(start, start + count)
    counters = table("id_counter")
    row = counter_name(name, county_code, lane)
    current = conn.execute(
        select(counters.c.next_value).where(counters.c.name == row).with_for_update()
    ).scalar_one_or_none()
    if (
        current is not None
        and current % REGION
        and current + count <= -(-current // REGION) * REGION
    ):
        start = int(current)
    else:
        start = _region(conn, name, count)
    if current is None:
        conn.execute(insert(counters).values(name=row, next_value=start + count))
    else:
        conn.execute(
            update(counters).where(counters.c.name == row).values(next_value=start + count)
        )
    return range(start, start + count)
