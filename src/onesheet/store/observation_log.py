"""The append-only observation log: bulk append and reads. Nothing here updates or deletes.

Appends go through the fastest path each backend has (COPY on PostgreSQL, a driver-level
``executemany`` on SQLite) because seeding and imports write millions of rows; reads
are by entity and field, which the ``(entity_id, field_key)`` index serves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, select

from onesheet.domain.observations import Observation
from onesheet.store.bulk import bulk_insert
from onesheet.store.schema import table

LOG_COLUMNS = (
    "county_code",
    "entity_id",
    "entity_type",
    "field_key",
    "value",
    "kind",
    "valid_from",
    "recorded_at",
    "source",
    "actor",
    "batch_id",
    "reason",
)


class LogRow(NamedTuple):
    """An observation about to be appended (the log assigns its id).

    A NamedTuple rather than a dataclass: seeding builds millions of them.
    """

    entity_id: int
    entity_type: str
    field_key: str
    value: str | None
    kind: str
    valid_from: datetime
    source: str
    reason: str | None = None


def append(
    conn: Connection,
    rows: Sequence[LogRow],
    *,
    county_code: str,
    batch_id: int,
    actor: str,
    recorded_at: datetime,
) -> int:
    """Append ``rows`` in the caller's transaction; returns how many were written."""
    tuples = (
        (
            county_code,
            r.entity_id,
            r.entity_type,
            r.field_key,
            r.value,
            r.kind,
            r.valid_from,
            recorded_at,
            r.source,
            actor,
            batch_id,
            r.reason,
        )
        for r in rows
    )
    bulk_insert(conn, "observation", LOG_COLUMNS, tuples)
    return len(rows)


def _to_observation(row) -> Observation:  # type: ignore[no-untyped-def]
    return Observation(
        id=row.id,
        field_key=row.field_key,
        value=row.value,
        kind=row.kind,
        source=row.source,
        valid_from=row.valid_from,
        recorded_at=row.recorded_at,
    )


def for_entities(
    conn: Connection,
    entity_ids: Iterable[int],
    *,
    fields: Iterable[str] | None = None,
    as_of: datetime | None = None,
    chunk: int = 500,
) -> dict[int, dict[str, list[Observation]]]:
    """entity → field → its observations in log order, optionally only those known at ``as_of``."""
    log = table("observation")
    ids = sorted(set(entity_ids))
    wanted = sorted(set(fields)) if fields is not None else None
    out: dict[int, dict[str, list[Observation]]] = defaultdict(lambda: defaultdict(list))
    for start in range(0, len(ids), chunk):
        query = select(log).where(log.c.entity_id.in_(ids[start : start + chunk]))
        if wanted is not None:
            query = query.where(log.c.field_key.in_(wanted))
        if as_of is not None:
            query = query.where(log.c.recorded_at <= as_of)
        for row in conn.execute(query.order_by(log.c.entity_id, log.c.id)):
            out[row.entity_id][row.field_key].append(_to_observation(row))
    return out


def history(conn: Connection, entity_id: int) -> list[dict[str, object]]:
    """Every observation of one entity, oldest first, as plain rows (for the person card)."""
    log = table("observation")
    rows = conn.execute(select(log).where(log.c.entity_id == entity_id).order_by(log.c.id))
    return [dict(r._mapping) for r in rows]


def stream_range(
    conn: Connection, entity_type: str, first_id: int, last_id: int
) -> Iterator[tuple[int, Observation]]:
    """Observations of entities with ids in [first_id, last_id], ordered by entity then id."""
    log = table("observation")
    query = (
        select(log)
        .where(log.c.entity_type == entity_type)
        .where(log.c.entity_id.between(first_id, last_id))
        .order_by(log.c.entity_id, log.c.id)
    )
    for row in conn.execute(query):
        yield row.entity_id, _to_observation(row)
