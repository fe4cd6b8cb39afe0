"""Reads and writes the import and linkage services need (SQLAlchemy Core, no loops of queries).

The sheet side of linkage is read once per import as plain rows; queue entries are
appended in the import's own transaction and decided later, each decision in its own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from onesheet.store.link_tables import queue_table
from onesheet.store.schema import sheet_table, table

PERSON_COLUMNS = ("name", "id_number", "gender", "birth_date", "phone", "current_address")


def import_batch_by_hash(conn: Connection, content_hash: str) -> int | None:
    """The id of an earlier import with the same content, if any."""
    b = table("batch")
    return conn.execute(
        select(b.c.id).where(and_(b.c.content_hash == content_hash, b.c.kind == "import"))
    ).scalar()


def counties(conn: Connection) -> list[str]:
    org = table("org_unit")
    return list(conn.execute(select(org.c.code).where(org.c.level == "county")).scalars())


def sheet_people(conn: Connection, county_code: str) -> list[dict[str, Any]]:
    """Every person of the county with the columns linkage compares and their household no."""
    p, h = sheet_table("person"), sheet_table("household")
    cols = [p.c.entity_id, p.c.org_code, *(p.c[c] for c in PERSON_COLUMNS), h.c.household_no]
    q = (
        select(*cols)
        .select_from(p.outerjoin(h, h.c.entity_id == p.c.household))
        .where(p.c.county_code == county_code)
    )
    return [dict(r._mapping) for r in conn.execute(q)]


def villages(conn: Connection, county_code: str) -> list[tuple[str, str]]:
    """(code, name) of the county's villages and towns, longest names first (for addresses)."""
    org = table("org_unit")
    q = select(org.c.code, org.c.name).where(
        and_(org.c.county_code == county_code, org.c.level.in_(("village", "town")))
    )
    rows = [(c, n) for c, n in conn.execute(q)]
    return sorted(rows, key=lambda r: (-len(r[0]), -len(r[1])))


def entity_types(conn: Connection, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """entity id → (type, org code)."""
    e = table("entity")
    q = select(e.c.id, e.c.entity_type, e.c.org_code).where(e.c.id.in_(list(ids)))
    return {r.id: (r.entity_type, r.org_code) for r in conn.execute(q)}


def add_queue_entries(conn: Connection, entries: Sequence[dict[str, Any]]) -> None:
    if entries:
        conn.execute(insert(queue_table()), list(entries))


def list_queue(
    conn: Connection,
    county_code: str | None = None,
    status: str | None = "open",
    limit: int = 200,
    org_prefix: str | None = None,
) -> list[dict[str, Any]]:
    """Queue entries, optionally only those whose org unit lies under ``org_prefix``."""
    q = queue_table()
    stmt = select(q).order_by(q.c.id).limit(limit)
    if county_code:
        stmt = stmt.where(q.c.county_code == county_code)
    if org_prefix:
        stmt = stmt.where(q.c.org_code.startswith(org_prefix))
    if status:
        stmt = stmt.where(q.c.status == status)
    return [_entry(r._mapping) for r in conn.execute(stmt)]


def get_queue_entry(conn: Connection, entry_id: int) -> dict[str, Any] | None:
    q = queue_table()
    row = conn.execute(select(q).where(q.c.id == entry_id).with_for_update()).first()
    return _entry(row._mapping) if row else None


def _entry(m: Any) -> dict[str, Any]:
    out = dict(m)
    out["record"] = json.loads(out["record"])
    out["candidates"] = json.loads(out["candidates"])
    return out


def close_queue_entry(
    conn: Connection,
    entry_id: int,
    *,
    status: str,
    actor: str,
    now: datetime,
    entity_id: int | None,
    batch_id: int | None,
) -> None:
    q = queue_table()
    conn.execute(
        update(q)
        .where(q.c.id == entry_id)
        .values(
            status=status,
            decided_by=actor,
            decided_at=now,
            decision_entity_id=entity_id,
            decision_batch_id=batch_id,
        )
    )


def count_queue(conn: Connection, county_code: str, status: str = "open") -> int:
    q = queue_table()
    stmt = select(func.count()).where(and_(q.c.county_code == county_code, q.c.status == status))
    return int(conn.execute(stmt).scalar_one())


def queued_duplicate_pairs(conn: Connection, county_code: str) -> set[tuple[int, int]]:
    """(lower id, higher id) of every duplicate pair ever queued in the county."""
    q = queue_table()
    stmt = select(q.c.record, q.c.candidates).where(
        and_(q.c.county_code == county_code, q.c.kind == "duplicate")
    )
    out = set()
    for rec, cands in conn.execute(stmt):
        a, b = int(json.loads(cands)[0][0]), int(json.loads(rec)["entity_id"])
        out.add((min(a, b), max(a, b)))
    return out


def households_by_number(conn: Connection, county_code: str, numbers: set[str]) -> dict[str, int]:
    """household number → entity id, for the numbers the county's sheet already holds."""
    h = sheet_table("household")
    out: dict[str, int] = {}
    wanted = sorted(numbers)
    for start in range(0, len(wanted), 500):
        q = select(h.c.household_no, h.c.entity_id).where(
            and_(h.c.county_code == county_code, h.c.household_no.in_(wanted[start : start + 500]))
        )
        out.update({no: int(eid) for no, eid in conn.execute(q)})
    return out
