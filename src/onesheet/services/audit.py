"""Reading the audit trail: who read (or changed, or was refused) a person, when, through what.

Answered from ``audit_entity``, which lists every entity an audited event touched — a
report of 100,000 rows included — and the ``denied`` events the ``service`` wrapper writes
for refused calls. Looking is itself audited, so the trail also shows who looked.
"""

from __future__ import annotations

from onesheet.domain.access import Actor, require_org
from onesheet.services.base import Store, service, utcnow
from onesheet.services.sheet_write import UnknownEntity
from onesheet.store import audit
from onesheet.store.audit import Access

WHO_READ = "audit.who_read"


@service("audit_who_read", permission="audit.read", audit=WHO_READ)
def who_read(
    store: Store, actor: Actor, entity_id: int, *, limit: int | None = None
) -> list[Access]:
    """Every audited event that touched ``entity_id``, newest first (admin only; a county
    administrator only for entities of its county)."""
    with store.transaction() as conn:
        if actor.org_code is not None:
            org = audit.entity_org(conn, entity_id)
            if org is None:
                raise UnknownEntity(f"没有编号为 {entity_id} 的对象 (no entity {entity_id})")
            require_org(actor, org)
        found = audit.events_touching(conn, entity_id, limit=limit)
        audit.write_event(
            conn,
            actor,
            WHO_READ,
            now=utcnow(),
            entity_ids=[entity_id],
            detail=f"entity={entity_id}",
        )
    return found
