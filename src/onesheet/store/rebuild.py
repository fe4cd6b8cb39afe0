"""Recompute the current view from the log, and check it against the stored one.

Works in entity-id ranges so memory stays bounded on a million-person county. ``check``
only compares; otherwise differing rows and conflicts are rewritten (these are derived
tables: the log itself is never touched).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, and_, delete, func, select

from onesheet.domain.dictionary import ENTITY_TYPES, Dictionary
from onesheet.domain.observations import Observation
from onesheet.store import county_fields, observation_log, sheet_view
from onesheet.store.recorder import observations_to_resolutions
from onesheet.store.schema import sheet_table, table

CHUNK = 5000


@dataclass
class RebuildReport:
    """What a rebuild found: rows compared, rows and conflicts that differed, examples."""

    entities: dict[str, int] = field(default_factory=dict)
    differing_rows: int = 0
    differing_conflicts: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.differing_rows == 0 and self.differing_conflicts == 0


def rebuild(
    conn: Connection,
    dictionary: Dictionary,
    *,
    check_only: bool,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> RebuildReport:
    """Rebuild (or, with ``check_only``, just compare) every entity type's sheet table."""
    report = RebuildReport()
    for entity in ENTITY_TYPES:
        report.entities[entity] = _rebuild_entity(
            conn, dictionary, entity, report, check_only, now, progress
        )
    return report


def _rebuild_entity(
    conn: Connection,
    dictionary: Dictionary,
    entity: str,
    report: RebuildReport,
    check_only: bool,
    now: datetime,
    progress: Callable[[int], None] | None,
) -> int:
    ent = table("entity")
    lo, hi, count = conn.execute(
        select(func.min(ent.c.id), func.max(ent.c.id), func.count()).where(
            ent.c.entity_type == entity
        )
    ).one()
    if not count:
        return 0
    for start in range(lo, hi + 1, CHUNK):
        end = min(start + CHUNK - 1, hi)
        expected, conflicts = _expected(conn, dictionary, entity, start, end)
        stored = _stored(conn, dictionary, entity, start, end)
        stored_conflicts = _stored_conflicts(conn, entity, start, end)
        bad_rows = [
            eid for eid in expected.keys() | stored.keys() if _differs(expected, stored, eid)
        ]
        bad_conf = {
            k
            for k in conflicts.keys() | stored_conflicts.keys()
            if conflicts.get(k) != stored_conflicts.get(k)
        }
        report.differing_rows += len(bad_rows)
        report.differing_conflicts += len(bad_conf)
        for eid in sorted(bad_rows)[: max(0, 5 - len(report.examples))]:
            report.examples.append(_describe(entity, eid, expected.get(eid), stored.get(eid)))
        if not check_only and (bad_rows or bad_conf):
            _rewrite(conn, dictionary, entity, start, end, expected, conflicts, now)
        if progress:
            progress(len(expected))
    return count


def _expected(
    conn: Connection, dictionary: Dictionary, entity: str, start: int, end: int
) -> tuple[dict[int, dict[str, str | None]], dict[tuple[int, str], str]]:
    grouped: dict[int, dict[str, list[Observation]]] = defaultdict(lambda: defaultdict(list))
    for eid, obs in observation_log.stream_range(conn, entity, start, end):
        grouped[eid][obs.field_key].append(obs)
    ent = table("entity")
    orgs = dict(
        conn.execute(
            select(ent.c.id, ent.c.org_code).where(
                and_(ent.c.entity_type == entity, ent.c.id.between(start, end))
            )
        ).all()
    )
    rows: dict[int, dict[str, str | None]] = {}
    conflicts: dict[tuple[int, str], str] = {}
    columns = dictionary.for_entity(entity, stored_only=True)
    county = _county_fields(dictionary, entity)
    for eid, org in orgs.items():
        resolved = observations_to_resolutions(dictionary, grouped.get(eid, {}))
        row: dict[str, str | None] = {"org_code": org}
        for f in columns:
            res = resolved.get(f.key)
            # Through the column type and back, so "900.00" and "900" compare equal.
            value = res.value if res else None
            row[f.name] = sheet_view.from_column(f.type, sheet_view.to_column(f.type, value))
            if res and res.in_conflict:
                conflicts[(eid, f.key)] = sheet_view.conflict_detail(res)
        for f in county:  # county fields: ``sheet_value`` rows, keyed by the field key
            res = resolved.get(f.key)
            if res and res.value is not None:
                row[f.key] = res.value
                row[SOURCE + f.key] = res.winner.source if res.winner else None
                row[SINCE + f.key] = res.winner.valid_from if res.winner else None  # type: ignore[assignment]
            if res and res.in_conflict:
                conflicts[(eid, f.key)] = sheet_view.conflict_detail(res)
        rows[eid] = row
    return rows, conflicts


# Keys of a county value's winning source and valid-from inside a row dict (they compare too).
SOURCE, SINCE = "source:", "since:"


def _county_fields(dictionary: Dictionary, entity: str) -> list:  # type: ignore[type-arg]
    return [
        f for f in dictionary.fields.values() if f.entity == entity and f.county_code is not None
    ]


def _stored(
    conn: Connection, dictionary: Dictionary, entity: str, start: int, end: int
) -> dict[int, dict[str, str | None]]:
    t = sheet_table(entity)
    columns = dictionary.for_entity(entity, stored_only=True)
    out: dict[int, dict[str, str | None]] = {}
    for r in conn.execute(select(t).where(t.c.entity_id.between(start, end))):
        m = r._mapping
        row: dict[str, str | None] = {"org_code": m["org_code"]}
        for f in columns:
            row[f.name] = sheet_view.from_column(f.type, m[f.name])
        out[m["entity_id"]] = row
    sv = table("sheet_value")
    q = select(sv).where(and_(sv.c.entity_type == entity, sv.c.entity_id.between(start, end)))
    for r in conn.execute(q):
        row = out.setdefault(r.entity_id, {"org_code": None})
        row[r.field_key] = r.value
        row[SOURCE + r.field_key] = r.source
        row[SINCE + r.field_key] = r.valid_from
    return out


def _stored_conflicts(
    conn: Connection, entity: str, start: int, end: int
) -> dict[tuple[int, str], str]:
    t = table("conflict")
    q = select(t.c.entity_id, t.c.field_key, t.c.detail).where(
        and_(t.c.entity_type == entity, t.c.entity_id.between(start, end))
    )
    return {(r.entity_id, r.field_key): _canonical_json(r.detail) for r in conn.execute(q)}


def _canonical_json(text: str) -> str:
    return json.dumps(json.loads(text), ensure_ascii=False)


def _differs(expected: dict, stored: dict, eid: int) -> bool:  # type: ignore[type-arg]
    return expected.get(eid) != stored.get(eid)


def _describe(entity: str, eid: int, want: dict | None, got: dict | None) -> str:  # type: ignore[type-arg]
    if want is None or got is None:
        return f"{entity} {eid}: {'missing from view' if got is None else 'not in the log'}"
    diffs = [f"{k}: view={got.get(k)!r} log={v!r}" for k, v in want.items() if got.get(k) != v]
    return f"{entity} {eid}: " + "; ".join(diffs[:3])


def _rewrite(
    conn: Connection,
    dictionary: Dictionary,
    entity: str,
    start: int,
    end: int,
    expected: dict[int, dict[str, str | None]],
    conflicts: dict[tuple[int, str], str],
    now: datetime,
) -> None:
    t = sheet_table(entity)
    old_versions = dict(
        conn.execute(
            select(t.c.entity_id, t.c.version).where(t.c.entity_id.between(start, end))
        ).all()
    )
    conn.execute(delete(t).where(t.c.entity_id.between(start, end)))
    county_of = _county_of(conn, start, end)
    types = {f.name: f.type for f in dictionary.for_entity(entity, stored_only=True)}
    county_fields.delete_range(conn, entity, start, end)
    county_fields.insert_values(
        conn,
        [
            (
                eid,
                f.key,
                county_of[eid],
                entity,
                values[f.key],
                values[SOURCE + f.key],
                values[SINCE + f.key],
                now,
            )
            for eid, values in expected.items()
            for f in _county_fields(dictionary, entity)
            if values.get(f.key) is not None
        ],
    )
    rows = []
    for eid, values in expected.items():
        row: dict[str, object] = {
            "entity_id": eid,
            "county_code": county_of[eid],
            "org_code": values["org_code"],
            "version": old_versions.get(eid, 0) + 1,
            "updated_at": now,
        }
        row.update({k: sheet_view.to_column(types[k], v) for k, v in values.items() if k in types})
        rows.append(row)
    sheet_view.insert_rows(conn, entity, rows)
    c = table("conflict")
    conn.execute(
        delete(c).where(and_(c.c.entity_type == entity, c.c.entity_id.between(start, end)))
    )
    if conflicts:
        conn.execute(
            c.insert(),
            [
                {
                    "entity_id": eid,
                    "field_key": key,
                    "county_code": county_of[eid],
                    "entity_type": entity,
                    "org_code": expected[eid]["org_code"],
                    "detail": detail,
                    "opened_at": now,
                }
                for (eid, key), detail in conflicts.items()
            ],
        )


def _county_of(conn: Connection, start: int, end: int) -> dict[int, str]:
    ent = table("entity")
    q = select(ent.c.id, ent.c.county_code).where(ent.c.id.between(start, end))
    return dict(conn.execute(q).all())
