"""The review queue: grey-zone rows wait here until a person says who they are.

Deciding an entry records its values exactly as the import would have — one batch, the
department as source — either onto the chosen person or onto a new one, with the row's
household number (户号) tying the person to that household as the import would have;
rejecting it records nothing. Every decision names who made it. A decision is refused,
nothing written, unless the entry and the person it links to both lie in the decider's
subtree. Creating a person is refused when the entry's ID number is already someone's
(link to that person instead): a decision never mints a second holder of a number.

An entry's ``record`` holds the values to write; keys starting with "_" are what the row
held besides — ``_extra`` (the household number), ``_raw`` (an invalid ID cell as typed),
``_reason`` (why it waits) — and are never written as values. ``candidates`` lists
[entity id, probability, evidence] (evidence: ``linkage/evidence``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from onesheet.domain import write_scope
from onesheet.domain.access import Actor, field_visibility, org_in_scope
from onesheet.domain.findings import refuse
from onesheet.domain.masking import mask_value
from onesheet.linkage.rows import KEY_FIELDS
from onesheet.services.base import Store, service, utcnow
from onesheet.services.queue_decision import Audited, OnEntry
from onesheet.services.sheet_write import UnknownEntity
from onesheet.store import audit, ids, link_store
from onesheet.store.observation_log import LogRow
from onesheet.store.recorder import EntityWrite


@dataclass
class Decision:
    """What deciding an entry did."""

    entry_id: int
    status: str  # linked | created | rejected
    entity_id: int | None
    batch_id: int | None
    observations: int


@service("link_queue_list", permission="link.review", audit="link.queue")
def list_entries(
    store: Store, actor: Actor, *, status: str | None = "open", limit: int = 200
) -> list[dict[str, Any]]:
    """Queue entries in the actor's subtree (newest decisions last); values are the
    department's, not the sheet's. Reading them is audited: they hold personal data."""
    with store.transaction() as conn:
        entries = link_store.list_queue(conn, status=status, limit=limit, org_prefix=actor.org_code)
        kinds = {e["entity_type"] for e in entries}  # one kind named; a mixed list names none
        audit.write_event(
            conn,
            actor,
            "link.queue",
            now=utcnow(),
            entity_type=kinds.pop() if len(kinds) == 1 else None,
            entity_ids=[i for e in entries for i in _read_ids(e)],
            detail=f"{len(entries)} queue entries {[e['id'] for e in entries][:20]}",
        )
        return entries


@service("link_queue_entry", permission="link.review", audit="link.queue")
def get_entry(store: Store, actor: Actor, entry_id: int) -> dict[str, Any]:
    """One queue entry for a person to decide: ``UnknownEntity`` when there is none,
    ``AccessDenied`` when it lies outside the actor's area. Reading it is audited."""
    with store.transaction() as conn:
        entry = link_store.get_queue_entry(conn, entry_id)
        if entry is None:
            raise UnknownEntity(f"没有待办 {entry_id} (no queue entry {entry_id})")
        write_scope.require_all(actor, [OnEntry(conn, actor, entry).touched])
        audit.write_event(
            conn,
            actor,
            "link.queue",
            now=utcnow(),
            entity_type=entry["entity_type"],
            entity_ids=_read_ids(entry),
            detail=f"queue entry {entry_id}",
        )
        return entry


@service("link_queue_decide", permission="link.review", audit="link.decide")
def decide(
    store: Store,
    actor: Actor,
    entry_id: int,
    *,
    entity_id: int | None = None,
    create: bool = False,
    reject: bool = False,
    reason: str = "",
) -> Decision:
    """Apply a person's decision: link to ``entity_id``, ``create`` a new entity of the
    row's kind (person, enterprise, place), or reject. The audit event names that kind."""
    if sum([entity_id is not None, create, reject]) != 1:
        refuse("queue.choice")
    with store.transaction() as conn:
        entry = link_store.get_queue_entry(conn, entry_id)
        if entry is None:
            raise UnknownEntity(f"没有待办 {entry_id} (no queue entry {entry_id})")
        deciding = OnEntry(conn, actor, entry)
        deciding.require_open()
        if entry["kind"] == "duplicate":
            refuse("queue.duplicate", entry_id=entry_id)
        now = deciding.now
        if entry["kind"] == "county":
            return _decide_county(deciding, entity_id, create, reject)
        if reject:
            deciding.close("rejected")
            return Decision(entry_id, "rejected", None, None, 0)
        write = _write(conn, entry, entity_id, now, actor, store)
        household = _household(conn, entry, write, store, now)
        touched = [write_scope.entity(write.entity_id, write.org_code)]
        if household is not None:
            touched.append(write_scope.entity(household.entity_id, household.org_code))
        write_scope.require_all(actor, touched)
        status = "created" if write.is_new else "linked"
        batch_id, observations = deciding.record(
            store,
            [write] if household is None or not household.is_new else [household, write],
            batch=(
                "import",
                entry["source"],
                f"queue {entry_id}: {entry['file']} row {entry['row_no']} {reason}",
            ),
            status=status,
            entity_id=write.entity_id,
            audited=Audited(
                action="link.decide",
                entity_type=entry["entity_type"],
                entity_ids=[write.entity_id],
                detail=json.dumps({"entry": entry_id, "status": status}),
            ),
        )
        return Decision(entry_id, status, write.entity_id, batch_id, observations)


def _decide_county(
    deciding: OnEntry,
    entity_id: int | None,
    create: bool,
    reject: bool,
) -> Decision:
    """A cross-county entry (``services/province``): this county's staff say whether their
    candidate is the other county's person. Confirming records the link on the entry
    (``decision_entity_id``: their own person) and writes nothing — no values cross the
    county line and the other county's entry stays theirs to decide; creating is refused."""
    conn, actor, entry = deciding.conn, deciding.actor, deciding.entry
    own = int(entry["candidates"][0][0])
    if create or (entity_id is not None and entity_id != own):
        refuse("queue.county", entry_id=entry["id"])
    if not reject:
        found = link_store.entity_types(conn, [own]).get(own)
        write_scope.require_all(actor, [write_scope.entity(own, found[1] if found else None)])
    status = "rejected" if reject else "linked"
    other = entry["record"].get("_other") or {}
    deciding.close(
        status,
        entity_id=None if reject else own,
        audited=Audited(
            action="link.decide",
            entity_type="person",
            entity_ids=[own],
            detail=json.dumps({"entry": entry["id"], "status": status, "other": other}),
        ),
    )
    return Decision(entry["id"], status, None if reject else own, None, 0)


def _read_ids(entry: dict[str, Any]) -> list[int]:
    """The people an entry shows: its candidates and, for a cross-county entry, the other
    county's person whose values it holds (their reading is audited too)."""
    other = (entry["record"].get("_other") or {}).get("entity_id")
    return [c[0] for c in entry["candidates"]] + ([int(other)] if other else [])


KINDS_ZH = {"person": "人员", "enterprise": "企业", "place": "场所"}
HOUSEHOLD_FIELDS = {"person.household", "household.household_no"}


def _household(conn, entry: dict[str, Any], write: EntityWrite, store: Store, now):  # type: ignore[no-untyped-def]
    """The queued row's household number applied as the import would have: the person
    gains ``person.household`` (on ``write``); an unknown number becomes a new household in
    the person's org unit, returned as its own write (None when the number is known)."""
    number = (entry["record"].get("_extra") or {}).get("household.household_no")
    if not number or not set(store.dictionary.fields) >= HOUSEHOLD_FIELDS:
        return None
    known = link_store.households_by_number(conn, entry["county_code"], {number})
    if number in known:
        hid, org = known[number]
        fresh = None
    else:
        hid, org = ids.allocate(conn, "entity", 1, entry["county_code"])[0], write.org_code
        row = LogRow(
            hid, "household", "household.household_no", number, "value", now, entry["source"]
        )
        fresh = EntityWrite(hid, "household", org, [row], is_new=True)
    ref = LogRow(
        write.entity_id, "person", "person.household", str(hid), "value", now, entry["source"]
    )
    write.rows.append(ref)
    return fresh if fresh is not None else EntityWrite(hid, "household", org, [])


def _write(
    conn, entry: dict[str, Any], entity_id: int | None, now, actor: Actor, store: Store
) -> EntityWrite:  # type: ignore[no-untyped-def]
    values = {k: v for k, v in entry["record"].items() if not k.startswith("_")}
    if entity_id is not None:
        found = link_store.entity_types(conn, [entity_id]).get(entity_id)
        if found is None or found[0] != entry["entity_type"]:
            refuse(
                "queue.entity",
                entity_id=entity_id,
                kinds_zh=KINDS_ZH.get(entry["entity_type"], "对象"),
                entry=entry["entity_type"],
            )
        eid, org, is_new = entity_id, found[1], False
    else:
        number = values.get(KEY_FIELDS.get(entry["entity_type"], "person.id_number"))
        held = link_store.holders(conn, entry["entity_type"], [number]) if number else {}
        if number in held:
            # the number as the decider may see it (a village cadre sees it masked on the
            # page: quoting it whole gave the full number away), the holder only when theirs
            key = store.dictionary.fields.get(KEY_FIELDS.get(entry["entity_type"], ""))
            shown = number
            if key is not None and field_visibility(actor, key, store.grants) != "full":
                shown = mask_value(key.mask, number) or "*" * len(number)
            holder, org = held[number]
            refuse(
                "queue.key_held",
                number=shown,
                held=holder if org_in_scope(actor, org) else "（管辖范围以外 outside your area）",
            )
        eid, org, is_new = (
            ids.allocate(conn, "entity", 1, entry["county_code"])[0],
            entry["org_code"],
            True,
        )
    rows = [
        LogRow(eid, entry["entity_type"], k, v, "value", now, entry["source"])
        for k, v in values.items()
    ]
    key = values.get(KEY_FIELDS.get(entry["entity_type"], "")) if is_new else None
    return EntityWrite(eid, entry["entity_type"], org, rows, is_new=is_new, natural_key=key)
