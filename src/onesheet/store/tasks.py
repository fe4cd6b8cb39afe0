"""Collection tasks in the database: created in bulk when a template is approved, read by
village, and marked filled with a version check.

``create_for_template`` runs inside the Gate's approval transaction, so a template is never
approved without its tasks (nor tasks made for a template that was not approved). It reads
the sheet once per county (the template's filter, compiled by the report query builder) and
the log once for the newest valid-from per (entity, field), then asks ``domain.tasks`` which
values to ask for. A task's ``version`` guards fills: two cadres saving the same task from
the same page cannot silently overwrite each other's progress.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, and_, func, insert, select, tuple_, update

from onesheet.domain.dictionary import Dictionary, Field
from onesheet.domain.report_filters import check_filter
from onesheet.domain.tasks import collectable_fields, items_for, period_of, period_start
from onesheet.domain.template_spec import TemplateSpec
from onesheet.store.bulk import bulk_insert
from onesheet.store.report_query import (
    in_subtree,
    roster_select,
    sources_for,
    stream_rows,
    value_of,
)
from onesheet.store.schema import sheet_table, table

ITEM_COLUMNS = ("task_id", "entity_id", "field_key", "county_code", "reason", "status")
VILLAGE_CODE_LENGTH = 12


class StaleTask(Exception):
    """The task changed since the caller read it (someone else saved meanwhile)."""

    def __init__(self, task_id: int) -> None:
        super().__init__(f"task {task_id} changed since it was read")
        self.task_id = task_id


@dataclass(frozen=True)
class CreatedTasks:
    """What approving a template asked of the villages."""

    template_id: str
    period: str
    tasks: int
    items: int
    not_collectable: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TaskRow:
    id: int
    template_id: str
    title: str
    county_code: str
    org_code: str
    period: str
    status: str
    items_total: int
    items_filled: int
    created_at: datetime
    completed_at: datetime | None
    version: int
    org_name: str | None = None  # the village's name, read with the task


@dataclass(frozen=True)
class ItemRow:
    entity_id: int
    field_key: str
    reason: str
    status: str


# ---------------------------------------------------------------------------- creation
def create_for_template(
    conn: Connection,
    dictionary: Dictionary,
    spec: TemplateSpec,
    *,
    now: datetime,
    county_code: str | None = None,
    today: date | None = None,
) -> CreatedTasks:
    """One open task per village of the county (all counties when None) that has anything
    to ask. Villages with nothing to ask get no task; an aggregate template asks nothing
    (its cells are counts of what the sheet holds). A task that exists for the same
    template, village and period is left alone, so approving twice asks once."""
    # ``today`` is the county's local date (China, UTC+8): a monthly task approved at 01:00
    # on the 1st belongs to the new month even though UTC still says the old one.
    today = today or now.date()
    period = period_of(spec.frequency, today)
    plan = collectable_fields(spec, dictionary)
    if spec.kind == "aggregate" or not plan.fields:
        return CreatedTasks(spec.id, period, 0, 0, plan.not_collectable)
    tasks = items = 0
    for county in [county_code] if county_code else _counties(conn):
        wanted = _wanted_items(conn, dictionary, spec, plan.fields, county, period, today)
        t, i = _insert_tasks(conn, spec.id, county, period, wanted, now)
        tasks, items = tasks + t, items + i
    return CreatedTasks(spec.id, period, tasks, items, plan.not_collectable)


def _counties(conn: Connection) -> list[str]:
    t = table("org_unit")
    return list(
        conn.execute(select(t.c.county_code).distinct().order_by(t.c.county_code)).scalars()
    )


def _wanted_items(
    conn: Connection,
    dictionary: Dictionary,
    spec: TemplateSpec,
    fields: Sequence[Field],
    county: str,
    period: str,
    today: date,
) -> dict[str, list[tuple[int, str, str]]]:
    """village code → (entity, field, reason) for the entities passing the filter."""
    entities = frozenset({spec.entity, "household"} if spec.entity == "person" else {spec.entity})
    flt = check_filter(spec.filter, dictionary, entities) if spec.filter else None
    src = sources_for(spec.entity, [], flt, extra_fields=fields)
    stmt = roster_select(
        src, [], flt, county_code=county, org_code=county, report_date=today
    ).add_columns(*(value_of(src, f).label(f"v{i}") for i, f in enumerate(fields)))
    start = period_start(period)
    newest = _newest(conn, spec.entity, fields, county) if start else {}
    out: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for row in stream_rows(conn, stmt):
        m = row._mapping
        eid = m["entity_id"]
        values = {f.key: m[f"v{i}"] for i, f in enumerate(fields)}
        village = m["org_code"][:VILLAGE_CODE_LENGTH]
        for key, reason in items_for(fields, values, newest.get(eid, {}), start):
            out[village].append((eid, key, reason))
    return out


def _newest(
    conn: Connection, entity: str, fields: Sequence[Field], county: str
) -> dict[int, dict[str, datetime]]:
    """entity → field → the newest valid-from of any value observation (one GROUP BY)."""
    log = table("observation")
    q = (
        select(log.c.entity_id, log.c.field_key, func.max(log.c.valid_from).label("newest"))
        .where(
            log.c.county_code == county,
            log.c.entity_type == entity,
            log.c.field_key.in_([f.key for f in fields]),
            log.c.kind != "tombstone",
        )
        .group_by(log.c.entity_id, log.c.field_key)
    )
    out: dict[int, dict[str, datetime]] = defaultdict(dict)
    for eid, key, newest in conn.execute(q):
        out[eid][key] = newest
    return out


def _insert_tasks(
    conn: Connection,
    template_id: str,
    county: str,
    period: str,
    wanted: dict[str, list[tuple[int, str, str]]],
    now: datetime,
) -> tuple[int, int]:
    t = table("collection_task")
    existing = set(
        conn.execute(
            select(t.c.org_code).where(t.c.template_id == template_id, t.c.period == period)
        ).scalars()
    )
    villages = _village_codes(conn, county)
    fresh = {v: rows for v, rows in wanted.items() if rows and v in villages and v not in existing}
    if not fresh:
        return 0, 0
    conn.execute(
        insert(t),
        [
            dict(
                template_id=template_id,
                county_code=county,
                org_code=v,
                period=period,
                status="open",
                items_total=len(rows),
                items_filled=0,
                created_at=now,
                version=1,
            )
            for v, rows in sorted(fresh.items())
        ],
    )
    ids = dict(
        conn.execute(
            select(t.c.org_code, t.c.id).where(
                t.c.template_id == template_id, t.c.period == period, t.c.org_code.in_(fresh)
            )
        ).all()
    )
    rows = (
        (ids[v], eid, key, county, reason, "open")
        for v, items in fresh.items()
        for eid, key, reason in items
    )
    bulk_insert(conn, "task_item", ITEM_COLUMNS, list(rows))
    return len(fresh), sum(len(r) for r in fresh.values())


def _village_codes(conn: Connection, county: str) -> set[str]:
    o = table("org_unit")
    q = select(o.c.code).where(o.c.county_code == county, o.c.level == "village")
    return set(conn.execute(q).scalars())


# ------------------------------------------------------------------------------- reads
def _task_select():  # type: ignore[no-untyped-def]
    t, tpl, units = table("collection_task"), table("form_template"), table("org_unit")
    return select(t, tpl.c.title, units.c.name.label("org_name")).select_from(
        t.outerjoin(tpl, tpl.c.id == t.c.template_id).outerjoin(units, units.c.code == t.c.org_code)
    )


def _to_task(r) -> TaskRow:  # type: ignore[no-untyped-def]
    m = r._mapping
    return TaskRow(
        m["id"],
        m["template_id"],
        m["title"] or m["template_id"],
        m["county_code"],
        m["org_code"],
        m["period"],
        m["status"],
        m["items_total"],
        m["items_filled"],
        m["created_at"],
        m["completed_at"],
        m["version"],
        m["org_name"],
    )


def list_tasks(conn: Connection, org_prefix: str | None, *, limit: int = 200) -> list[TaskRow]:
    """Tasks in a subtree (all when None): open first, newest first."""
    t = table("collection_task")
    q = _task_select()
    if org_prefix:
        q = q.where(in_subtree(t.c.org_code, org_prefix))
    q = q.order_by(t.c.status.desc(), t.c.created_at.desc(), t.c.org_code).limit(limit)
    return [_to_task(r) for r in conn.execute(q)]


def get_task(conn: Connection, task_id: int) -> TaskRow | None:
    t = table("collection_task")
    row = conn.execute(_task_select().where(t.c.id == task_id)).one_or_none()
    return _to_task(row) if row is not None else None


def open_entities(conn: Connection, task_id: int, *, offset: int, limit: int) -> list[int]:
    """One page of the entities that still have open items, in id order."""
    i = table("task_item")
    q = (
        select(i.c.entity_id)
        .where(i.c.task_id == task_id, i.c.status == "open")
        .group_by(i.c.entity_id)
        .order_by(i.c.entity_id)
        .offset(offset)
        .limit(limit)
    )
    return list(conn.execute(q).scalars())


@dataclass(frozen=True)
class OpenPage:
    """One page of a task's open work: how many entities still have open items, the page's
    entities in id order, their open items (entity, then field) and their entity type."""

    total: int
    entity_ids: list[int]
    items: list[ItemRow]
    entity_type: str | None


def open_page(conn: Connection, task_id: int, *, offset: int, limit: int) -> OpenPage:
    """``open_entities``, ``count_open_entities``, ``items_of`` and the page's entity type
    in one statement (the task page runs on every tap of a cadre's phone). A page past the
    last one is empty and its total unknown (0): the caller asks ``count_open_entities``."""
    i, e = table("task_item"), table("entity")
    page = (
        select(i.c.entity_id, func.count().over().label("total"))
        .where(i.c.task_id == task_id, i.c.status == "open")
        .group_by(i.c.entity_id)
        .order_by(i.c.entity_id)
        .offset(offset)
        .limit(limit)
        .subquery("page")
    )
    q = (
        select(page.c.total, i.c.entity_id, i.c.field_key, i.c.reason, i.c.status, e.c.entity_type)
        .select_from(page)
        .join(i, and_(i.c.entity_id == page.c.entity_id, i.c.task_id == task_id))
        .join(e, e.c.id == page.c.entity_id)
        .where(i.c.status == "open")
        .order_by(i.c.entity_id, i.c.field_key)
    )
    rows = conn.execute(q).all()
    items = [ItemRow(r.entity_id, r.field_key, r.reason, r.status) for r in rows]
    return OpenPage(
        rows[0].total if rows else 0,
        list(dict.fromkeys(r.entity_id for r in rows)),
        items,
        rows[0].entity_type if rows else None,
    )


def count_open_entities(conn: Connection, task_id: int) -> int:
    i = table("task_item")
    q = select(func.count(func.distinct(i.c.entity_id))).where(
        i.c.task_id == task_id, i.c.status == "open"
    )
    return int(conn.execute(q).scalar_one())


def items_of(
    conn: Connection, task_id: int, entity_ids: Iterable[int] | None = None, *, status: str = "open"
) -> list[ItemRow]:
    """A task's items (of some entities), in entity then field order."""
    i = table("task_item")
    q = select(i.c.entity_id, i.c.field_key, i.c.reason, i.c.status).where(
        i.c.task_id == task_id, i.c.status == status
    )
    if entity_ids is not None:
        q = q.where(i.c.entity_id.in_(list(entity_ids)))
    rows = conn.execute(q.order_by(i.c.entity_id, i.c.field_key))
    return [ItemRow(*r) for r in rows]


def sheet_rows(
    conn: Connection, entity_type: str, eids: Sequence[int], columns: set[str] | None = None
) -> dict[int, dict[str, object]]:
    """The sheet rows of ``eids`` (only ``columns`` of them when given), for a task card's
    context and titles. A person's row also carries its household's id and number
    (``_household_id``, ``_household_no``), joined in the same read."""
    if not eids:
        return {}
    t = sheet_table(entity_type)
    wanted = [c for c in t.c if columns is None or c.name in columns or c.name == "entity_id"]
    source = t
    if entity_type == "person":
        hh = sheet_table("household")
        source = t.outerjoin(hh, hh.c.entity_id == t.c.household)
        wanted += [hh.c.entity_id.label("_household_id"), hh.c.household_no.label("_household_no")]
    rows = conn.execute(select(*wanted).select_from(source).where(t.c.entity_id.in_(eids)))
    return {r.entity_id: dict(r._mapping) for r in rows}


# ------------------------------------------------------------------------------ writes
def claim(conn: Connection, task_id: int, expected_version: int) -> None:
    """Bump the task's version if it is still ``expected_version``; else StaleTask.

    Done before anything else is written: on PostgreSQL the second of two concurrent savers
    waits on the row lock, then finds the version moved and is refused.
    """
    t = table("collection_task")
    done = conn.execute(
        update(t)
        .where(t.c.id == task_id, t.c.version == expected_version)
        .values(version=t.c.version + 1)
    )
    if done.rowcount != 1:
        raise StaleTask(task_id)


def mark_filled(
    conn: Connection,
    pairs: Sequence[tuple[int, str]],
    *,
    batch_id: int,
    by: str,
    now: datetime,
) -> set[int]:
    """Mark every open item asking for these (entity, field) values filled — in any task,
    since the value is now in the sheet — and return the tasks touched."""
    i = table("task_item")
    where = and_(i.c.status == "open", tuple_(i.c.entity_id, i.c.field_key).in_(list(pairs)))
    touched = set(conn.execute(select(i.c.task_id).where(where).distinct()).scalars())
    if touched:
        conn.execute(
            update(i)
            .where(where)
            .values(status="filled", filled_at=now, filled_by=by, batch_id=batch_id)
        )
    return touched


def refresh_counters(conn: Connection, task_ids: Iterable[int], *, now: datetime) -> None:
    """Recount filled items; a task whose items are all filled is done."""
    t, i = table("collection_task"), table("task_item")
    for task_id in sorted(set(task_ids)):  # a handful of tasks per fill
        filled = conn.execute(
            select(func.count()).where(i.c.task_id == task_id, i.c.status == "filled")
        ).scalar_one()
        row = conn.execute(select(t.c.items_total, t.c.status).where(t.c.id == task_id)).one()
        done = filled >= row.items_total
        values: dict[str, object] = {"items_filled": filled}
        if done and row.status != "done":
            values.update(status="done", completed_at=now)
        conn.execute(update(t).where(t.c.id == task_id).values(**values))
