"""County fields in the database: definitions with their versions, county code tables, and
the narrow current view ``sheet_value`` of their values.

``sheet_value`` is derived like the wide sheet tables: only the recorder (in the observations'
own transaction) and ``rebuild`` write it. One row per (entity, field) that holds a value;
an empty value has no row.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, inspect, select, tuple_, update

from onesheet.domain.codes import CodeEntry, CodeTable
from onesheet.domain.county_fields import CountyLayer, FieldDefinition, with_county_fields
from onesheet.domain.grants import DepartmentGrant
from onesheet.domain.observations import Resolution
from onesheet.store.bulk import bulk_insert
from onesheet.store.schema import table

VALUE_COLUMNS = (
    "entity_id",
    "field_key",
    "county_code",
    "entity_type",
    "value",
    "source",
    "valid_from",
    "updated_at",
)


# ------------------------------------------------------------------------------ definitions
def layer_version(conn: Connection) -> int:
    """A number that changes whenever any county field or code table changes (the newest
    version row's id): workers compare it to know when to reload their dictionary."""
    return int(
        conn.execute(
            select(func.coalesce(func.max(table("county_field_version").c.id), 0))
        ).scalar_one()
    )


def _definition(m: Mapping[str, object]) -> FieldDefinition:
    return FieldDefinition(
        county_code=str(m["county_code"]),
        key=str(m["key"]),
        entity=str(m["entity"]),
        label_zh=str(m["label_zh"]),
        label_en=str(m["label_en"] or ""),
        type=str(m["value_type"]),
        unit=m["unit"],  # type: ignore[arg-type]
        code_table=m["code_table"],  # type: ignore[arg-type]
        sensitivity=str(m["sensitivity"]),
        mask=m["mask"],  # type: ignore[arg-type]
        owner=str(m["owner"]),
        readers=tuple(json.loads(str(m["readers"] or "[]"))),
        synonyms=tuple(json.loads(str(m["synonyms"] or "[]"))),
        status=str(m["status"]),
        template_id=m["template_id"],  # type: ignore[arg-type]
        version=int(m["version"]),  # type: ignore[call-overload]
    )


def definitions(
    conn: Connection, *, county_code: str | None = None, statuses: Iterable[str] | None = None
) -> list[FieldDefinition]:
    """County field definitions (of one county, of some statuses), by county and key."""
    t = table("county_field")
    q = select(t).order_by(t.c.county_code, t.c.updated_at, t.c.key)
    if county_code:
        q = q.where(t.c.county_code == county_code)
    if statuses is not None:
        q = q.where(t.c.status.in_(list(statuses)))
    return [_definition(r._mapping) for r in conn.execute(q)]


def get(conn: Connection, county_code: str, key: str) -> FieldDefinition | None:
    t = table("county_field")
    row = conn.execute(
        select(t).where(t.c.county_code == county_code, t.c.key == key)
    ).one_or_none()
    return _definition(row._mapping) if row is not None else None


def save(
    conn: Connection,
    d: FieldDefinition,
    *,
    action: str,
    actor: str,
    at: datetime,
    reason: str = "",
) -> FieldDefinition:
    """Insert or update the definition (version + 1) and append its version row."""
    t = table("county_field")
    old = get(conn, d.county_code, d.key)
    fresh = d.but(version=(old.version + 1) if old else 1)
    values = {
        "entity": fresh.entity,
        "label_zh": fresh.label_zh,
        "label_en": fresh.label_en,
        "value_type": fresh.type,
        "unit": fresh.unit,
        "code_table": fresh.code_table,
        "sensitivity": fresh.sensitivity,
        "mask": fresh.mask,
        "owner": fresh.owner,
        "readers": json.dumps(list(fresh.readers), ensure_ascii=False),
        "synonyms": json.dumps(list(fresh.synonyms), ensure_ascii=False),
        "status": fresh.status,
        "template_id": fresh.template_id,
        "version": fresh.version,
        "updated_by": actor,
        "updated_at": at,
    }
    if old is None:
        conn.execute(insert(t).values(county_code=d.county_code, key=d.key, **values))
    else:
        conn.execute(
            update(t).where(t.c.county_code == d.county_code, t.c.key == d.key).values(**values)
        )
    conn.execute(
        insert(table("county_field_version")).values(
            county_code=d.county_code,
            key=d.key,
            version=fresh.version,
            action=action,
            definition=json.dumps(fresh.as_json(), ensure_ascii=False),
            actor=actor,
            at=at,
            reason=reason,
        )
    )
    return fresh


def versions_of(conn: Connection, county_code: str, key: str) -> list[dict[str, object]]:
    """Every recorded change of one field, oldest first."""
    t = table("county_field_version")
    q = select(t).where(t.c.county_code == county_code, t.c.key == key).order_by(t.c.id)
    return [dict(r._mapping) for r in conn.execute(q)]


def save_code_table(
    conn: Connection, county_code: str, ct: CodeTable, *, actor: str, at: datetime
) -> None:
    """Store (or replace) a county code table."""
    t = table("county_code_table")
    conn.execute(delete(t).where(t.c.county_code == county_code, t.c.key == ct.key))
    conn.execute(
        insert(t).values(
            county_code=county_code,
            key=ct.key,
            label_zh=ct.label_zh,
            entries=json.dumps([[e.code, e.name] for e in ct.entries], ensure_ascii=False),
            created_by=actor,
            created_at=at,
        )
    )


def code_tables(conn: Connection) -> dict[str, CodeTable]:
    t = table("county_code_table")
    out: dict[str, CodeTable] = {}
    for r in conn.execute(select(t).order_by(t.c.county_code, t.c.key)):
        entries = [CodeEntry(code, name) for code, name in json.loads(r.entries)]
        out.setdefault(r.key, CodeTable(r.key, r.label_zh, entries, source="county"))
    return out


def load_layer(conn: Connection) -> CountyLayer:
    """Every county's active and deprecated fields and the county code tables."""
    return CountyLayer(definitions(conn, statuses=("active", "deprecated")), code_tables(conn))


# ----------------------------------------------------------------------------- sheet_value
def replace_values(
    conn: Connection,
    *,
    county_code: str,
    entity_type: str,
    found: Mapping[tuple[int, str], Resolution],
    now: datetime,
) -> set[int]:
    """Make the ``sheet_value`` rows of these (entity, field) pairs match their resolution;
    returns the entities whose current value changed."""
    t = table("sheet_value")
    pairs = sorted(found)
    if not pairs:
        return set()
    before: dict[tuple[int, str], str] = {}
    for start in range(0, len(pairs), 400):
        chunk = pairs[start : start + 400]
        q = select(t.c.entity_id, t.c.field_key, t.c.value).where(
            tuple_(t.c.entity_id, t.c.field_key).in_(chunk)
        )
        before.update({(r.entity_id, r.field_key): r.value for r in conn.execute(q)})
    changed = {eid for (eid, key), res in found.items() if before.get((eid, key)) != res.value}
    stale = [p for p in pairs if p in before]
    for start in range(0, len(stale), 400):
        chunk = stale[start : start + 400]
        conn.execute(delete(t).where(tuple_(t.c.entity_id, t.c.field_key).in_(chunk)))
    insert_values(
        conn,
        [
            (
                eid,
                key,
                county_code,
                entity_type,
                res.value,
                res.winner.source,
                res.winner.valid_from,
                now,
            )
            for (eid, key), res in found.items()
            if res.value is not None and res.winner is not None
        ],
    )
    return changed


def insert_values(conn: Connection, rows: Sequence[tuple[object, ...]]) -> None:
    """Bulk insert ``sheet_value`` rows (tuples in ``VALUE_COLUMNS`` order)."""
    if rows:
        bulk_insert(conn, "sheet_value", VALUE_COLUMNS, list(rows))


def values_in_range(
    conn: Connection, entity_type: str, start: int, end: int
) -> dict[int, dict[str, str]]:
    """entity → field → current value, for entities with ids in [start, end]."""
    t = table("sheet_value")
    q = select(t.c.entity_id, t.c.field_key, t.c.value).where(
        and_(t.c.entity_type == entity_type, t.c.entity_id.between(start, end))
    )
    out: dict[int, dict[str, str]] = defaultdict(dict)
    for r in conn.execute(q):
        out[r.entity_id][r.field_key] = r.value
    return out


def delete_range(conn: Connection, entity_type: str, start: int, end: int) -> None:
    t = table("sheet_value")
    conn.execute(
        delete(t).where(and_(t.c.entity_type == entity_type, t.c.entity_id.between(start, end)))
    )


def values_of(
    conn: Connection, entity_ids: Sequence[int], keys: Iterable[str]
) -> dict[int, dict[str, str]]:
    """Current values of some county fields for some entities."""
    t = table("sheet_value")
    wanted = list(keys)
    out: dict[int, dict[str, str]] = defaultdict(dict)
    if not wanted:
        return out
    ids = sorted(set(entity_ids))
    for start in range(0, len(ids), 500):
        q = select(t.c.entity_id, t.c.field_key, t.c.value).where(
            t.c.entity_id.in_(ids[start : start + 500]), t.c.field_key.in_(wanted)
        )
        for r in conn.execute(q):
            out[r.entity_id][r.field_key] = r.value
    return out


# ----------------------------------------------------------------------- the live dictionary
def refresh(store: Any, conn: Connection) -> bool:
    """Bring ``store.dictionary`` and ``store.grants`` up to the county layer in the database.

    One indexed ``max(id)`` per call; the layer is reloaded only when a county field or code
    table changed since this process last looked, so several server workers agree within
    one transaction of each other. The built-in dictionary and grants the store started with
    are kept aside and never mutated (other stores in the process share them). Returns
    whether anything was reloaded.
    """
    state = store.__dict__
    seen = layer_version(conn)
    if state.get("_county_version") == seen:
        return False
    base = state.setdefault("_base_dictionary", store.dictionary)
    base_grants = state.setdefault("_base_grants", store.grants)
    layer = load_layer(conn)
    store.dictionary = with_county_fields(base, layer)
    store.grants = grants_with(base_grants, layer)
    state["_county_version"] = seen
    return True


# How often (seconds) a store's transactions look for county fields another process changed.
REFRESH_EVERY = 1.0


def refresh_due(store: Any, conn: Connection, *, every: float | None = None) -> bool:
    """``refresh`` at most once per ``every`` seconds per store: what ``Store.transaction``
    runs, so every service sees fields another worker activated within a second, at the cost
    of one indexed ``max(id)`` a second (not one per request). Services that must be exact
    (forms, the Gate, reports, tasks, county-field decisions) still call ``refresh`` itself.

    Before the schema exists (``onesheet init`` not run yet) it only notes that there is no
    layer: the table is looked up in the catalogue, never queried into an error that would
    abort the caller's transaction on PostgreSQL.
    """
    state = store.__dict__
    now = time.monotonic()
    wait = REFRESH_EVERY if every is None else every
    if now < state.get("_county_checked_at", float("-inf")) + wait:
        return False
    state["_county_checked_at"] = now
    if "_county_version" not in state and not inspect(conn).has_table("county_field_version"):
        return False
    return refresh(store, conn)


def grants_with(
    base: Mapping[str, DepartmentGrant], layer: CountyLayer
) -> dict[str, DepartmentGrant]:
    """The owner department reads its county fields in full; granted departments read them
    (masked where the field has a mask); every other department does not see them."""
    read: dict[str, set[str]] = defaultdict(set)
    unmasked: dict[str, set[str]] = defaultdict(set)
    for d in layer.definitions:
        read[d.owner].add(d.key)
        if d.mask:
            unmasked[d.owner].add(d.key)
        for dept in d.readers:
            read[dept].add(d.key)
    out = dict(base)
    for dept in set(read) | set(unmasked):
        old = out.get(dept) or DepartmentGrant(dept, frozenset(), frozenset())
        out[dept] = DepartmentGrant(
            dept, old.read | frozenset(read[dept]), old.unmasked | frozenset(unmasked[dept])
        )
    return out


def value_counts(conn: Connection, county_code: str) -> dict[str, int]:
    """field key → how many entities hold a value of it (the catalogue's fill figure)."""
    t = table("sheet_value")
    q = (
        select(t.c.field_key, func.count())
        .where(t.c.county_code == county_code)
        .group_by(t.c.field_key)
    )
    return {k: int(n) for k, n in conn.execute(q)}


def values_of_field(conn: Connection, key: str) -> dict[int, tuple[str, str, datetime]]:
    """entity → (current value, winning source, valid-from) of one county field."""
    t = table("sheet_value")
    q = select(t.c.entity_id, t.c.value, t.c.source, t.c.valid_from).where(t.c.field_key == key)
    return {r.entity_id: (r.value, r.source, r.valid_from) for r in conn.execute(q)}
