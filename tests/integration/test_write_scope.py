"""Writes obey scope like reads (SQLite and PostgreSQL).

Every write path checks the actor's subtree for every entity it touches and refuses the
whole batch, writing nothing, if any lies outside; the source department of an observation
is the actor's own (an administrator may import on a department's behalf, audited as such).
The import also reads and links before it takes the write lock.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import datetime

import pytest
from sqlalchemy import insert, select

from onesheet.domain.access import CLI_ADMIN, AccessDenied, Actor
from onesheet.linkage.link import LinkConfig
from onesheet.services import data_import, dedupe, linkage_queue, sheet_write, tasks
from onesheet.services.base import Store
from onesheet.services.data_import import import_file
from onesheet.services.feedback import handle_feedback, submit_feedback
from onesheet.store import link_store
from onesheet.store.schema import sheet_table, table
from tests.integration.helpers import COUNTY, log_rows, seed_small
from tests.integration.test_tasks import approve, make_spec

TOWN_A, TOWN_B = "330523001", "330523108"  # 递铺街道, 天荒坪镇 in the seeded county
NO_MODEL = LinkConfig(use_model=False)


def _csv(headings: list[str], rows: list[list[object]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headings)
    w.writerows(rows)
    return buf.getvalue().encode()


def _people(store: Store) -> list[dict]:  # type: ignore[type-arg]
    with store.engine.connect() as conn:
        return link_store.sheet_people(conn, COUNTY)


def _row(store: Store, entity_id: int) -> dict:  # type: ignore[type-arg]
    t = sheet_table("person")
    with store.engine.connect() as conn:
        return dict(conn.execute(select(t).where(t.c.entity_id == entity_id)).one()._mapping)


def _observations_of(store: Store, entity_id: int) -> list[tuple]:  # type: ignore[type-arg]
    o = table("observation")
    with store.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(select(o).where(o.c.entity_id == entity_id).order_by(o.c.id))
        ]


@pytest.fixture
def county(store: Store) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    """The seeded county's people by town (two towns, three villages)."""
    seed_small(store, people=120)
    by_town: dict[str, list[dict]] = {TOWN_A: [], TOWN_B: []}  # type: ignore[type-arg]
    for p in _people(store):
        by_town[p["org_code"][:9]].append(p)
    assert by_town[TOWN_A] and by_town[TOWN_B]
    return by_town


TOWN_USER = Actor("town_a", "town", TOWN_A)


# ------------------------------------------------------------------------------- imports
def test_town_user_importing_as_public_security_is_refused(store, county):
    mine = county[TOWN_A][0]
    data = _csv(
        ["姓名", "公民身份号码", "死亡日期"], [[mine["name"], mine["id_number"], "2026-10-01"]]
    )
    before = log_rows(store)
    for dept in ("public_security", "公安", "民政局"):
        with pytest.raises(AccessDenied) as refused:
            import_file(store, TOWN_USER, data, filename="ga.csv", department=dept)
        assert "部门" in refused.value.message_zh
    assert log_rows(store) == before


def test_town_import_naming_people_of_another_town_writes_nothing_to_them(store, county):
    mine, theirs = county[TOWN_A][0], county[TOWN_B][0]
    rows = [
        [mine["name"], mine["id_number"], "13911112222", ""],
        [theirs["name"], theirs["id_number"], "13933334444", "2026-10-01"],
    ]
    data = _csv(["姓名", "公民身份号码", "联系电话", "死亡日期"], rows)
    before, their_row = log_rows(store), _row(store, theirs["entity_id"])
    their_log = _observations_of(store, theirs["entity_id"])
    with pytest.raises(AccessDenied) as refused:
        import_file(store, TOWN_USER, data, filename="t.csv", department="village")
    assert "第 3 行" in refused.value.message_zh and "row 3" in refused.value.message_en
    assert log_rows(store) == before  # the whole batch is refused, the own row too
    assert _observations_of(store, theirs["entity_id"]) == their_log
    after = _row(store, theirs["entity_id"])
    assert after == their_row and after["death_date"] is None
    assert after["phone"] != "13933334444"


def test_town_import_cannot_create_a_person_at_home_in_another_town(store, county):
    theirs = next(p for p in county[TOWN_B] if "天荒坪镇" in (p["current_address"] or ""))
    rows = [["新来人", theirs["current_address"]]]  # no ID: a new person, at home in town B
    data = _csv(["姓名", "现住址"], rows)
    before = log_rows(store)
    with pytest.raises(AccessDenied) as refused:
        import_file(store, TOWN_USER, data, filename="n.csv", department="village", config=NO_MODEL)
    assert "第 2 行" in refused.value.message_zh
    assert log_rows(store) == before


def test_town_import_within_its_own_town_is_recorded_as_the_town_itself(store, county):
    mine = county[TOWN_A][0]
    rows = [[mine["name"], mine["id_number"], "13911112222"], ["新来人", "", ""]]
    data = _csv(["姓名", "公民身份号码", "联系电话"], rows)
    summary = import_file(
        store, TOWN_USER, data, filename="own.csv", department="village", config=NO_MODEL
    )
    # no ID number: the newcomer waits for a person's decision (no key, no new person)
    assert (summary.linked, summary.created, summary.queued) == (1, 0, 1)
    assert summary.department == "village"
    assert _row(store, mine["entity_id"])["phone"] == "13911112222"
    b, p = table("batch"), sheet_table("person")
    with store.engine.connect() as conn:
        assert conn.execute(select(b.c.source).where(b.c.id == summary.batch_id)).scalar_one() == (
            "village"
        )
    (entry,) = linkage_queue.list_entries(store, TOWN_USER)
    assert entry["org_code"].startswith(TOWN_A)
    assert linkage_queue.decide(store, TOWN_USER, entry["id"], create=True).status == "created"
    with store.engine.connect() as conn:
        home = conn.execute(select(p.c.org_code).where(p.c.name == "新来人")).scalar_one()
    assert home.startswith(TOWN_A)  # no village named: the town's own, never the county's


def test_a_county_code_of_another_county_is_refused(store, county):
    mine = county[TOWN_A][0]
    data = _csv(
        ["姓名", "公民身份号码", "联系电话"], [[mine["name"], mine["id_number"], "13900000001"]]
    )
    before = log_rows(store)
    health = Actor("wj", "department", COUNTY, "health")
    for actor in (TOWN_USER, health):
        with pytest.raises(AccessDenied):
            import_file(
                store, actor, data, filename="c.csv", department="village", county_code="330522"
            )
    with pytest.raises(AccessDenied):
        import_file(
            store, health, data, filename="c.csv", department="health", county_code="330522"
        )
    assert log_rows(store) == before


def test_department_user_imports_only_as_its_own_department(store, county):
    mine = county[TOWN_A][0]
    data = _csv(
        ["姓名", "公民身份号码", "死亡日期"], [[mine["name"], mine["id_number"], "2026-10-01"]]
    )
    before = log_rows(store)
    for actor in (
        Actor("wj", "department", COUNTY, "health"),
        Actor("nobody", "department", COUNTY, None),  # a department user without a department
    ):
        with pytest.raises(AccessDenied):
            import_file(store, actor, data, filename="d.csv", department="public_security")
    assert log_rows(store) == before
    ga = Actor("ga", "department", COUNTY, "public_security")
    done = import_file(store, ga, data, filename="d.csv", department="公安")
    assert done.linked == 1 and _row(store, mine["entity_id"])["death_date"] is not None


def test_admin_importing_on_behalf_of_a_department_is_audited_as_such(store, county):
    mine = county[TOWN_B][0]
    data = _csv(
        ["姓名", "公民身份号码", "联系电话"], [[mine["name"], mine["id_number"], "13955556666"]]
    )
    admin = Actor("root", "admin", COUNTY)
    summary = import_file(store, admin, data, filename="a.csv", department="公安")
    assert summary.department == "public_security" and summary.linked == 1
    a, b = table("audit_event"), table("batch")
    with store.engine.connect() as conn:
        event = conn.execute(select(a.c.detail, a.c.actor).where(a.c.action == "data.import")).one()
        batch = conn.execute(
            select(b.c.source, b.c.actor, b.c.description).where(b.c.id == summary.batch_id)
        ).one()
    assert event.actor == "root"
    assert "on behalf of" in event.detail
    assert json.loads(event.detail)["on_behalf_of"] == "public_security"
    assert batch.source == "public_security" and "on behalf of" in batch.description


# ------------------------------------------------------------------ tasks, corrections, settle
def test_village_cadre_saving_a_task_value_of_another_village_is_refused(store, county):
    created = approve(store, make_spec("S", ["person.phone"]))
    assert created.tasks
    task = next(t for t in tasks.list_tasks(store, CLI_ADMIN) if t.org_code.startswith(TOWN_A))
    theirs = county[TOWN_B][0]
    with store.transaction() as conn:  # a stale item: the person has since moved away
        conn.execute(
            insert(table("task_item")).values(
                task_id=task.id,
                entity_id=theirs["entity_id"],
                field_key="person.phone",
                county_code=COUNTY,
                reason="missing",
                status="open",
            )
        )
    cadre = Actor("cadre", "village", task.org_code)
    mine = next(
        i
        for i in tasks.task_page(store, cadre, task.id, per_page=500).entities
        if i.entity_id != theirs["entity_id"]
    )
    values = {
        (mine.entity_id, "person.phone"): "13812345678",
        (theirs["entity_id"], "person.phone"): "13887654321",
    }
    before = log_rows(store)
    with pytest.raises(AccessDenied) as refused:
        tasks.fill_task(store, cadre, task.id, values, task.version)
    assert str(theirs["entity_id"]) in refused.value.message_zh
    assert log_rows(store) == before
    fresh = next(t for t in tasks.list_tasks(store, CLI_ADMIN) if t.id == task.id)
    assert fresh.version == task.version and fresh.items_filled == 0


def test_village_cadre_correcting_another_village_is_refused(store, county):
    village = county[TOWN_A][0]["org_code"][:12]
    cadre = Actor("cadre", "village", village)
    theirs = county[TOWN_B][0]
    before = log_rows(store)
    with pytest.raises(AccessDenied):
        sheet_write.record_changes(
            store, cadre, theirs["entity_id"], [sheet_write.Change("person.phone", "13800001111")]
        )
    assert log_rows(store) == before


def test_village_cadre_cannot_write_as_a_department(store, county):
    mine = county[TOWN_A][0]
    cadre = Actor("cadre", "village", mine["org_code"][:12])
    before = log_rows(store)
    with pytest.raises(AccessDenied):
        sheet_write.record_changes(
            store,
            cadre,
            mine["entity_id"],
            [sheet_write.Change("person.death_date", "2026-10-01")],
            source="public_security",
        )
    assert log_rows(store) == before
    done = sheet_write.record_changes(
        store, cadre, mine["entity_id"], [sheet_write.Change("person.phone", "13800001111")]
    )
    assert done.observations == 1


def test_village_cadre_cannot_point_a_person_at_another_villages_household(store, county):
    mine = county[TOWN_A][0]
    h = sheet_table("household")
    with store.engine.connect() as conn:
        foreign = conn.execute(
            select(h.c.entity_id).where(h.c.org_code.startswith(TOWN_B)).limit(1)
        ).scalar_one()
    cadre = Actor("cadre", "village", mine["org_code"][:12])
    before = log_rows(store)
    with pytest.raises(AccessDenied) as refused:
        sheet_write.record_changes(
            store, cadre, mine["entity_id"], [sheet_write.Change("person.household", foreign)]
        )
    assert str(foreign) in refused.value.message_zh
    assert log_rows(store) == before


def test_village_cadre_settling_another_villages_conflict_is_refused(store, county):
    theirs = county[TOWN_B][0]
    data = _csv(
        ["姓名", "公民身份号码", "出生日期"], [[theirs["name"], theirs["id_number"], "1901-01-01"]]
    )
    import_file(store, CLI_ADMIN, data, filename="cf.csv", department="civil_affairs")
    c = table("conflict")
    with store.engine.connect() as conn:
        assert conn.execute(
            select(c.c.field_key).where(c.c.entity_id == theirs["entity_id"])
        ).scalars().all() == ["person.birth_date"]
    cadre = Actor("cadre", "village", county[TOWN_A][0]["org_code"][:12])
    before = log_rows(store)
    with pytest.raises(AccessDenied):
        sheet_write.settle_conflict(
            store, cadre, theirs["entity_id"], "person.birth_date", "civil_affairs"
        )
    assert log_rows(store) == before


# ------------------------------------------------------------------- queue decide and merge
def _queue(store: Store, *, kind: str, org: str, record: dict, candidates: list) -> int:  # type: ignore[type-arg]
    entry = {
        "county_code": COUNTY,
        "entity_type": "person",
        "kind": kind,
        "source": "health" if kind == "import" else "merge",
        "batch_id": None,
        "file": "q.csv",
        "row_no": 2,
        "record": json.dumps(record, ensure_ascii=False),
        "candidates": json.dumps(candidates),
        "best_probability": 0.8,
        "org_code": org,
        "status": "open",
        "created_at": datetime(2026, 11, 1),
    }
    with store.transaction() as conn:
        link_store.add_queue_entries(conn, [entry])
    with store.engine.connect() as conn:
        return max(e["id"] for e in link_store.list_queue(conn, COUNTY, status=None))


def test_deciding_a_queue_entry_across_areas_is_refused(store, county):
    mine, theirs = county[TOWN_A][0], county[TOWN_B][0]
    record = {"person.name": theirs["name"], "person.phone": "13700009999"}
    foreign = _queue(
        store, kind="import", org=theirs["org_code"][:12], record=record,
        candidates=[[theirs["entity_id"], 0.8]],
    )  # fmt: skip
    own = _queue(
        store, kind="import", org=mine["org_code"][:12], record=record,
        candidates=[[mine["entity_id"], 0.8], [theirs["entity_id"], 0.7]],
    )  # fmt: skip
    before = log_rows(store)
    for entry, choice in (
        (foreign, {"entity_id": theirs["entity_id"]}),
        (foreign, {"create": True}),
        (foreign, {"reject": True}),
        (own, {"entity_id": theirs["entity_id"]}),  # an own entry onto someone elsewhere
    ):
        with pytest.raises(AccessDenied):
            linkage_queue.decide(store, TOWN_USER, entry, **choice)
    assert log_rows(store) == before
    with store.engine.connect() as conn:
        assert {e["id"] for e in link_store.list_queue(conn, COUNTY)} >= {foreign, own}
    done = linkage_queue.decide(store, TOWN_USER, own, entity_id=mine["entity_id"])
    assert done.status == "linked"


def test_merging_across_areas_is_refused(store, county):
    mine, theirs = county[TOWN_A][0], county[TOWN_B][0]
    entry = _queue(
        store, kind="duplicate", org=mine["org_code"],
        record={"entity_id": theirs["entity_id"]}, candidates=[[mine["entity_id"], 0.9]],
    )  # fmt: skip
    town_admin = Actor("adm_a", "admin", TOWN_A)
    before = log_rows(store)
    for swap in (False, True):
        with pytest.raises(AccessDenied):
            dedupe.merge(store, town_admin, entry, swap=swap)
    assert log_rows(store) == before
    with pytest.raises(AccessDenied):  # nor may it search another county for duplicates
        dedupe.find_duplicates(store, town_admin, county_code="330522")
    merged = dedupe.merge(store, Actor("root", "admin", COUNTY), entry)
    assert merged.status == "merged"


def test_handling_another_towns_feedback_is_refused(store, county):
    village_b = county[TOWN_B][0]["org_code"][:12]
    item = submit_feedback(
        store, Actor("cadre_b", "village", village_b), kind="other", text="又要填一张表"
    )
    with pytest.raises(AccessDenied):
        handle_feedback(store, TOWN_USER, item.id, status="resolved", resolution="已处理")
    done = handle_feedback(store, Actor("town_b", "town", TOWN_B), item.id, status="acknowledged",
                           resolution="")  # fmt: skip
    assert done.status == "acknowledged"


# ----------------------------------------------------------- import reads before it writes
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_import_links_without_holding_the_sqlite_write_lock(store, county, monkeypatch):
    path = store.engine.url.database
    mine = county[TOWN_A][0]
    data = _csv(
        ["姓名", "公民身份号码", "联系电话"], [[mine["name"], mine["id_number"], "13900000139"]]
    )
    real, seen = data_import.link_people, []

    def linking(*args, **kwargs):  # type: ignore[no-untyped-def]
        other = sqlite3.connect(path, timeout=0.2, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # a page elsewhere writes while the import links
            other.execute("ROLLBACK")
            seen.append("free")
        finally:
            other.close()
        return real(*args, **kwargs)

    monkeypatch.setattr(data_import, "link_people", linking)
    summary = import_file(store, CLI_ADMIN, data, filename="l.csv", department="health")
    assert seen == ["free"] and summary.linked == 1


def test_a_write_while_the_import_links_makes_it_link_again(store, county, monkeypatch):
    mine, other = county[TOWN_A][0], county[TOWN_A][1]
    data = _csv(
        ["姓名", "公民身份号码", "联系电话"], [[mine["name"], mine["id_number"], "13911110000"]]
    )
    real, calls = data_import.link_people, []

    def linking(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:  # someone corrects a value meanwhile: the sheet moved
            change = sheet_write.Change("person.phone", "13922220000")
            sheet_write.record_changes(store, CLI_ADMIN, other["entity_id"], [change])
        return real(*args, **kwargs)

    monkeypatch.setattr(data_import, "link_people", linking)
    summary = import_file(store, CLI_ADMIN, data, filename="r.csv", department="health")
    assert len(calls) == 2 and summary.linked == 1
    assert _row(store, mine["entity_id"])["phone"] == "13911110000"
    assert _row(store, other["entity_id"])["phone"] == "13922220000"


def test_the_same_file_imported_meanwhile_is_imported_once(store, county, monkeypatch):
    mine = county[TOWN_A][0]
    data = _csv(
        ["姓名", "公民身份号码", "联系电话"], [[mine["name"], mine["id_number"], "13911110000"]]
    )
    real, inner = data_import.link_people, []

    def linking(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not inner:
            inner.append(None)
            inner[0] = import_file(store, CLI_ADMIN, data, filename="s.csv", department="health")
        return real(*args, **kwargs)

    monkeypatch.setattr(data_import, "link_people", linking)
    outer = import_file(store, CLI_ADMIN, data, filename="s.csv", department="health")
    assert outer.already_imported and outer.batch_id == inner[0].batch_id
    b = table("batch")
    with store.engine.connect() as conn:
        kinds = conn.execute(select(b.c.id).where(b.c.kind == "import")).scalars().all()
    assert kinds == [inner[0].batch_id]


# ------------------------------------------------------------- duplicate ID numbers
def test_a_duplicate_id_number_names_its_holder_only_within_the_area(store, county):
    """Typing a number another person holds is refused; the refusal names the holder only
    when the cadre may see them, so it cannot be used to find who in the county holds it."""
    mine, theirs = county[TOWN_A][0], county[TOWN_B][0]
    other_mine = county[TOWN_A][1]
    town = Actor("town_a", "town", TOWN_A)
    change = sheet_write.Change("person.id_number", theirs["id_number"])
    with pytest.raises(sheet_write.InvalidInput) as outside:
        sheet_write.record_changes(store, town, mine["entity_id"], [change])
    text = outside.value.message("zh") + outside.value.message("en")
    assert str(theirs["entity_id"]) not in text
    assert "管辖范围以外" in text
    inside = sheet_write.Change("person.id_number", other_mine["id_number"])
    with pytest.raises(sheet_write.InvalidInput) as within:
        sheet_write.record_changes(store, town, mine["entity_id"], [inside])
    assert str(other_mine["entity_id"]) in within.value.message("zh")
    assert _row(store, mine["entity_id"])["id_number"] == mine["id_number"]
