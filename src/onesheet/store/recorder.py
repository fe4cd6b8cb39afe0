"""Record a batch: append observations and bring the current view along, in one transaction.

This is the single write path into the sheet. New entities whose fields each have one
observation take a fast path (their current row is the batch itself); everything else is
re-resolved from the log, so incremental maintenance and ``rebuild`` can never disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, insert, update

from onesheet.domain.dictionary import Dictionary
from onesheet.domain.observations import Observation, Resolution, resolve
from onesheet.store import county_fields, observation_log, sheet_view
from onesheet.store.bulk import bulk_insert
from onesheet.store.observation_log import LogRow
from onesheet.store.schema import table


@dataclass
class EntityWrite:
    """The observations a batch adds about one entity (new or existing)."""

    entity_id: int
    entity_type: str
    org_code: str
    rows: list[LogRow] = field(default_factory=list)
    is_new: bool = False
    natural_key: str | None = None


@dataclass
class RecordResult:
    """What a recorded batch did."""

    batch_id: int
    observations: int
    entities_created: int
    entities_changed: int


def start_batch(
    conn: Connection,
    batch_id: int,
    *,
    kind: str,
    county_code: str,
    source: str,
    actor: str,
    now: datetime,
    description: str = "",
    content_hash: str | None = None,
) -> None:
    """Write the batch header every observation of the batch points at."""
    conn.execute(
        insert(table("batch")).values(
            id=batch_id,
            kind=kind,
            county_code=county_code,
            source=source,
            actor=actor,
            started_at=now,
            description=description,
            content_hash=content_hash,
        )
    )


ENTITY_COLUMNS = (
    "id",
    "entity_type",
    "county_code",
    "org_code",
    "natural_key",
    "created_at",
    "batch_id",
)


def record(
    conn: Connection,
    dictionary: Dictionary,
    writes: Sequence[EntityWrite],
    *,
    county_code: str,
    batch_id: int,
    actor: str,
    now: datetime,
    expected_versions: Mapping[int, int] | None = None,
) -> RecordResult:
    """Append every observation of ``writes`` and update the sheet rows they touch."""
    new = [w for w in writes if w.is_new]
    if new:
        bulk_insert(
            conn,
            "entity",
            ENTITY_COLUMNS,
            [
                (w.entity_id, w.entity_type, county_code, w.org_code, w.natural_key, now, batch_id)
                for w in new
            ],
        )
    all_rows = [r for w in writes for r in w.rows]
    observation_log.append(
        conn, all_rows, county_code=county_code, batch_id=batch_id, actor=actor, recorded_at=now
    )
    b = table("batch")  # the ledger counts a batch's values without scanning the log
    conn.execute(
        update(b)
        .where(b.c.id == batch_id)
        .values(observation_count=b.c.observation_count + len(all_rows))
    )
    by_type: dict[str, list[EntityWrite]] = defaultdict(list)
    for w in writes:
        by_type[w.entity_type].append(w)
    for entity_type, group in by_type.items():
        _maintain_view(
            conn, dictionary, entity_type, group, county_code, now, expected_versions or {}
        )
    return RecordResult(batch_id, len(all_rows), len(new), len(writes) - len(new))


def _maintain_view(
    conn: Connection,
    dictionary: Dictionary,
    entity_type: str,
    writes: Sequence[EntityWrite],
    county_code: str,
    now: datetime,
    expected_versions: Mapping[int, int],
) -> None:
    simple_rows: list[dict[str, object]] = []
    county_rows: list[tuple[object, ...]] = []
    slow: list[EntityWrite] = []
    for w in writes:
        if w.is_new and _single_valued(w):
            simple_rows.append(_fast_row(dictionary, w, county_code, now))
            county_rows += _fast_county_rows(dictionary, w, county_code, now)
        else:
            slow.append(w)
    sheet_view.insert_rows(conn, entity_type, simple_rows)
    county_fields.insert_values(conn, county_rows)
    if slow:
        _resolve_from_log(conn, dictionary, entity_type, slow, county_code, now, expected_versions)


def _single_valued(w: EntityWrite) -> bool:
    keys = [r.field_key for r in w.rows]
    return len(keys) == len(set(keys)) and all(r.kind == "value" for r in w.rows)


def _fast_row(
    dictionary: Dictionary, w: EntityWrite, county_code: str, now: datetime
) -> dict[str, object]:
    row: dict[str, object] = {
        "entity_id": w.entity_id,
        "county_code": county_code,
        "org_code": w.org_code,
        "version": 1,
        "updated_at": now,
    }
    columns = dictionary.stored_columns()
    for r in w.rows:
        found = columns.get(r.field_key)
        if found is not None:
            row[found[0]] = sheet_view.to_column(found[1], r.value)
    return row


def _fast_county_rows(
    dictionary: Dictionary, w: EntityWrite, county_code: str, now: datetime
) -> list[tuple[object, ...]]:
    """``sheet_value`` rows of a new entity's county fields (one value each: it is current)."""
    out: list[tuple[object, ...]] = []
    for r in w.rows:
        f = dictionary.fields.get(r.field_key)
        if f is not None and f.county_code is not None and r.value is not None:
            out.append(
                (
                    w.entity_id,
                    r.field_key,
                    county_code,
                    w.entity_type,
                    r.value,
                    r.source,
                    r.valid_from,
                    now,
                )
            )
    return out


def _resolve_from_log(
    conn: Connection,
    dictionary: Dictionary,
    entity_type: str,
    writes: Sequence[EntityWrite],
    county_code: str,
    now: datetime,
    expected_versions: Mapping[int, int],
) -> None:
    touched = {(w.entity_id, r.field_key) for w in writes for r in w.rows}
    fields = {key for _, key in touched}
    log = observation_log.for_entities(conn, [w.entity_id for w in writes], fields=fields)
    found: dict[tuple[int, str], Resolution] = {}
    for eid, key in touched:
        found[(eid, key)] = resolve(log[eid][key], dictionary.fields[key].authority)
    per_entity: dict[int, dict[str, Resolution]] = defaultdict(dict)
    for (eid, key), res in found.items():
        per_entity[eid][key] = res
    county_found = {
        (eid, key): res
        for (eid, key), res in found.items()
        if dictionary.fields[key].county_code is not None
    }
    # County values live in ``sheet_value``; a change there still bumps the entity's row
    # version, so a writer holding an older version of the entity is refused as usual.
    county_changed = county_fields.replace_values(
        conn, county_code=county_code, entity_type=entity_type, found=county_found, now=now
    )
    new_rows, changes = [], {}
    for w in writes:
        values = sheet_view.row_values(dictionary, per_entity[w.entity_id])
        if w.is_new:
            base = {"entity_id": w.entity_id, "county_code": county_code, "org_code": w.org_code}
            new_rows.append({**base, "version": 1, "updated_at": now, **values})
        elif values or w.entity_id in county_changed:
            changes[w.entity_id] = values
    sheet_view.insert_rows(conn, entity_type, new_rows)
    sheet_view.update_rows(conn, entity_type, changes, expected_versions=expected_versions, now=now)
    sheet_view.replace_conflicts(
        conn,
        entity_type=entity_type,
        county_code=county_code,
        touched=touched,
        found=found,
        org_of={w.entity_id: w.org_code for w in writes},
        now=now,
    )


def observations_to_resolutions(
    dictionary: Dictionary, by_field: Mapping[str, Sequence[Observation]]
) -> dict[str, Resolution]:
    """Resolve every field of one entity (used by reads ``as_of`` and by rebuild)."""
    return {
        key: resolve(obs, dictionary.fields[key].authority)
        for key, obs in by_field.items()
        if key in dictionary.fields
    }
