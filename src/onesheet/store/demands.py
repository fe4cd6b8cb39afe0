"""Demand rows: registered, read in a scope, moved through the Gate, flagged by villages."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from onesheet.domain.demands import Decision, Demand, Flag, Registration
from onesheet.store.schema import metadata

_md = metadata()


def _t(name: str):  # type: ignore[no-untyped-def]
    return _md.tables[name]


def insert_demand(
    conn: Connection, reg: Registration, *, county_code: str, by: str, at: datetime
) -> int:
    values = {
        "county_code": county_code,
        "kind": reg.kind,
        "title": reg.title.strip(),
        "department": reg.department,
        "villages": json.dumps(list(reg.villages)),
        "frequency": reg.frequency,
        "minutes": reg.minutes,
        "basis": reg.basis.strip(),
        "matter": reg.matter or None,
        "starts_on": reg.starts_on,
        "ends_on": reg.ends_on,
        "data_fields": json.dumps(list(reg.data_fields)),
        "topics": json.dumps(list(reg.topics), ensure_ascii=False),
        "status": "submitted",
        "registered_by": by,
        "registered_at": at,
        "version": 1,
    }
    result = conn.execute(insert(_t("demand")).values(**values))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def _to_demand(r: object) -> Demand:
    m = r._mapping  # type: ignore[attr-defined]
    return Demand(
        kind=m["kind"],
        title=m["title"],
        department=m["department"],
        villages=tuple(json.loads(m["villages"])),
        frequency=m["frequency"],
        minutes=int(m["minutes"]),
        basis=m["basis"],
        matter=m["matter"],
        starts_on=m["starts_on"],
        ends_on=m["ends_on"],
        data_fields=tuple(json.loads(m["data_fields"] or "[]")),
        topics=tuple(json.loads(m["topics"] or "[]")),
        id=int(m["id"]),
        county_code=m["county_code"],
        status=m["status"],
        merged_into=m["merged_into"],
        registered_by=m["registered_by"],
        registered_at=m["registered_at"],
        decided_at=m["decided_at"],
        version=int(m["version"]),
    )


def get_demand(conn: Connection, demand_id: int) -> Demand | None:
    t = _t("demand")
    row = conn.execute(select(t).where(t.c.id == demand_id)).one_or_none()
    return _to_demand(row) if row else None


def list_demands(
    conn: Connection,
    *,
    county_code: str | None = None,
    department: str | None = None,
    statuses: Iterable[str] | None = None,
    kind: str | None = None,
) -> list[Demand]:
    t = _t("demand")
    q = select(t).order_by(t.c.id)
    if county_code:
        q = q.where(t.c.county_code == county_code)
    if department:
        q = q.where(t.c.department == department)
    if statuses is not None:
        q = q.where(t.c.status.in_(list(statuses)))
    if kind:
        q = q.where(t.c.kind == kind)
    return [_to_demand(r) for r in conn.execute(q)]


def set_status(
    conn: Connection,
    demand: Demand,
    *,
    status: str,
    at: datetime,
    merged_into: int | None = None,
) -> bool:
    """Move the demand if it is still at its version; False when someone moved it first."""
    t = _t("demand")
    result = conn.execute(
        update(t)
        .where(t.c.id == demand.id, t.c.version == demand.version)
        .values(status=status, decided_at=at, merged_into=merged_into, version=demand.version + 1)
    )
    return result.rowcount == 1


def insert_decision(
    conn: Connection,
    demand_id: int,
    decision: str,
    *,
    target_id: int | None,
    actor: str,
    at: datetime,
    reason: str,
    review: dict[str, object],
) -> int:
    result = conn.execute(
        insert(_t("demand_decision")).values(
            demand_id=demand_id,
            decision=decision,
            target_id=target_id,
            actor=actor,
            at=at,
            reason=reason,
            review=json.dumps(review, ensure_ascii=False, default=str),
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def _to_decision(r: object) -> Decision:
    m = r._mapping  # type: ignore[attr-defined]
    return Decision(
        int(m["id"]),
        int(m["demand_id"]),
        m["decision"],
        m["target_id"],
        m["actor"],
        m["at"],
        m["reason"],
        json.loads(m["review"] or "{}"),
    )


def decisions_of(conn: Connection, demand_id: int) -> list[Decision]:
    """Decisions on a demand and those of demands merged into it, oldest first."""
    t = _t("demand_decision")
    q = (
        select(t)
        .where((t.c.demand_id == demand_id) | (t.c.target_id == demand_id))
        .order_by(t.c.at, t.c.id)
    )
    return [_to_decision(r) for r in conn.execute(q)]


def all_decisions(conn: Connection, demand_ids: Iterable[int] | None = None) -> list[Decision]:
    t = _t("demand_decision")
    q = select(t).order_by(t.c.at, t.c.id)
    if demand_ids is not None:
        q = q.where(t.c.demand_id.in_(list(demand_ids)))
    return [_to_decision(r) for r in conn.execute(q)]


def insert_flag(conn: Connection, **values: object) -> int:
    result = conn.execute(insert(_t("demand_flag")).values(**values))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def list_flags(
    conn: Connection, *, org_prefix: str | None = None, department: str | None = None
) -> list[Flag]:
    """Flags in a subtree, each with its feedback item's status (resolved or not)."""
    f, fb = _t("demand_flag"), _md.tables["feedback"]
    q = (
        select(f, fb.c.status.label("feedback_status"))
        .select_from(f.outerjoin(fb, fb.c.id == f.c.feedback_id))
        .order_by(f.c.id)
    )
    if org_prefix:
        q = q.where(f.c.org_code.startswith(org_prefix))
    if department:
        q = q.where(f.c.department == department)
    return [
        Flag(
            int(r.id),
            r.org_code,
            r.department,
            r.demand_id,
            r.outcome,
            r.created_at,
            r.feedback_status,
        )
        for r in conn.execute(q)
    ]


def village_codes(conn: Connection, county_code: str | None = None) -> dict[str, str]:
    """Every village's code → its town's code (in one county, or all)."""
    t = _md.tables["org_unit"]
    q = select(t.c.code, t.c.parent_code).where(t.c.level == "village").order_by(t.c.code)
    if county_code:
        q = q.where(t.c.county_code == county_code)
    return {r.code: r.parent_code or r.code[:9] for r in conn.execute(q)}


def known_codes(conn: Connection, codes: Iterable[str]) -> set[str]:
    t = _md.tables["org_unit"]
    wanted = list(codes)
    if not wanted:
        return set()
    return set(conn.scalars(select(t.c.code).where(t.c.code.in_(wanted))))
