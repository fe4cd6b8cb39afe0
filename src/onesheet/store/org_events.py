"""The org tree's dated events and the day-one org columns (see ``dayone_tables``).

A unit's row always holds its current name, kind and class; ``org_event`` keeps every change
with the day it took effect, so what a unit was called on a past day is read back by taking,
of the events after that day, the earliest one's old values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, func, insert, select, update

from onesheet.domain.orgunits import OrgUnit
from onesheet.store import observation_log
from onesheet.store.observation_log import LogRow
from onesheet.store.schema import sheet_table, table


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


# The placement of an entity in the org tree is a column of ``entity`` and of its sheet row,
# not a dictionary field; a move (a merger's people following the survivor) is logged as an
# observation of this pseudo-field so the log still says where the entity was before: the
# value is the new unit, ``reason`` names the old one ("merge 330523001211→330523001030").
# Readers that resolve fields skip keys the dictionary does not know.
PLACEMENT = "entity.org_code"
PLACEMENT_SOURCE = "org_tree"


@dataclass(frozen=True)
class Moved:
    """What followed a merged unit to its survivor."""

    entities: dict[str, int]  # entity type → how many
    open_tasks_moved: int
    open_tasks_joined: int  # open tasks folded into the survivor's task of the same period
    users: int = 0  # accounts scoped to the old unit, now scoped to the survivor

    def plus(self, other: Moved) -> Moved:
        """Both together (a town merger adds up its villages' and its own)."""
        entities = dict(self.entities)
        for k, v in other.entities.items():
            entities[k] = entities.get(k, 0) + v
        return Moved(
            entities,
            self.open_tasks_moved + other.open_tasks_moved,
            self.open_tasks_joined + other.open_tasks_joined,
            self.users + other.users,
        )


def move_members(
    conn: Connection,
    *,
    county: str,
    old: str,
    new: str,
    effective: date,
    batch_id: int,
    actor: str,
    now: datetime,
    why: str = "merge",
) -> Moved:
    """Everything placed in ``old`` follows ``new``: entities and their sheet rows (version
    bumped, so an editor holding the old row is refused), their open conflicts, and open
    collection tasks (joined into the survivor's open task of the same template and period
    when it has one; the emptied task is marked ``merged``, never deleted), the open
    linkage-queue rows, the burden feedback still being followed, and the accounts scoped
    to ``old`` (a cadre keeps working for the same people under the new code). Each moved
    entity gets a placement observation dated ``effective``. Done tasks, report runs and
    settled feedback stay with the old unit: they are its history."""
    ent = table("entity")
    members = conn.execute(
        select(ent.c.id, ent.c.entity_type).where(ent.c.org_code == old).order_by(ent.c.id)
    ).all()
    valid = datetime.combine(effective, datetime.min.time())
    reason = f"{why} {old}→{new}"
    if members:  # (an empty executemany is an error on SQLite)
        observation_log.append(
            conn,
            [
                LogRow(eid, etype, PLACEMENT, new, "value", valid, PLACEMENT_SOURCE, reason)
                for eid, etype in members
            ],
            county_code=county,
            batch_id=batch_id,
            actor=actor,
            recorded_at=now,
        )
    counts: dict[str, int] = {}
    for _, etype in members:
        counts[etype] = counts.get(etype, 0) + 1
    conn.execute(update(ent).where(ent.c.org_code == old).values(org_code=new))
    for etype in counts:
        t = sheet_table(etype)
        conn.execute(
            update(t)
            .where(t.c.org_code == old)
            .values(org_code=new, version=t.c.version + 1, updated_at=now)
        )
    c = table("conflict")
    conn.execute(update(c).where(c.c.org_code == old).values(org_code=new))
    q = table("link_queue")
    conn.execute(update(q).where(q.c.org_code == old, q.c.status == "open").values(org_code=new))
    fb = table("feedback")
    conn.execute(
        update(fb)
        .where(fb.c.org_code == old, fb.c.status.in_(("open", "acknowledged")))
        .values(org_code=new, version=fb.c.version + 1)
    )
    u = table("app_user")
    users = conn.execute(update(u).where(u.c.org_code == old).values(org_code=new)).rowcount
    moved, joined = _move_tasks(conn, old, new)
    return Moved(counts, moved, joined, users or 0)


def _move_tasks(conn: Connection, old: str, new: str) -> tuple[int, int]:
    task, item = table("collection_task"), table("task_item")
    open_old = conn.execute(
        select(task.c.id, task.c.template_id, task.c.period).where(
            task.c.org_code == old, task.c.status == "open"
        )
    ).all()
    moved = joined = 0
    for tid, template, period in open_old:
        target = conn.execute(
            select(task.c.id).where(
                task.c.org_code == new,
                task.c.template_id == template,
                task.c.period == period,
            )
        ).scalar_one_or_none()
        if target is None:
            conn.execute(
                update(task)
                .where(task.c.id == tid)
                .values(org_code=new, version=task.c.version + 1)
            )
            moved += 1
            continue
        conn.execute(update(item).where(item.c.task_id == tid).values(task_id=target))
        totals = conn.execute(
            select(
                func.count(),
                func.count().filter(item.c.status == "filled"),
            ).where(item.c.task_id == target)
        ).one()
        conn.execute(
            update(task)
            .where(task.c.id == target)
            .values(
                items_total=totals[0],
                items_filled=totals[1],
                status="open",
                completed_at=None,
                version=task.c.version + 1,
            )
        )
        conn.execute(
            update(task)
            .where(task.c.id == tid)
            .values(status="merged", items_total=0, items_filled=0, version=task.c.version + 1)
        )
        joined += 1
    return moved, joined


def live_children(conn: Connection, parent: str) -> list[OrgUnit]:
    """The units directly under ``parent`` that are not merged away, in code order."""
    t = table("org_unit")
    rows = conn.execute(
        select(t).where(t.c.parent_code == parent, t.c.merged_into.is_(None)).order_by(t.c.code)
    ).all()
    return [
        OrgUnit(r.code, r.name, r.level, r.parent_code, r.county_code, r.kind, r.source)
        for r in rows
    ]


def classes_of(conn: Connection, codes: list[str]) -> dict[str, str | None]:
    """code → urban-rural class of ``codes``."""
    if not codes:
        return {}
    t = table("org_unit")
    rows = conn.execute(select(t.c.code, t.c.urban_rural).where(t.c.code.in_(codes))).all()
    return {r.code: r.urban_rural for r in rows}


def merged_into(conn: Connection, code: str) -> tuple[str, date] | None:
    """(survivor, day) if ``code`` was merged away, else None."""
    t = table("org_unit")
    row = conn.execute(select(t.c.merged_into, t.c.ended_on).where(t.c.code == code)).one_or_none()
    if row is None or row.merged_into is None:
        return None
    return row.merged_into, row.ended_on


def entity_org_as_of(conn: Connection, entity_id: int, day: date) -> str | None:
    """The unit the entity was placed in on ``day``: the old unit of the first move dated
    after ``day``, else where it is now (None: no such entity)."""
    ent, log = table("entity"), table("observation")
    now = conn.execute(select(ent.c.org_code).where(ent.c.id == entity_id)).scalar_one_or_none()
    if now is None:
        return None
    first_after = conn.execute(
        select(log.c.reason)
        .where(
            log.c.entity_id == entity_id,
            log.c.field_key == PLACEMENT,
            log.c.valid_from > datetime.combine(day, datetime.max.time()),
        )
        .order_by(log.c.valid_from, log.c.id)
        .limit(1)
    ).scalar_one_or_none()
    if first_after:
        return str(first_after).split(" ", 1)[1].split("→", 1)[0]
    return str(now)


@dataclass(frozen=True)
class PlacementAsOf:
    """Where an entity was on a day: its village (or whatever unit held it) and that
    unit's town, with the names both had on that day."""

    org_code: str
    org_name: str
    town_code: str | None
    town_name: str | None


def placement_as_of(conn: Connection, entity_id: int, day: date) -> PlacementAsOf | None:
    """The unit and town of ``entity_id`` on ``day``, named as they were then. A merged or
    moved unit keeps its row and its parent, so the old village still leads to the old
    town (None: no such entity)."""
    code = entity_org_as_of(conn, entity_id, day)
    if code is None:
        return None
    unit = unit_as_of(conn, code, day)
    t = table("org_unit")
    own = conn.execute(select(t.c.parent_code, t.c.level).where(t.c.code == code)).one_or_none()
    town_code: str | None = None
    if own is not None and own.level == "town":
        town_code = code
    elif own is not None and own.level == "village":
        town_code = own.parent_code
    elif own is not None and own.level == "grid" and own.parent_code:
        town_code = conn.execute(
            select(t.c.parent_code).where(t.c.code == own.parent_code)
        ).scalar_one_or_none()
    town = unit_as_of(conn, town_code, day) if town_code else None
    return PlacementAsOf(
        code,
        unit.name if unit else code,
        town.code if town else None,
        town.name if town else None,
    )


def card_placement(
    conn: Connection, entity_id: int, org_code: str, names: Mapping[str, str], day: date | None
) -> PlacementAsOf:
    """Where an entity's card places it: on ``day`` (a card read ``as_of``) the village and
    town it was in then, named as they were; otherwise its unit now and that unit's town
    (codes nest, so a village's or grid's town is its first nine digits), from ``names``
    the card has read already."""
    if day is not None:
        found = placement_as_of(conn, entity_id, day)
        if found is not None:
            return found
    town = org_code[:9] if len(org_code) > 9 else None
    return PlacementAsOf(
        org_code, names.get(org_code, org_code), town, names.get(town) if town else None
    )
