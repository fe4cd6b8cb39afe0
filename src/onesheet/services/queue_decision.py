"""The steps every decision on a review-queue entry shares, written once.

A link decision (``services/linkage_queue.decide``) and a merge (``services/dedupe.merge``)
differ in what they write, not in how they decide: the entry must lie in the decider's
subtree (with every entity the decision touches) and still be open; a rejection closes it
and writes nothing; an acceptance records its writes as one batch of the entry's county,
closes the entry naming the entity and the batch, and writes its audit event — all in the
caller's transaction, so a refusal anywhere leaves nothing behind.

The steps are methods of ``OnEntry`` rather than module functions: a public function of a
service module is a use case that declares its permission (tests/contract), and these are
steps inside the use cases that declare them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from onesheet.domain import write_scope
from onesheet.domain.access import Actor
from onesheet.domain.findings import refuse
from onesheet.services.base import Store, utcnow
from onesheet.store import audit, ids, link_store
from onesheet.store.db import Connection
from onesheet.store.recorder import EntityWrite, record, start_batch


@dataclass(frozen=True)
class Audited:
    """The audit event a decision writes: the action, the kind of entity and which ones."""

    action: str
    entity_type: str
    entity_ids: list[int]
    detail: str


@dataclass(frozen=True)
class OnEntry:
    """One queue entry being read or decided by ``actor`` in the transaction ``conn``; ``now``
    is the decision's one time (batch, observations, the entry's decided_at, audit)."""

    conn: Connection
    actor: Actor
    entry: dict[str, Any]
    now: datetime = field(default_factory=utcnow)

    @property
    def touched(self) -> write_scope.Touched:
        """The entry itself as a place the actor reaches (an entry of no org unit: unknown)."""
        entry_id = self.entry["id"]
        org = self.entry.get("org_code") or None
        return write_scope.Touched(f"待办 {entry_id}", f"queue entry {entry_id}", org)

    def require_open(self, also: Sequence[write_scope.Touched] = ()) -> None:
        """Refuse unless the entry and everything in ``also`` lie in the actor's subtree
        (checked first: an outsider learns nothing of the entry's state) and it is open."""
        write_scope.require_all(self.actor, [self.touched, *also])
        if self.entry["status"] != "open":
            refuse("queue.closed", entry_id=self.entry["id"])

    def close(
        self,
        status: str,
        *,
        entity_id: int | None = None,
        batch_id: int | None = None,
        audited: Audited | None = None,
    ) -> None:
        """Close the entry with the decision (who, when, which entity and batch) and write
        the decision's audit event; a rejection (``audited`` None) writes none: it records
        nothing."""
        link_store.close_queue_entry(
            self.conn,
            self.entry["id"],
            status=status,
            actor=self.actor.username,
            now=self.now,
            entity_id=entity_id,
            batch_id=batch_id,
        )
        if audited is not None:
            audit.write_event(
                self.conn,
                self.actor,
                audited.action,
                now=self.now,
                county_code=self.entry["county_code"],
                entity_type=audited.entity_type,
                entity_ids=audited.entity_ids,
                detail=audited.detail,
            )

    def record(
        self,
        store: Store,
        writes: list[EntityWrite],
        *,
        batch: tuple[str, str, str],
        status: str,
        entity_id: int,
        audited: Audited,
    ) -> tuple[int, int]:
        """Record ``writes`` as one new batch of the entry's county — ``batch`` is its kind,
        source and description — then close the entry on ``entity_id`` and that batch and
        write the audit event. Returns the batch id and the observations recorded."""
        kind, source, description = batch
        county = self.entry["county_code"]
        batch_id = ids.allocate(self.conn, "batch", 1, county)[0]
        user = self.actor.username
        start_batch(
            self.conn,
            batch_id,
            kind=kind,
            county_code=county,
            source=source,
            actor=user,
            now=self.now,
            description=description,
        )
        result = record(
            self.conn,
            store.dictionary,
            writes,
            county_code=county,
            batch_id=batch_id,
            actor=user,
            now=self.now,
        )
        self.close(status, entity_id=entity_id, batch_id=batch_id, audited=audited)
        return batch_id, result.observations
