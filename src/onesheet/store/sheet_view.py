"""The current view (一张表): one wide row per entity, derived from the log.

Rows are written only by the recorder in the same transaction as the observations they come
from, and by ``rebuild``. Every change bumps ``version``: a writer that read version 3 and
finds 4 has met a concurrent edit and must not overwrite it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, and_, bindparam, delete, insert, select, tuple_, update

from onesheet.domain.dictionary import Dictionary
from onesheet.domain.observations import Resolution
from onesheet.store.bulk import bulk_insert
from onesheet.store.engine import is_postgres
from onesheet.store.schema import sheet_table, table

BASE_COLUMNS = ("entity_id", "county_code", "org_code", "version", "updated_at")


class ConcurrentEdit(Exception):
    """A row changed after the writer read it; the write was refused and nothing was saved."""

    def __init__(self, entity_ids: Sequence[int]) -> None:
        super().__init__(f"entities changed by someone else meanwhile: {list(entity_ids)[:10]}")
        self.entity_ids = list(entity_ids)


def to_column(value_type: str, canonical: str | None) -> object:
    """Canonical stored string → the typed value of the sheet column."""
    if canonical is None:
        return None
    match value_type:
        case "date":
            return date.fromisoformat(canonical)
        case "boolean":
            return canonical == "1"
        case "integer" | "ref":
            return int(canonical)
        case "decimal":
            return Decimal(canonical)
        case _:
            return canonical


def from_column(value_type: str, value: object) -> str | None:
    """Typed sheet value → canonical string (the inverse of ``to_column``)."""
    if value is None:
        return None
    if value_type == "boolean":
        return "1" if value else "0"
    if value_type == "date" and isinstance(value, datetime):
        return value.date().isoformat()
    if value_type == "date" and isinstance(value, date):
        return value.isoformat()
    if value_type == "decimal":
        return _decimal_text(Decimal(str(value)))
    return str(value)


def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if text not in ("-0",) else "0"


def row_values(dictionary: Dictionary, resolved: Mapping[str, Resolution]) -> dict[str, object]:
    """Column values for a sheet row from each field's resolution."""
    out: dict[str, object] = {}
    for key, res in resolved.items():
        field = dictionary.fields.get(key)
        if field is None or not field.in_sheet_table:
            continue
        out[field.name] = to_column(field.type, res.value)
    return out


def insert_rows(conn: Connection, entity: str, rows: Sequence[dict[str, object]]) -> None:
    """Insert rows of new entities; every row gets every column (missing ones as NULL).

    Seeding and imports insert hundreds of thousands of wide rows, so this goes below the
    ORM-free Core path too: COPY on PostgreSQL, and on SQLite a driver ``executemany`` with
    SQLAlchemy's own per-type bind processors applied once per column.
    """
    if not rows:
        return
    t = sheet_table(entity)
    names = [c.name for c in t.columns]
    if is_postgres(conn):
        bulk_insert(conn, t.name, names, ([r.get(n) for n in names] for r in rows))
        return
    procs = [c.type.bind_processor(conn.dialect) for c in t.columns]
    pairs = list(zip(names, procs, strict=True))
    tuples = [
        tuple(None if (v := r.get(n)) is None else (p(v) if p else v) for n, p in pairs)
        for r in rows
    ]
    bulk_insert(conn, t.name, names, tuples)


def update_rows(
    conn: Connection,
    entity: str,
    changes: Mapping[int, dict[str, object]],
    *,
    expected_versions: Mapping[int, int] | None = None,
    now: datetime,
) -> None:
    """Set changed columns of existing rows, bump their version, refuse concurrent edits."""
    t = sheet_table(entity)
    expected = dict(expected_versions or {})
    current = _versions(conn, entity, list(changes))
    stale = [eid for eid, v in expected.items() if eid in current and current[eid] != v]
    if stale:
        raise ConcurrentEdit(stale)
    by_columns: dict[tuple[str, ...], list[dict[str, object]]] = {}
    # in entity order: two writers updating some of the same rows (a task save beside an
    # import, which no longer queue on one counter row) lock them in the same order
    for eid, values in sorted(changes.items()):
        cols = tuple(sorted(values))
        params = {f"v_{c}": values[c] for c in cols}
        params.update(b_id=eid, b_version=current[eid], b_new=current[eid] + 1, b_now=now)
        by_columns.setdefault(cols, []).append(params)
    for cols, params in by_columns.items():
        stmt = (
            update(t)
            .where(and_(t.c.entity_id == bindparam("b_id"), t.c.version == bindparam("b_version")))
            .values(
                {
                    **{c: bindparam(f"v_{c}") for c in cols},
                    "version": bindparam("b_new"),
                    "updated_at": bindparam("b_now"),
                }
            )
        )
        result = conn.execute(stmt, params)
        if result.rowcount != len(params):
            raise ConcurrentEdit([p["b_id"] for p in params])  # type: ignore[misc]


def _versions(conn: Connection, entity: str, entity_ids: Sequence[int]) -> dict[int, int]:
    t = sheet_table(entity)
    out: dict[int, int] = {}
    for start in range(0, len(entity_ids), 500):
        chunk = entity_ids[start : start + 500]
        q = select(t.c.entity_id, t.c.version).where(t.c.entity_id.in_(chunk))
        out.update({row.entity_id: row.version for row in conn.execute(q)})
    return out


def versions(conn: Connection, entity: str, entity_ids: Sequence[int]) -> dict[int, int]:
    """The current version of each row (for callers that will write back later)."""
    return _versions(conn, entity, entity_ids)


def replace_conflicts(
    conn: Connection,
    *,
    entity_type: str,
    county_code: str,
    touched: Iterable[tuple[int, str]],
    found: Mapping[tuple[int, str], Resolution],
    org_of: Mapping[int, str],
    now: datetime,
) -> None:
    """Make the conflict rows of the touched (entity, field) pairs match ``found``."""
    t = table("conflict")
    pairs = sorted(set(touched))
    for start in range(0, len(pairs), 400):
        chunk = pairs[start : start + 400]
        conn.execute(delete(t).where(tuple_(t.c.entity_id, t.c.field_key).in_(chunk)))
    rows = [
        {
            "entity_id": eid,
            "field_key": key,
            "county_code": county_code,
            "entity_type": entity_type,
            "org_code": org_of[eid],
            "detail": conflict_detail(res),
            "opened_at": now,
        }
        for (eid, key), res in found.items()
        if res.in_conflict
    ]
    if rows:
        conn.execute(insert(t), rows)


def conflict_detail(res: Resolution) -> str:
    """The JSON kept for a conflict: each disagreeing source's value and observation."""
    return json.dumps(
        [{"source": o.source, "value": o.value, "observation_id": o.id} for o in res.disagreeing],
        ensure_ascii=False,
    )
