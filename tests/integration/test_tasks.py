"""Collection tasks on both backends: exactly the missing (and stale) values are asked, a fill
is all-or-nothing, saved in part and resumed, guarded by the task's version, and a value
filled once is never asked again — in this template or any later one."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from onesheet.domain.access import AccessDenied, Actor
from onesheet.domain.findings import InvalidInput
from onesheet.domain.template_spec import TemplateSpec
from onesheet.services import tasks
from onesheet.services.base import Store
from onesheet.store import tasks as task_store
from onesheet.store.schema import sheet_table, table
from onesheet.store.templates import insert_template
from tests.integration.helpers import log_rows, seed_small

NOW = datetime(2026, 11, 15, 9, 0)


def make_spec(tid: str, fields: list[str], *, frequency: str = "once", **extra) -> TemplateSpec:
    cols = [{"letter": "A", "heading": "序号", "kind": "row_no"}]
    cols += [
        {"letter": chr(66 + i), "heading": f.split(".")[1], "field": f}
        for i, f in enumerate(fields)
    ]
    return TemplateSpec.model_validate(
        {
            "id": tid,
            "title": f"测试表{tid}",
            "department": "civil_affairs",
            "entity": "person",
            "frequency": frequency,
            "columns": cols,
            "layout": {"title": "测试", "heading_rows": [["序号"]]},
            **extra,
        }
    )


def approve(store: Store, spec: TemplateSpec, now: datetime = NOW) -> task_store.CreatedTasks:
    """What the Gate's approval does: store it approved, then create its tasks (same txn)."""
    with store.transaction() as conn:
        insert_template(conn, spec, status="approved", actor="reviewer", at=now)
        return task_store.create_for_template(conn, store.dictionary, spec, now=now)


def items(store: Store, task_id: int | None = None) -> set[tuple[int, str, str, str]]:
    i = table("task_item")
    q = select(i.c.entity_id, i.c.field_key, i.c.reason, i.c.status)
    if task_id is not None:
        q = q.where(i.c.task_id == task_id)
    with store.engine.connect() as conn:
        return {tuple(r) for r in conn.execute(q)}  # type: ignore[misc]


def people(store: Store) -> list[dict]:  # type: ignore[type-arg]
    t = sheet_table("person")
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(t))]


def cadre_of(task: tasks.TaskSummary) -> Actor:
    return Actor("cadre", "village", task.org_code)


@pytest.fixture
def seeded(store: Store) -> Store:
    seed_small(store, people=120)
    return store


def test_a_task_per_village_lists_exactly_the_missing_values(seeded):
    created = approve(seeded, make_spec("T1", ["person.name", "person.phone", "person.education"]))
    rows = people(seeded)
    want = {
        (r["entity_id"], f"person.{c}", "missing", "open")
        for r in rows
        for c in ("name", "phone", "education")
        if r[c] is None
    }
    assert want and items(seeded) == want
    villages = {
        r["org_code"][:12] for r in rows if any(r[c] is None for c in ("phone", "education"))
    }
    listed = tasks.list_tasks(seeded, Actor("admin", "admin", None))
    assert {t.org_code for t in listed} == villages and created.tasks == len(villages)
    assert all(t.items_filled == 0 and t.status == "open" for t in listed)


def test_filter_aggregate_and_draft_columns(seeded):
    flt = {"field": "person.gender", "op": "eq", "value": "2"}
    approve(seeded, make_spec("F", ["person.phone", "person.shoe_size"], filter=flt))
    women = {r["entity_id"] for r in people(seeded) if r["gender"] == "2" and r["phone"] is None}
    assert {i[0] for i in items(seeded)} == women
    agg = make_spec("AGG", []).model_copy(update={"kind": "aggregate"})
    assert approve(seeded, agg).tasks == 0


def test_stale_values_are_reasked_for_periodic_templates_but_never_identity(seeded):
    created = approve(
        seeded, make_spec("M", ["person.name", "person.is_dibao"], frequency="monthly")
    )
    assert created.period == "2026-11"
    got = items(seeded)
    assert {k for _, k, _, _ in got} == {"person.is_dibao"}  # name is identity: never stale
    assert {r for _, _, r, _ in got} == {"stale"}  # seeded values predate November
    # a yearly template over a value reported this year does not ask it again
    task = tasks.list_tasks(seeded, Actor("admin", "admin", None))[0]
    page = tasks.task_page(seeded, cadre_of(task), task.id, per_page=500)
    values = {(e.entity_id, "person.is_dibao"): "否" for e in page.entities}
    tasks.fill_task(seeded, cadre_of(task), task.id, values, task.version)
    approve(seeded, make_spec("Y", ["person.is_dibao"], frequency="yearly"))
    assert values and not set(_items_by_template(seeded, "Y")) & set(values)


def _items_by_template(store: Store, template_id: str) -> list[tuple[int, str]]:
    i, t = table("task_item"), table("collection_task")
    q = (
        select(i.c.entity_id, i.c.field_key)
        .select_from(i.join(t, t.c.id == i.c.task_id))
        .where(t.c.template_id == template_id)
    )
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(q)]  # type: ignore[misc]


def _first_task(store: Store) -> tasks.TaskSummary:
    return tasks.list_tasks(store, Actor("admin", "admin", None))[0]


def test_fill_is_validated_all_or_nothing(seeded):
    approve(seeded, make_spec("V", ["person.phone", "person.education"]))
    task = _first_task(seeded)
    page = tasks.task_page(seeded, cadre_of(task), task.id, per_page=500)
    phones = [(e.entity_id, i.field_key) for e in page.entities for i in e.inputs]
    phones = [p for p in phones if p[1] == "person.phone"]
    good, bad = phones[0], phones[1]
    other_entity = next(e.entity_id for e in page.entities if e.entity_id not in (good[0], bad[0]))
    unasked = (other_entity, "person.name")
    before = log_rows(seeded)
    with pytest.raises(tasks.TaskFillInvalid) as refused:
        tasks.fill_task(
            seeded,
            cadre_of(task),
            task.id,
            {good: "13812345678", bad: "12345", unasked: "x"},
            task.version,
        )
    assert set(refused.value.by_item) == {bad, unasked}
    assert "手机" in refused.value.message("zh") or "电话" in refused.value.message("zh")
    assert log_rows(seeded) == before
    assert _first_task(seeded).items_filled == 0


def test_partial_save_resume_done_and_stale_version(seeded):
    approve(seeded, make_spec("P", ["person.phone"]))
    task = min(tasks.list_tasks(seeded, Actor("admin", "admin", None)), key=lambda t: t.items_total)
    cadre = cadre_of(task)
    page = tasks.task_page(seeded, cadre, task.id, per_page=500)
    pairs = [(e.entity_id, i.field_key) for e in page.entities for i in e.inputs]
    assert len(pairs) == task.items_total
    phones = {p: f"1390000{n:04d}" for n, p in enumerate(pairs)}
    half = dict(list(phones.items())[: len(pairs) // 2 or 1])
    saved = tasks.fill_task(seeded, cadre, task.id, half, task.version)
    assert saved.filled == len(half) and saved.task.items_filled == len(half)
    # someone else's stale page is refused, and nothing of theirs is written
    with pytest.raises(task_store.StaleTask):
        tasks.fill_task(seeded, cadre, task.id, phones, task.version)
    resumed = tasks.task_page(seeded, cadre, task.id, per_page=500)
    left = {(e.entity_id, i.field_key) for e in resumed.entities for i in e.inputs}
    assert left == set(phones) - set(half)
    rest = {p: phones[p] for p in left}
    done = tasks.fill_task(seeded, cadre, task.id, rest, saved.task.version)
    if rest:
        assert done.task.status == "done" and done.task.percent == 100
    rows = {r["entity_id"]: r["phone"] for r in people(seeded)}
    assert all(rows[e] == phones[(e, k)] for e, k in phones)
    # the values are in the sheet: a later template over the same field asks none of them
    approve(seeded, make_spec("P2", ["person.phone", "person.education"]))
    assert not set(_items_by_template(seeded, "P2")) & set(phones)


def test_a_village_cannot_read_or_fill_another_villages_task(seeded):
    approve(seeded, make_spec("S", ["person.phone", "person.education"]))
    listed = tasks.list_tasks(seeded, Actor("admin", "admin", None))
    assert len(listed) >= 2
    mine, other = listed[0], listed[1]
    cadre = cadre_of(mine)
    assert [t.id for t in tasks.list_tasks(seeded, cadre)] == [mine.id]
    with pytest.raises(AccessDenied):
        tasks.task_page(seeded, cadre, other.id)
    with pytest.raises(AccessDenied):
        tasks.fill_task(seeded, cadre, other.id, {}, other.version)
    with pytest.raises(tasks.TaskNotFound):
        tasks.task_page(seeded, cadre, 999_999)
    with pytest.raises(AccessDenied):  # a department may read progress but not fill
        tasks.fill_task(seeded, Actor("d", "department", None, "civil_affairs"), mine.id, {}, 1)


def test_task_page_masks_context_and_is_audited(seeded):
    approve(seeded, make_spec("C", ["person.phone"]))
    task = _first_task(seeded)
    page = tasks.task_page(seeded, cadre_of(task), task.id)
    assert page.entities and all("*" in e.id_masked for e in page.entities if e.id_masked)
    assert all(
        i.field_key == "person.phone" and i.kind == "tel" for e in page.entities for i in e.inputs
    )
    ev = table("audit_event")
    with seeded.engine.connect() as conn:
        actions = list(conn.execute(select(ev.c.action).where(ev.c.actor == "cadre")).scalars())
    assert "tasks.read" in actions
    with pytest.raises(InvalidInput):
        tasks.fill_task(seeded, cadre_of(task), task.id, {(1, "person.phone"): "x"}, task.version)


def test_task_pages_walk_every_open_item_with_households_and_the_village(seeded):
    """The task page's few statements (task with its village's name; open items with their
    count and type; sheet rows with household numbers) give what separate reads gave."""
    approve(seeded, make_spec("PG", ["person.phone", "person.education"]))
    task = _first_task(seeded)
    i, p, h, o = (
        table("task_item"),
        sheet_table("person"),
        sheet_table("household"),
        table("org_unit"),
    )
    with seeded.engine.connect() as conn:
        open_items = conn.execute(
            select(i.c.entity_id, i.c.field_key)
            .where(i.c.task_id == task.id, i.c.status == "open")
            .order_by(i.c.entity_id, i.c.field_key)
        ).all()
        households = dict(conn.execute(select(p.c.entity_id, p.c.household)).all())
        numbers = dict(conn.execute(select(h.c.entity_id, h.c.household_no)).all())
        village = conn.execute(select(o.c.name).where(o.c.code == task.org_code)).scalar_one()
    entities = list(dict.fromkeys(e for e, _ in open_items))
    per_page = 7
    pages = -(-len(entities) // per_page)
    assert pages > 1
    walked, seen_items, shown_households = [], [], 0
    for n in range(1, pages + 1):
        page = tasks.task_page(seeded, cadre_of(task), task.id, n, per_page=per_page)
        assert (page.page, page.pages, page.entity_type) == (n, pages, "person")
        assert page.task.org_name == village and page.task.title
        for e in page.entities:
            walked.append(e.entity_id)
            seen_items += [(e.entity_id, x.field_key) for x in e.inputs]
            hh = households.get(e.entity_id)
            assert e.household == ("" if hh is None else numbers.get(hh) or f"#{hh}")
            shown_households += bool(e.household)
    assert shown_households  # the seeded people live in households
    assert walked == entities and seen_items == [tuple(r) for r in open_items]
    past = tasks.task_page(seeded, cadre_of(task), task.id, pages + 5, per_page=per_page)
    assert (
        past.page == pages
        and [e.entity_id for e in past.entities] == entities[-len(past.entities) :]
    )
    ev = table("audit_event")
    with seeded.engine.connect() as conn:
        last = conn.execute(
            select(ev.c.entity_ids, ev.c.detail).where(ev.c.action == "tasks.read")
            .order_by(ev.c.id.desc()).limit(1)
        ).one()  # fmt: skip
    assert last.entity_ids == ",".join(str(e.entity_id) for e in past.entities)
    assert last.detail == f"task={task.id} page={pages}"
