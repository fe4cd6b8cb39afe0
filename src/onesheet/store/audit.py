"""Audit events: who read or changed what, written in the same transaction as the act."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import (
    BigInteger,
    Connection,
    Insert,
    Select,
    String,
    bindparam,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY

from onesheet.domain.access import Actor
from onesheet.store import audit_spool
from onesheet.store.engine import is_postgres
from onesheet.store.schema import table

MAX_IDS = 200  # ids kept verbatim on the event row; ``audit_entity`` keeps every one
ONE_STATEMENT_IDS = 1000  # ids written with their event in one statement (PostgreSQL)


def write_event(
    conn: Connection,
    actor: Actor,
    action: str,
    *,
    now: datetime,
    entity_type: str | None = None,
    entity_ids: Iterable[int] = (),
    fields: Iterable[str] = (),
    detail: str = "",
    county_code: str | None = None,
) -> int:
    """Record one audit event and every entity it touched; returns the event's id.

    The event row lists the first ``MAX_IDS`` ids (a glance in a table viewer); all of them,
    however many, go to ``audit_entity``, so "who read person X" can be answered for a
    100,000-row report too. On PostgreSQL a page's worth of ids (``ONE_STATEMENT_IDS``) goes
    in the same statement as the event (two INSERTs in one WITH: one round trip on every
    audited read); more go by COPY after it. In a SQLite read (``Store.audited_read``) the
    event is only kept, and written (or spooled) once the read is done: ``store/audit_spool``;
    its id is then not known yet and 0 is returned.
    """
    ids = list(dict.fromkeys(int(i) for i in entity_ids))  # de-duplicated, order kept
    county = county_code or actor.county_code
    values = {
        "at": now,
        "actor": actor.username,
        "role": actor.role,
        "action": action,
        "county_code": county,
        "entity_type": entity_type,
        "entity_count": len(ids),
        "entity_ids": ",".join(str(i) for i in ids[:MAX_IDS]),
        "fields": ",".join(sorted(set(fields))),
        "detail": detail,
    }
    deferred = conn.info.get(audit_spool.DEFERRED)
    if deferred is not None:  # a read on SQLite (Store.audited_read): written after it
        deferred.append(audit_spool.Pending(values, ids))
        return 0
    if ids and len(ids) <= ONE_STATEMENT_IDS and is_postgres(conn):
        return int(conn.execute(_with_entities(), {**values, "audit_ids": ids}).scalar_one())
    return audit_spool.insert_event(conn, values, ids)


# The two statements are built once: every audited read runs one, and building a statement
# (and its cache key) costs more than running a compiled one.
_COLUMNS = (
    "at", "actor", "role", "action", "county_code", "entity_type",
    "entity_count", "entity_ids", "fields", "detail",
)  # fmt: skip


@cache
def _event() -> Insert:
    """INSERT of one event row, every value a bound parameter named as its column."""
    return insert(table("audit_event")).values({c: bindparam(c) for c in _COLUMNS})


@cache
def _with_entities() -> Select:  # type: ignore[type-arg]
    """``WITH ev AS (INSERT event RETURNING id), ent AS (INSERT INTO audit_entity SELECT
    ev.id, unnest(:audit_ids), :county_code FROM ev) SELECT id FROM ev`` (PostgreSQL)."""
    e, a = table("audit_event"), table("audit_entity")
    ev = _event().returning(e.c.id).cte("ev")
    ids = func.unnest(bindparam("audit_ids", type_=ARRAY(BigInteger)))
    county = bindparam("county_code", type_=String(6))
    rows = select(ev.c.id, ids, county).select_from(ev)
    entities = insert(a).from_select(["event_id", "entity_id", "county_code"], rows).cte("ent")
    return select(ev.c.id).add_cte(entities)


@dataclass(frozen=True)
class Access:
    """One audited event that touched an entity: who, when, through what."""

    event_id: int
    at: datetime
    actor: str
    role: str
    action: str
    entity_type: str | None
    fields: list[str]
    detail: str
    entity_count: int


def events_touching(conn: Connection, entity_id: int, *, limit: int | None = None) -> list[Access]:
    """Every audited event that touched ``entity_id``, newest first."""
    e, a = table("audit_event"), table("audit_entity")
    q = (
        select(e)
        .join(a, a.c.event_id == e.c.id)
        .where(a.c.entity_id == entity_id)
        .order_by(e.c.at.desc(), e.c.id.desc())
    )
    if limit:
        q = q.limit(limit)
    return [
        Access(
            r.id,
            r.at,
            r.actor,
            r.role,
            r.action,
            r.entity_type,
            [f for f in r.fields.split(",") if f],
            r.detail,
            r.entity_count,
        )
        for r in conn.execute(q)
    ]


def recent_events(conn: Connection, *, limit: int = 50, actor: str | None = None) -> list[dict]:  # type: ignore[type-arg]
    """The newest audit events, newest first."""
    t = table("audit_event")
    q = select(t).order_by(t.c.id.desc()).limit(limit)
    if actor:
        q = q.where(t.c.actor == actor)
    return [dict(r._mapping) for r in conn.execute(q)]


def count_empty_events(
    conn: Connection,
    *,
    actor: str,
    action: str,
    since: datetime,
    detail_prefix: str,
    empty_only: bool = True,
) -> int:
    """How many of ``actor``'s ``action`` events since ``since`` with a detail starting
    with ``detail_prefix`` touched nobody (e.g. full-number lookups that found no one, which
    ``services/sheet_read`` rations) - those still in the SQLite audit spool included, so
    a ration holds while an import keeps the events of reads waiting. ``empty_only=False``
    counts every such event (``services/sheet_write`` rations ID-number writes so)."""
    a = table("audit_event")
    q = select(func.count()).where(
        a.c.actor == actor,
        a.c.action == action,
        a.c.at >= since,
        a.c.detail.startswith(detail_prefix, autoescape=True),
    )
    if empty_only:
        q = q.where(a.c.entity_count == 0)
    waiting = [
        e.values
        for e in audit_spool.waiting(conn)
        if e.values["actor"] == actor
        and e.values["action"] == action
        and e.values["at"] >= since
        and (e.values["entity_count"] == 0 or not empty_only)
        and str(e.values["detail"]).startswith(detail_prefix)
    ]
    return int(conn.execute(q).scalar_one()) + len(waiting)


def entity_org(conn: Connection, entity_id: int) -> str | None:
    """The org code an entity belongs to (to scope who may look at its trail), or None."""
    t = table("entity")
    return conn.execute(select(t.c.org_code).where(t.c.id == entity_id)).scalar_one_or_none()
