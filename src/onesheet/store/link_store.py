"""Reads and writes the import and linkage services need (SQLAlchemy Core, no loops of queries).

The sheet side of linkage is read once per import as plain rows — in a read-only
``snapshot`` that takes no write lock — and queue entries are appended in the import's own
(short) write transaction and decided later, each decision in its own.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, create_engine, event, func, insert, select, update
from sqlalchemy.pool import NullPool

from onesheet.store import ids
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


def sheet_people(
    conn: Connection, county_code: str, org_prefix: str | None = None
) -> list[dict[str, Any]]:
    """Every person of the county (or of the subtree ``org_prefix``) with the columns
    linkage compares and their household no."""
    p, h = sheet_table("person"), sheet_table("household")
    cols = [p.c.entity_id, p.c.org_code, *(p.c[c] for c in PERSON_COLUMNS), h.c.household_no]
    q = (
        select(*cols)
        .select_from(p.outerjoin(h, h.c.entity_id == p.c.household))
        .where(p.c.county_code == county_code)
    )
    if org_prefix and org_prefix != county_code:
        q = q.where(p.c.org_code.startswith(org_prefix, autoescape=True))
    return [dict(r._mapping) for r in conn.execute(q)]


def sheet_enterprises(
    conn: Connection, county_code: str, org_prefix: str | None = None
) -> list[dict[str, Any]]:
    """Every enterprise of the county (or of the subtree ``org_prefix``): what linkage
    compares (name, USCC, address) and where it lives."""
    e = sheet_table("enterprise")
    q = select(e.c.entity_id, e.c.org_code, e.c.name, e.c.uscc, e.c.address).where(
        e.c.county_code == county_code
    )
    if org_prefix and org_prefix != county_code:
        q = q.where(e.c.org_code.startswith(org_prefix, autoescape=True))
    return [dict(r._mapping) for r in conn.execute(q)]


def holders(conn: Connection, entity_type: str, keys: Iterable[str]) -> dict[str, tuple[int, str]]:
    """natural key (ID number, USCC) → (entity id, org code), wherever the entity lives."""
    e = table("entity")
    wanted, out = sorted(set(keys)), {}
    for start in range(0, len(wanted), 500):
        q = select(e.c.natural_key, e.c.id, e.c.org_code).where(
            and_(e.c.entity_type == entity_type, e.c.natural_key.in_(wanted[start : start + 500]))
        )
        out.update({k: (int(i), str(o)) for k, i, o in conn.execute(q)})
    return out


def high_water(conn: Connection, county_code: str | None = None, *, lock: bool = False) -> int:
    """The county's batch counter (``store/ids``: row ``batch@<county>``): every write to
    the county's log allocates a batch id from it under its row lock, held to commit, so an
    unchanged value means the county's sheet has not changed in anything linkage reads —
    except value fills of entities it holds (task saves), which take ids from the values
    lane (``ids.VALUES_LANE``): they create no entity and change no key, and must not
    queue behind an import that holds this row to its commit. ``lock`` takes that lock
    (PostgreSQL; SQLite's writer holds the whole file), so no batch of the county can land
    between the check and this transaction's own writes; other counties' writers take
    their own rows and do not wait. ``county_code`` None reads the installation-wide row."""
    counters = table("id_counter")
    q = select(counters.c.next_value).where(
        counters.c.name == ids.counter_name("batch", county_code)
    )
    if lock:
        q = q.with_for_update()
    return int(conn.execute(q).scalar_one_or_none() or 0)


_readers: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only, consistent view of the database that never takes the write lock.

    PostgreSQL: a REPEATABLE READ, READ ONLY transaction. SQLite: every transaction of the
    store's engine is BEGIN IMMEDIATE (one writer at a time), so reads go through a sibling
    engine on the same file that opens a deferred transaction instead — under WAL it reads
    one snapshot and neither waits for nor blocks the writer. (An in-memory database has no
    second connection to the same data: it falls back to the store's own transaction.)
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn = conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            with conn.begin():
                yield conn
        return
    reader = _reader(engine)
    with reader.begin() as conn:
        yield conn


def _reader(engine: Engine) -> Engine:
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return engine
    reader = _readers.get(engine)
    if reader is None:
        reader = create_engine(engine.url, poolclass=NullPool, connect_args={"timeout": 30})
        event.listen(reader, "connect", _sqlite_reader_connect)
        event.listen(reader, "begin", lambda conn: conn.exec_driver_sql("BEGIN DEFERRED"))
        _readers[engine] = reader
    return reader


def _sqlite_reader_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_connection.isolation_level = None  # transactions begin only when we say so
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


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


def queued_county_pairs(conn: Connection, county_code: str) -> set[tuple[int, int]]:
    """(own entity id, other county's entity id) of every cross-county entry ever queued in
    the county (kind ``county``, open or decided): a province linkage run queues a pair once."""
    q = queue_table()
    stmt = select(q.c.record, q.c.candidates).where(
        and_(q.c.county_code == county_code, q.c.kind == "county")
    )
    out = set()
    for rec, cands in conn.execute(stmt):
        other = json.loads(rec).get("_other") or {}
        out.add((int(json.loads(cands)[0][0]), int(other.get("entity_id", 0))))
    return out


def households_by_number(
    conn: Connection, county_code: str, numbers: set[str]
) -> dict[str, tuple[int, str]]:
    """household number → (entity id, org code), for the numbers the county's sheet holds."""
    h = sheet_table("household")
    out: dict[str, tuple[int, str]] = {}
    wanted = sorted(numbers)
    for start in range(0, len(wanted), 500):
        q = select(h.c.household_no, h.c.entity_id, h.c.org_code).where(
            and_(h.c.county_code == county_code, h.c.household_no.in_(wanted[start : start + 500]))
        )
        out.update({no: (int(eid), str(org)) for no, eid, org in conn.execute(q)})
    return out
