"""The org tree's dated events and the day-one org columns (see ``dayone_tables``).

A unit's row always holds its current name, kind and class; ``org_event`` keeps every change
with the day it took effect, so what a unit was called on a past day is read back by taking,
of the events after that day, the earliest one's old values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, insert, select, update

from onesheet.domain.orgunits import OrgUnit
from onesheet.store.schema import table


@dataclass(frozen=True)
class OrgEvent:
    org_code: str
    kind: str
    effective: date
    old_name: str | None
    new_name: str | None
    old_kind: str | None
    new_kind: str | None
    old_class: str | None
    new_class: str | None
    into_code: str | None
    actor: str
    note: str


def county_units(conn: Connection, county: str) -> tuple[list[OrgUnit], dict[str, str | None]]:
    """The county's live (not merged) units and their urban-rural classes."""
    t = table("org_unit")
    rows = conn.execute(
        select(t).where(t.c.county_code == county, t.c.merged_into.is_(None)).order_by(t.c.code)
    ).all()
    units = [
        OrgUnit(r.code, r.name, r.level, r.parent_code, r.county_code, r.kind, r.source)
        for r in rows
    ]
    return units, {r.code: r.urban_rural for r in rows}


def add_units(conn: Connection, units: list[OrgUnit], classes: dict[str, str]) -> None:
    if not units:
        return
    conn.execute(
        insert(table("org_unit")),
        [
            {
                "code": u.code,
                "name": u.name,
                "level": u.level,
                "parent_code": u.parent_code,
                "county_code": u.county_code,
                "kind": u.kind,
                "source": u.source,
                "urban_rural": classes.get(u.code),
            }
            for u in units
        ],
    )


def change_unit(
    conn: Connection, code: str, *, name: str, kind: str, urban_rural: str | None
) -> None:
    t = table("org_unit")
    conn.execute(
        update(t).where(t.c.code == code).values(name=name, kind=kind, urban_rural=urban_rural)
    )


def mark_merged(conn: Connection, code: str, into: str, on: date) -> None:
    t = table("org_unit")
    conn.execute(update(t).where(t.c.code == code).values(merged_into=into, ended_on=on))


def add_events(
    conn: Connection, county: str, events: list[OrgEvent], recorded_at: datetime
) -> None:
    if not events:
        return
    conn.execute(
        insert(table("org_event")),
        [
            {
                "county_code": county,
                "org_code": e.org_code,
                "kind": e.kind,
                "effective": e.effective,
                "old_name": e.old_name,
                "new_name": e.new_name,
                "old_kind": e.old_kind,
                "new_kind": e.new_kind,
                "old_class": e.old_class,
                "new_class": e.new_class,
                "into_code": e.into_code,
                "recorded_at": recorded_at,
                "actor": e.actor,
                "note": e.note,
            }
            for e in events
        ],
    )


def events_of(
    conn: Connection, code: str | None = None, county: str | None = None
) -> list[OrgEvent]:
    """Events of one unit (or a county) in the order they took effect."""
    t = table("org_event")
    q = select(t).order_by(t.c.effective, t.c.id)
    if code is not None:
        q = q.where(t.c.org_code == code)
    if county is not None:
        q = q.where(t.c.county_code == county)
    return [
        OrgEvent(
            r.org_code,
            r.kind,
            r.effective,
            r.old_name,
            r.new_name,
            r.old_kind,
            r.new_kind,
            r.old_class,
            r.new_class,
            r.into_code,
            r.actor,
            r.note,
        )
        for r in conn.execute(q)
    ]


@dataclass(frozen=True)
class UnitAsOf:
    """A unit as it stood on a day: None fields mean it did not exist (yet / any more)."""

    code: str
    name: str
    kind: str
    urban_rural: str | None
    existed: bool
    merged_into: str | None


def unit_as_of(conn: Connection, code: str, day: date) -> UnitAsOf | None:
    """The unit's name, kind and class on ``day`` (events after ``day`` are undone)."""
    t = table("org_unit")
    row = conn.execute(select(t).where(t.c.code == code)).one_or_none()
    if row is None:
        return None
    name, kind, klass = row.name, row.kind, row.urban_rural
    existed, merged = True, None
    if row.ended_on is not None and row.ended_on <= day:
        existed, merged = False, row.merged_into
    later = [e for e in events_of(conn, code) if e.effective > day]
    for e in reversed(later):  # undo from the newest back to the first after ``day``
        if e.kind == "create":
            existed = False
        elif e.kind in ("rename", "reclass"):
            name = e.old_name or name
            kind = e.old_kind or kind
            klass = e.old_class
    return UnitAsOf(code, name, kind, klass, existed, merged)
