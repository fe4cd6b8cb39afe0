"""Audit events: who read or changed what, written in the same transaction as the act."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, insert, select

from onesheet.domain.access import Actor
from onesheet.store.schema import table

MAX_IDS = 200  # ids kept verbatim; the count is always exact


def write_event(
    conn: Connection,
    actor: Actor,
    action: str,
    *,
    now: datetime,
    entity_type: str | None = None,
    entity_ids: Sequence[int] = (),
    fields: Iterable[str] = (),
    detail: str = "",
    county_code: str | None = None,
) -> None:
    """Record one audit event (ids beyond ``MAX_IDS`` are counted, not listed)."""
    ids = list(entity_ids)
    conn.execute(
        insert(table("audit_event")).values(
            at=now,
            actor=actor.username,
            role=actor.role,
            action=action,
            county_code=county_code or actor.county_code,
            entity_type=entity_type,
            entity_count=len(ids),
            entity_ids=",".join(str(i) for i in ids[:MAX_IDS]),
            fields=",".join(sorted(set(fields))),
            detail=detail,
        )
    )


def recent_events(conn: Connection, *, limit: int = 50, actor: str | None = None) -> list[dict]:  # type: ignore[type-arg]
    """The newest audit events, newest first."""
    t = table("audit_event")
    q = select(t).order_by(t.c.id.desc()).limit(limit)
    if actor:
        q = q.where(t.c.actor == actor)
    return [dict(r._mapping) for r in conn.execute(q)]
