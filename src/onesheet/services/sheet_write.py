"""Writing values into the sheet: corrections, removals (tombstones) and settlements.

All values are parsed first; if any is refused nothing is written (one batch, all or
nothing). A writer that says which row version it read gets ``ConcurrentEdit`` instead of
silently overwriting someone else's change.

Scope (``domain/write_scope``): the entity must lie in the actor's subtree, and so must every
entity a reference value points at (a person's household, a household's head or house); the
source is the actor's own (village and town staff write as ``village``, a department user as
its department), and only an administrator may name another source, audited as a write on
that department's behalf.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from onesheet.domain import write_scope
from onesheet.domain.access import (
    AccessDenied,
    Actor,
    field_visibility,
    org_in_scope,
    require_org,
)
from onesheet.domain.dictionary import Dictionary
from onesheet.domain.findings import Finding, InvalidInput, finding
from onesheet.domain.values.parse import parse_for_field
from onesheet.domain.values.problems import ValueProblem
from onesheet.services.base import Store, service, utcnow
from onesheet.store import audit, entities, ids
from onesheet.store.db import Connection
from onesheet.store.observation_log import LogRow
from onesheet.store.recorder import EntityWrite, RecordResult, record, start_batch
from onesheet.store.sheet_view import ConcurrentEdit

__all__ = [
    "Change",
    "ConcurrentEdit",
    "NoSuchConflict",
    "UnknownEntity",
    "parse_changes",
    "record_changes",
    "settle_conflict",
]


@dataclass(frozen=True)
class Change:
    """One value to record about an entity: a new value, a removal, or a settlement."""

    field_key: str
    raw: object = None
    kind: str = "value"  # value | tombstone | settle
    reason: str | None = None


class UnknownEntity(LookupError):
    """No entity with that id exists."""


def _entity(conn: Connection, entity_id: int) -> tuple[str, str, str]:
    place = entities.placement(conn, entity_id)
    if place is None:
        raise UnknownEntity(f"没有编号为 {entity_id} 的对象 (no entity {entity_id})")
    return place.entity_type, place.org_code, place.county_code


def parse_changes(
    dictionary: Dictionary, entity_type: str, changes: Sequence[Change]
) -> list[tuple[Change, str | None]]:
    """Parse every change or raise InvalidInput listing every refused one."""
    findings: list[Finding] = []
    parsed: list[tuple[Change, str | None]] = []
    for ch in changes:
        field = dictionary.fields.get(ch.field_key)
        if field is None or field.entity != entity_type or not field.stored:
            findings.append(
                finding(
                    "field.unknown",
                    field_key=ch.field_key,
                    entity_type=entity_type,
                    field=ch.field_key,
                )
            )
            continue
        if ch.kind == "tombstone":
            if not ch.reason:
                findings.append(finding("tombstone.reason", field=ch.field_key))
            parsed.append((ch, None))
            continue
        try:
            value = parse_for_field(field, ch.raw, dictionary.code_tables)
        except ValueProblem as problem:
            findings.append(Finding.from_problem(problem, field=ch.field_key))
            continue
        if value is None:
            findings.append(
                finding("value.empty", label_zh=field.label_zh, key=field.key, field=ch.field_key)
            )
            continue
        parsed.append((ch, value))
    if findings:
        raise InvalidInput(findings)
    return parsed


def _check_unique_id_number(conn: Connection, actor: Actor, entity_id: int, value: str) -> None:
    """Refuse an ID number another person already holds.

    The holder is named only when the actor may see them: naming an entity of another area
    would tell a cadre who in the county holds a number they typed.
    """
    other = entities.id_number_holder(conn, value, other_than=entity_id)
    if other is None:
        return
    holder, holder_org = other
    if org_in_scope(actor, holder_org):
        zh, en = f"已属于另一人（编号 {holder}）", f"belongs to entity {holder}"
    else:
        zh, en = "已登记在您管辖范围以外的人名下，请核实", "is held by a person outside your area"
    raise InvalidInput(
        [
            finding(
                "id_number.duplicate",
                value=value[:6],
                value2=value[-4:],
                zh=zh,
                en=en,
                field="person.id_number",
            )
        ]
    )


@service("sheet_record", permission="sheet.write", audit="sheet.write")
def record_changes(
    store: Store,
    actor: Actor,
    entity_id: int,
    changes: Sequence[Change],
    *,
    source: str | None = None,
    expected_version: int | None = None,
    valid_from: datetime | None = None,
) -> RecordResult:
    """Record corrections, removals or settlements about one entity as one batch.

    ``source`` defaults to the actor's own; naming another is an administrator's privilege.
    """
    source = write_scope.own_source(actor, source or actor.department)
    guessing = _writes_a_hidden_id_number(store, actor, changes)
    try:
        return _record(
            store, actor, entity_id, changes, source, expected_version, valid_from, guessing
        )
    except InvalidInput as exc:
        if guessing and any(f.code == "id_number.duplicate" for f in exc.findings):
            _audit_refused_id_number(store, actor, entity_id)
        raise


# A viewer who sees ID numbers masked could otherwise try guesses for a hidden number by
# writing each onto a person of their own: "belongs to another person" marks the right one.
# Every such write, done or refused, is audited under one detail and rationed per day.
ID_WRITES_A_DAY = 20
ID_WRITE_WINDOW = timedelta(hours=24)
ID_WRITE_DETAIL = "id_number by a masked viewer"


def _writes_a_hidden_id_number(store: Store, actor: Actor, changes: Sequence[Change]) -> bool:
    ids = store.dictionary.fields.get("person.id_number")
    if ids is None or not any(c.field_key == ids.key and c.kind == "value" for c in changes):
        return False
    return field_visibility(actor, ids, store.grants) != "full"


def _ration_id_number_writes(conn: Connection, actor: Actor, now: datetime) -> None:
    used = audit.count_empty_events(
        conn,
        actor=actor.username,
        action="sheet.write",
        since=now - ID_WRITE_WINDOW,
        detail_prefix=ID_WRITE_DETAIL,
        empty_only=False,
    )
    if used >= ID_WRITES_A_DAY:
        raise AccessDenied(
            f"24小时内已修改身份证号{ID_WRITES_A_DAY}次，请明天再试或请乡镇核实",
            f"{actor.username}: {ID_WRITES_A_DAY} ID-number writes in 24 hours; try tomorrow",
        )


def _audit_refused_id_number(store: Store, actor: Actor, entity_id: int) -> None:
    """The refused write is rolled back with its transaction; its attempt is kept here."""
    with store.transaction() as conn:
        _, _, county = _entity(conn, entity_id)
        audit.write_event(
            conn,
            actor,
            "sheet.write",
            now=utcnow(),
            entity_type="person",
            entity_ids=[entity_id],
            fields=["person.id_number"],
            county_code=county,
            detail=f"{ID_WRITE_DETAIL}; refused: held by another person",
        )


def _record(
    store: Store,
    actor: Actor,
    entity_id: int,
    changes: Sequence[Change],
    source: str,
    expected_version: int | None,
    valid_from: datetime | None,
    guessing: bool,
) -> RecordResult:
    with store.transaction() as conn:
        entity_type, org_code, county = _entity(conn, entity_id)
        require_org(actor, org_code)
        parsed = parse_changes(store.dictionary, entity_type, changes)
        _check_references(conn, store.dictionary, actor, parsed)
        now = utcnow()
        if guessing:
            _ration_id_number_writes(conn, actor, now)
        batch_id = ids.allocate(conn, "batch", 1, county)[0]
        start_batch(
            conn,
            batch_id,
            kind="correction",
            county_code=county,
            source=source,
            actor=actor.username,
            now=now,
        )
        rows = [
            LogRow(
                entity_id,
                entity_type,
                ch.field_key,
                value,
                ch.kind,
                valid_from or now,
                source,
                ch.reason,
            )
            for ch, value in parsed
        ]
        write = EntityWrite(entity_id, entity_type, org_code, rows)
        expected = {entity_id: expected_version} if expected_version is not None else None
        result = record(
            conn,
            store.dictionary,
            [write],
            county_code=county,
            batch_id=batch_id,
            actor=actor.username,
            now=now,
            expected_versions=expected,
        )
        # after the write it guards (rolled back with it): checked before, a write refused
        # for another reason (a stale version) told a masked viewer, at no cost, whether
        # the number typed was someone's - a full ID number rebuilt from ~500 guesses
        for ch, value in parsed:
            if ch.field_key == "person.id_number" and value:
                _check_unique_id_number(conn, actor, entity_id, value)
        behalf = write_scope.on_behalf(actor, source)
        audit.write_event(
            conn,
            actor,
            "sheet.write",
            now=now,
            entity_type=entity_type,
            entity_ids=[entity_id],
            fields=[c.field_key for c, _ in parsed],
            county_code=county,
            detail=(f"{ID_WRITE_DETAIL}; " if guessing else "")
            + f"source={source}"
            + (f" on behalf of {source}" if behalf else ""),
        )
        return result


def _check_references(
    conn: Connection,
    dictionary: Dictionary,
    actor: Actor,
    parsed: Sequence[tuple[Change, str | None]],
) -> None:
    """Every entity a reference value points at must exist, be of the field's entity type,
    and lie in the actor's subtree (a person cannot be put into another village's household)."""
    wanted: dict[int, str] = {}
    for ch, value in parsed:
        f = dictionary.fields[ch.field_key]
        if f.type == "ref" and value is not None and ch.kind != "tombstone":
            wanted[int(value)] = ch.field_key
    if not wanted:
        return
    found = {i: (p.entity_type, p.org_code) for i, p in entities.placements(conn, wanted).items()}
    problems = []
    for target, key in wanted.items():
        expected = dictionary.fields[key].ref_entity
        if target not in found or (expected and found[target][0] != expected):
            problems.append(
                finding(
                    "ref.unknown",
                    target=target,
                    expected=expected or "对象",
                    expected_en=expected or "entity",
                    field=key,
                )
            )
    if problems:
        raise InvalidInput(problems)
    write_scope.require_all(actor, [write_scope.entity(t, found[t][1]) for t in wanted])


class NoSuchConflict(LookupError):
    """The field is not (or no longer) in conflict, or that source is not one of its sides."""


@service("sheet_settle", permission="sheet.settle", audit="sheet.write")
def settle_conflict(
    store: Store,
    actor: Actor,
    entity_id: int,
    field_key: str,
    source: str,
    *,
    expected_version: int | None = None,
    reason: str | None = None,
) -> RecordResult:
    """A village's one-tap decision: ``source``'s value of a conflicting field is the one.

    The value is taken from the conflict row, so a cadre who sees it only masked can still
    say which source is right without ever seeing (or retyping) it.
    """
    with store.transaction() as conn:
        _, org_code, _ = _entity(conn, entity_id)
        require_org(actor, org_code)
        detail = entities.conflict_detail(conn, entity_id, field_key)
    sides = json.loads(detail) if detail is not None else []
    value = next((s["value"] for s in sides if s.get("source") == source), None)
    if value is None:
        raise NoSuchConflict(f"{entity_id} {field_key} has no conflicting value from {source}")
    return record_changes(
        store,
        actor,
        entity_id,
        [Change(field_key, value, kind="settle", reason=reason or f"以{source}为准")],
        expected_version=expected_version,
    )
