"""The burden ledger and task progress: figures equal what the tables hold, in each scope.

Values filled come from real report runs, values typed from real village corrections (a
department's own correction is not village burden), decisions from the Gate; the expected
numbers are counted straight from the tables here.
"""

from __future__ import annotations

import io
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from onesheet.domain.access import CLI_ADMIN, Actor
from onesheet.services import forms, gate
from onesheet.services.reports import run_report
from onesheet.services.sheet_write import Change, record_changes
from onesheet.services.users import add_user
from onesheet.store.schema import sheet_table, table
from onesheet.web.app import create_app
from tests.integration.helpers import COUNTY
from tests.integration.test_forms_pages import DIBAO, FILES, PASSWORD, add_people, login

MZ = Actor("mz1", "department", COUNTY, "civil_affairs")
HEALTH = Actor("wj1", "department", COUNTY, "health")
REVIEWER = Actor("rev1", "reviewer", COUNTY)


def _decided(store) -> tuple[str, str]:
    """An approved civil-affairs form and a rejected health form."""
    ok = forms.import_form(store, MZ, DIBAO, department="civil_affairs").template.id
    bad = forms.import_form(
        store, HEALTH, FILES / "weijian_elderly.xlsx", department="health"
    ).template.id
    for actor, tid in ((MZ, ok), (HEALTH, bad)):
        forms.submit(store, actor, tid)
    gate.approve(store, REVIEWER, ok, reason="复用一表通")
    gate.reject(store, REVIEWER, bad, reason="与已有报表重复")
    return ok, bad


def _typed_in(store, village: str) -> None:
    """Two village corrections in ``village`` and one department correction."""
    t = sheet_table("person")
    with store.engine.connect() as conn:
        ids = [
            r.entity_id
            for r in conn.execute(
                select(t.c.entity_id).where(t.c.org_code.startswith(village)).limit(2)
            )
        ]
    cadre = Actor("cadre", "village", village)
    for n, entity_id in enumerate(ids):
        record_changes(store, cadre, entity_id, [Change("person.phone", f"1380000000{n}")])
    record_changes(
        store, CLI_ADMIN, ids[0], [Change("person.phone", "13900000009")], source="civil_affairs"
    )


def _count(store, query) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


def test_api_ledger_figures_equal_table_counts_in_each_scope(store):
    village = add_people(store)
    add_user(store, CLI_ADMIN, "town1", role="town", org_code=village[:9], password=PASSWORD)
    ok, _ = _decided(store)
    run_report(store, MZ, ok, COUNTY, None, "csv", io.BytesIO())
    run_report(store, MZ, ok, village[:9], None, "csv", io.BytesIO())
    _typed_in(store, village)

    r = table("report_run")
    filled_all = _count(store, select(func.sum(r.c.values_filled)))
    filled_town = _count(
        store, select(func.sum(r.c.values_filled)).where(r.c.org_code.startswith(village[:9]))
    )
    o, b = table("observation"), table("batch")
    typed = _count(
        store,
        select(func.count())
        .select_from(o.join(b, b.c.id == o.c.batch_id))
        .where(b.c.kind == "correction", b.c.source == "village"),
    )
    assert filled_all > filled_town > 0 and typed == 2

    dept = TestClient(create_app(store))
    login(dept, "mz1")
    mine = dept.get("/api/ledger").json()
    assert mine["values_filled"] == filled_all
    assert mine["by_department"]["departments"] == ["civil_affairs"]
    assert mine["forms"] == {"approved": 1, "rejected": 0, "merged": 0}

    town = TestClient(create_app(store))
    login(town, "town1")
    theirs = town.get("/api/ledger").json()
    assert theirs["values_filled"] == filled_town
    assert theirs["values_typed"] == typed
    assert theirs["forms"]["approved"] == 1 and theirs["forms"]["rejected"] == 1
    page = town.get("/ledger")
    assert page.status_code == 200 and "echarts-6.1.0.common.min.js" in page.text
    assert f"<b>{filled_town}</b>" in page.text


def test_progress_shows_each_villages_tasks_in_scope(store):
    village = add_people(store)
    add_user(store, CLI_ADMIN, "town1", role="town", org_code=village[:9], password=PASSWORD)
    ok, _ = _decided(store)
    other = "330523999999"
    tasks = table("collection_task")
    with store.engine.begin() as conn:
        conn.execute(tasks.delete())  # whatever approval created: these two rows are known
        for code, status, filled in ((village, "done", 4), (other, "open", 1)):
            conn.execute(
                insert(tasks).values(
                    template_id=ok,
                    county_code=COUNTY,
                    org_code=code,
                    period="once",
                    status=status,
                    items_total=4,
                    items_filled=filled,
                    created_at=datetime(2026, 11, 2),
                    version=1,
                )
            )
    town = TestClient(create_app(store))
    login(town, "town1")
    page = town.get("/progress").text
    assert f'data-org="{village}"' in page and other not in page and "4/4" in page
    dept = TestClient(create_app(store))
    login(dept, "mz1")
    page = dept.get("/progress").text
    assert f'data-org="{village}"' in page and f'data-org="{other}"' in page and "1/4" in page
