"""Blocks of ids handed out inside the caller's transaction.

Entities and batches need their ids before their rows are written (observations and
references point at them, and PostgreSQL COPY cannot return generated keys). A counter row
updated in the same transaction gives a gap-free, backend-neutral block: the row lock on
PostgreSQL and the single writer on SQLite serialise concurrent callers.
"""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from onesheet.store.schema import table


def allocate(conn: Connection, name: str, count: int) -> range:
    """Reserve ``count`` consecutive ids of sequence ``name``; returns them as a range."""
    counters = table("id_counter")
    current = conn.execute(
        select(counters.c.next_value).where(counters.c.name == name).with_for_update()
    ).scalar_one_or_none()
    if current is None:
        current = 1
        conn.execute(insert(counters).values(name=name, next_value=current + count))
    else:
        conn.execute(
            update(counters).where(counters.c.name == name).values(next_value=current + count)
        )
    return range(current, current + count)
