"""The review queue: grey-zone rows wait here until a person says who they are.

Deciding an entry records its values exactly as the import would have — one batch, the
department as source — either onto the chosen person or onto a new one; rejecting it
records nothing. Every decision names who made it. A decision is refused, nothing written,
unless the entry and the person it links to both lie in the decider's subtree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from onesheet.domain import write_scope
from onesheet.domain.access import Actor
from onesheet.domain.findings import Finding, InvalidInput
from onesheet.services.base import Store, service, utcnow
from onesheet.store import audit, ids, link_store
from onesheet.store.observation_log import LogRow
from onesheet.store.recorder import EntityWrite, record, start_batch


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
        audit.write_event(
            conn,
            actor,
            "link.queue",
            now=utcnow(),
            entity_type="person",
            entity_ids=[c[0] for e in entries for c in e["candidates"]],
            detail=f"{len(entries)} queue entries {[e['id'] for e in entries][:20]}",
        )
        return entries


def _refuse(code: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput([Finding(code, zh, en)])


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
    """Apply a person's decision: link to ``entity_id``, ``create`` a new person, or reject."""
    if sum([entity_id is not None, create, reject]) != 1:
        raise _refuse(
            "queue.choice", "请选择：关联到某人、新建或驳回", "choose link, create or reject"
        )
    with store.transaction() as conn:
        entry = link_store.get_queue_entry(conn, entry_id)
        if entry is None:
            raise _refuse("queue.unknown", f"没有待办 {entry_id}", f"no queue entry {entry_id}")
        write_scope.require_all(actor, [_entry_touched(entry)])
        if entry["status"] != "open":
            raise _refuse("queue.closed", f"待办 {entry_id} 已处理", f"entry {entry_id} is closed")
        if entry["kind"] == "duplicate":
            raise _refuse(
                "queue.duplicate",
                f"待办 {entry_id} 是疑似重复人员，请用 onesheet link merge 处理",
                f"entry {entry_id} is a duplicate pair: use onesheet link merge",
            )
        now = utcnow()
        if reject:
            link_store.close_queue_entry(
                conn,
                entry_id,
                status="rejected",
                actor=actor.username,
                now=now,
                entity_id=None,
                batch_id=None,
            )
            return Decision(entry_id, "rejected", None, None, 0)
        write = _write(conn, entry, entity_id, now)
        write_scope.require_all(actor, [write_scope.entity(write.entity_id, write.org_code)])
        batch_id = ids.allocate(conn, "batch", 1)[0]
        start_batch(
            conn,
            batch_id,
            kind="import",
            county_code=entry["county_code"],
            source=entry["source"],
            actor=actor.username,
            now=now,
            description=f"queue {entry_id}: {entry['file']} row {entry['row_no']} {reason}",
        )
        result = record(
            conn,
            store.dictionary,
            [write],
            county_code=entry["county_code"],
            batch_id=batch_id,
            actor=actor.username,
            now=now,
        )
        status = "created" if write.is_new else "linked"
        link_store.close_queue_entry(
            conn,
            entry_id,
            status=status,
            actor=actor.username,
            now=now,
            entity_id=write.entity_id,
            batch_id=batch_id,
        )
        audit.write_event(
            conn,
            actor,
            "link.decide",
            now=now,
            county_code=entry["county_code"],
            entity_type="person",
            entity_ids=[write.entity_id],
            detail=json.dumps({"entry": entry_id, "status": status}),
        )
        return Decision(entry_id, status, write.entity_id, batch_id, result.observations)


def _entry_touched(entry: dict[str, Any]) -> write_scope.Touched:
    return write_scope.Touched(
        f"待办 {entry['id']}", f"queue entry {entry['id']}", entry.get("org_code") or None
    )


def _write(conn, entry: dict[str, Any], entity_id: int | None, now) -> EntityWrite:  # type: ignore[no-untyped-def]
    values: dict[str, str] = entry["record"]
    if entity_id is not None:
        found = link_store.entity_types(conn, [entity_id]).get(entity_id)
        if found is None or found[0] != entry["entity_type"]:
            raise _refuse(
                "queue.entity", f"没有编号为 {entity_id} 的人员", f"no person {entity_id}"
            )
        eid, org, is_new = entity_id, found[1], False
    else:
        eid, org, is_new = ids.allocate(conn, "entity", 1)[0], entry["org_code"], True
    rows = [
        LogRow(eid, entry["entity_type"], k, v, "value", now, entry["source"])
        for k, v in values.items()
    ]
    key = values.get("person.id_number") if is_new else None
    return EntityWrite(eid, entry["entity_type"], org, rows, is_new=is_new, natural_key=key)
