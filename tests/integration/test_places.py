"""Places and facilities end to end (issue 11 item 8), on SQLite and PostgreSQL.

Two departments put their places in the sheet from their own exports (education: schools;
emergency management: shelters and major hazard sources); their three legacy forms are read
as place rosters of the right kind, their own columns become county fields of the place, the
Gate approves them, and the tasks ask each village only for the values the sheet lacks — never
a name or an address it holds, never a place of another kind. The villages' cadres fill them;
each report, in the department's layout, reads back (openpyxl and calamine) with every value
filled. A re-import with a mistyped school name waits in the queue instead of minting a second
school, and a person's decision then links it.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from datetime import date

import openpyxl
from fastapi.testclient import TestClient
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select

from onesheet.domain.access import CLI_ADMIN, Actor
from onesheet.services import county_fields, data_import, forms, gate, linkage_queue, reports, tasks
from onesheet.services.base import Store
from onesheet.services.reference import list_orgs
from onesheet.services.users import add_user
from onesheet.store import county_fields as store_fields
from onesheet.store.rebuild import rebuild
from onesheet.store.schema import sheet_table, table
from onesheet.web.app import create_app
from tests.forms.forms_places import (
    HAZARDS,
    SCHOOLS,
    SHELTERS,
    PlaceForm,
    export_xlsx,
    form_xlsx,
    hazards_export,
    schools_export,
    shelters_export,
)
from tests.integration.helpers import COUNTY, seed_small

STEWARD = Actor("steward", "steward", COUNTY)
REVIEWER = Actor("rev", "reviewer", COUNTY)
WHEN = date(2026, 11, 20)
GRADES = {"危险源等级": ["一级", "二级", "三级", "四级"], "避难场所级别": ["一类", "二类", "三类"]}
TYPED = {"tel": "13905721234", "number": "37", "date": "2026-11-02"}


def clerk(department: str) -> Actor:
    return Actor(f"{department}-clerk", "department", COUNTY, department)


def two_villages(store: Store) -> list[tuple[str, str, str]]:
    """(village code, town name, village name) of two villages of different towns."""
    units = list_orgs(store, CLI_ADMIN)
    towns = {u.code: u.name for u in units if u.level == "town"}
    seen: dict[str, tuple[str, str, str]] = {}
    for u in units:
        if u.level == "village" and u.parent_code not in seen:
            seen[u.parent_code] = (u.code, towns[u.parent_code], u.name)  # type: ignore[index]
    return list(seen.values())[:2]


def places(store: Store) -> list[dict]:  # type: ignore[type-arg]
    t = sheet_table("place")
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(t).order_by(t.c.entity_id))]


def bring_in(store: Store, form: PlaceForm) -> str:
    """Import the legacy form, confirm its own columns as county fields, submit, approve."""
    who = clerk(form.department)
    result = forms.import_form(
        store, who, form_xlsx(form), department=form.department, filename=f"{form.name}.xlsx"
    )
    contract = result.contract
    assert contract["entity"] == "place", contract  # type: ignore[index]
    assert contract["filter"] == {"field": "place.kind", "op": "eq", "value": form.kind}  # type: ignore[index]
    tid = result.template.id
    for p in county_fields.proposals(store, STEWARD, tid):
        assert p.key.startswith("place."), p.key
        grades = GRADES.get(p.heading)  # a grade is a code table, whatever three samples say
        county_fields.confirm(
            store, STEWARD, p.key, template_id=tid, reason="按表格样例确认",
            **({"value_type": "code", "codes": grades} if grades else {}),
        )  # fmt: skip
    forms.submit(store, who, tid)
    gate.approve(store, REVIEWER, tid, reason="网格“地、物”事项，准入")
    return tid


def asked(store: Store) -> dict[str, set[tuple[int, str]]]:
    """template → the (place, field) values its tasks ask, and their reasons."""
    t, i = table("collection_task"), table("task_item")
    q = select(t.c.template_id, i.c.entity_id, i.c.field_key, i.c.reason).join(
        i, i.c.task_id == t.c.id
    )
    out: dict[str, set[tuple[int, str]]] = defaultdict(set)
    with store.engine.connect() as conn:
        for tid, eid, key, reason in conn.execute(q):
            assert reason == "missing", (tid, eid, key, reason)
            out[tid].add((eid, key))
    return out


def answer(inp: tasks.TaskInput) -> str:
    return inp.choices[0][0] if inp.choices else TYPED.get(inp.kind, "某某")


def fill_all(store: Store) -> dict[tuple[int, str], str]:
    """Every open task, as the village's own cadre on the phone page; returns what was typed."""
    typed: dict[tuple[int, str], str] = {}
    for summary in tasks.list_tasks(store, CLI_ADMIN):
        cadre = Actor(f"cadre-{summary.org_code}", "village", summary.org_code)
        page = tasks.task_page(store, cadre, summary.id, 1)
        assert page.entity_type == "place"
        values = {(e.entity_id, i.field_key): answer(i) for e in page.entities for i in e.inputs}
        for e in page.entities:  # the cadre knows which place is meant: its name and address
            assert e.title and not e.title.startswith("#") and e.id_masked
        tasks.fill_task(store, cadre, summary.id, values, page.task.version)
        typed.update(values)
    return typed


def read_back(data: bytes, first_heading: str) -> tuple[list[str], list[list[object]], str]:
    """(headings, data rows, title) of a report read with openpyxl; calamine must agree."""
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    grid = [[c.value for c in row] for row in ws.iter_rows()]
    at = next(i for i, r in enumerate(grid) if first_heading in r)
    headings = [str(v) for v in grid[at] if v is not None]
    rows = [r[: len(headings)] for r in grid[at + 1 :] if r and isinstance(r[0], int | float)]
    cal = CalamineWorkbook.from_filelike(io.BytesIO(data))  # type: ignore[arg-type]
    cgrid = cal.get_sheet_by_index(0).to_python()
    crows = [r[: len(headings)] for r in cgrid[at + 1 :] if r and isinstance(r[0], int | float)]
    assert [[_plain(v) for v in r[1:]] for r in crows] == [[_plain(v) for v in r[1:]] for r in rows]
    return headings, rows, str(grid[0][0])


def _plain(v: object) -> str:
    """A cell as text, whichever reader: calamine reads whole numbers as floats (37.0)."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return "" if v is None else str(v)


def report(store: Store, department: str, tid: str) -> bytes:
    out = io.BytesIO()
    reports.run_report(store, clerk(department), tid, COUNTY, WHEN, "xlsx", out)
    return out.getvalue()


def test_place_forms_import_collect_and_report(store):
    seed_small(store, people=60)
    (va, ta, na), (vb, tb, nb) = two_villages(store)

    # the departments' exports put their places in the sheet, each in its village
    edu, emg = clerk("education"), clerk("emergency")
    s_head, s_rows = schools_export((ta, na), (tb, nb))
    sh_head, sh_rows = shelters_export((ta, na), (tb, nb))
    hz_head, hz_rows = hazards_export((ta, na))
    got = [
        data_import.import_file(
            store, who, export_xlsx(h, r), department=dept, filename=f, entity="place"
        )
        for who, dept, f, h, r in (
            (edu, "education", "学校名单.xlsx", s_head, s_rows),
            (emg, "emergency", "避难场所.xlsx", sh_head, sh_rows),
            (emg, "emergency", "重大危险源.xlsx", hz_head, hz_rows),
        )
    ]
    assert [(s.created, s.queued, s.rejected) for s in got] == [(4, 0, 0), (2, 0, 0), (2, 0, 0)]
    held = places(store)
    by_name = {p["name"]: p for p in held}
    assert len(held) == 8
    assert {by_name[f"{na}小学"]["kind"], by_name[f"{nb}小学"]["kind"]} == {"01"}
    assert by_name[f"{na}文化礼堂"]["kind"] == "02" and by_name["顺达液化气站"]["kind"] == "03"
    assert by_name[f"{na}小学"]["org_code"] == va and by_name[f"{nb}小学"]["org_code"] == vb
    assert by_name["天成化工储罐区"]["org_code"] == va  # placed by its 所属村 column
    with store.engine.connect() as conn:
        e = table("entity")
        keys = conn.execute(
            select(func.count()).where(e.c.entity_type == "place", e.c.natural_key.is_not(None))
        ).scalar_one()
    assert keys == 0  # a place has no number of its own

    # three legacy forms read as place rosters, their own columns county fields, approved
    ids = {form.name: bring_in(store, form) for form in (SCHOOLS, SHELTERS, HAZARDS)}
    kinds = {f.name: f.kind for f in (SCHOOLS, SHELTERS, HAZARDS)}
    spec = {n: forms.approved_template(store, REVIEWER, tid) for n, tid in ids.items()}
    fields = {n: {c.field for c in s.columns if c.field} for n, s in spec.items()}
    own = {
        n: {k for k in fs if k not in store.dictionary.fields or ".x_" in k}
        for n, fs in fields.items()
    }
    assert all(own.values()), own  # 在校学生人数, 避难场所级别, 危险源等级 … became fields

    # the tasks ask only what the sheet lacks, for places of the form's kind only
    want: dict[str, set[tuple[int, str]]] = defaultdict(set)
    for p in held:
        for name, fs in fields.items():
            if p["kind"] != kinds[name]:
                continue
            for key in fs:
                f = store.dictionary.fields[key]
                if f.derived_from:
                    continue
                if f.county_code is not None or p.get(f.name) is None:
                    want[ids[name]].add((p["entity_id"], key))
    got_asked = asked(store)
    assert got_asked == dict(want)
    every = set().union(*got_asked.values())
    assert not {k for _, k in every} & {"place.name", "place.address", "place.kind"}
    school_b = by_name[f"{nb}小学"]["entity_id"]
    assert (school_b, "place.manager_phone") in got_asked[ids[SCHOOLS.name]]
    assert (by_name[f"{na}小学"]["entity_id"], "place.manager_phone") not in every

    # the villages fill them on the task page; every report then reads back filled
    typed = fill_all(store)
    assert set(typed) == every
    for form in (SCHOOLS, SHELTERS, HAZARDS):
        data = report(store, form.department, ids[form.name])
        headings, rows, title = read_back(data, form.headings[0])
        assert title == form.title
        assert headings == ["序号", *form.headings, "备注"]  # the department's own layout
        mine = [p for p in held if p["kind"] == form.kind]
        assert len(rows) == len(mine)
        names = {r[1] for r in rows}
        assert names == {p["name"] for p in mine}
        for r in rows:
            assert all(v not in (None, "") for v in r[1:-1]), (form.name, r)
        if form is SCHOOLS:
            col = headings.index("在校学生人数")
            assert {str(r[col]).removesuffix(".0") for r in rows} == {TYPED["number"]}
            phone = headings.index("校长联系电话")
            row_b = next(r for r in rows if r[1] == f"{nb}小学")
            assert row_b[phone] == TYPED["tel"]  # typed by the village, unmasked for 教育
            row_a = next(r for r in rows if r[1] == f"{na}小学")
            assert row_a[phone] == "13857200001"  # from the department's export

    # a second pass asks nothing more, and the views agree with the log (sheet rebuild --check)
    assert not [t for t in tasks.list_tasks(store, CLI_ADMIN) if t.status == "open"]
    with store.transaction() as conn:
        store_fields.refresh(store, conn)
        check = rebuild(conn, store.dictionary, check_only=True, now=WHEN)  # type: ignore[arg-type]
    assert check.clean, check.examples
    print(
        f"\nplaces: {len(held)} imported; {len(every)} values asked in "
        f"{len(tasks.list_tasks(store, CLI_ADMIN))} tasks, {len(typed)} typed; "
        f"per template {[len(v) for v in got_asked.values()]}"
    )

    # a re-import with a mistyped name waits for a person instead of minting a school
    s_rows[0][0] = f"{na}小孝"  # 小学 → 小孝
    again = data_import.import_file(
        store, edu, export_xlsx(s_head, s_rows), department="education",
        filename="学校名单（更新）.xlsx", entity="place",
    )  # fmt: skip
    assert (again.created, again.queued, again.linked) == (0, 1, 3)
    assert len(places(store)) == 8
    entries = linkage_queue.list_entries(store, CLI_ADMIN)
    entry = next(e for e in entries if e["entity_type"] == "place")
    assert entry["candidates"][0][0] == by_name[f"{na}小学"]["entity_id"]
    decided = linkage_queue.decide(
        store, CLI_ADMIN, entry["id"], entity_id=by_name[f"{na}小学"]["entity_id"], reason="错字"
    )
    assert decided.status == "linked" and len(places(store)) == 8


def test_a_place_no_village_can_hold_is_refused_with_its_row_and_nothing_half_written(store):
    seed_small(store, people=20)
    (va, ta, na), _ = two_villages(store)
    emg = clerk("emergency")
    headings = ["避难场所名称", "地址", "可容纳人数"]
    rows = [
        [f"{na}文化礼堂", f"{ta}{na}礼堂路1号", 400],
        ["无名广场", "环城北路", 900],  # no village in the address, no 所属村 column
        [f"{na}公园", f"{ta}{na}公园路", "约三百人"],  # not a number
    ]
    summary = data_import.import_file(
        store, emg, export_xlsx(headings, rows), department="emergency",
        filename="避难场所.xlsx", entity="place",
    )  # fmt: skip
    codes = {(f.code, f.row) for f in summary.findings}
    assert ("place.no_village", 3) in codes
    assert any(f.row == 4 and f.column == "C" for f in summary.findings)
    assert (summary.created, summary.rejected) == (1, 2)
    held = places(store)
    assert [(p["name"], p["org_code"], p["kind"]) for p in held] == [(f"{na}文化礼堂", va, "02")]
    message = next(f for f in summary.findings if f.code == "place.no_village").message("zh")
    assert "所属村（社区）" in message

    # corrected with 所属村（社区） and 所属网格 columns, the refused place lands in that grid
    grid = next(u for u in list_orgs(store, CLI_ADMIN) if u.level == "grid" and u.parent_code == va)
    fixed = [[*rows[1], na, grid.name]]
    again = data_import.import_file(
        store, emg, export_xlsx([*headings, "所属村（社区）", "所属网格"], fixed),
        department="emergency", filename="避难场所（补充）.xlsx", entity="place",
    )  # fmt: skip
    assert (again.created, again.rejected) == (1, 0)
    assert {p["name"]: p["org_code"] for p in places(store)} == {
        f"{na}文化礼堂": va,
        "无名广场": grid.code,  # grid names repeat (第一网格): read inside the village
    }


PASSWORD = "correct horse 9"


def _phone_form(html: str) -> dict[str, str]:
    """What a cadre enters on the task page: the first choice of each select, and a value
    fitting each input's type (tel, date, number, text)."""
    out: dict[str, str] = {}
    for name, options in re.findall(r'<select id="(v:[^"]+)"[^>]*>(.*?)</select>', html, re.S):
        out[name] = re.findall(r'<option value="([^"]+)"', options)[0]
    for name, kind in re.findall(r'<input id="(v:[^"]+)" name="[^"]+" type="(\w+)"', html):
        out[name] = TYPED.get(kind, "某某")
    for name in re.findall(
        r'<input id="(v:[^"]+)" name="[^"]+" type="text" inputmode="decimal"', html
    ):
        out[name] = TYPED["number"]
    return out


def test_a_village_fills_its_hazard_sources_on_the_phone_task_page(store):
    seed_small(store, people=20)
    (va, ta, na), _ = two_villages(store)
    h, r = hazards_export((ta, na))
    data_import.import_file(
        store, clerk("emergency"), export_xlsx(h, r), department="emergency",
        filename="重大危险源.xlsx", entity="place",
    )  # fmt: skip
    tid = bring_in(store, HAZARDS)
    task = next(t for t in tasks.list_tasks(store, CLI_ADMIN) if t.template_id == tid)
    assert task.org_code == va
    add_user(store, CLI_ADMIN, "cadre", role="village", org_code=va, password=PASSWORD)
    with TestClient(create_app(store)) as c:
        login = c.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)  # type: ignore[union-attr]
        c.post("/login", data={"username": "cadre", "password": PASSWORD, "csrf_token": csrf})
        page = c.get(f"/tasks/{task.id}")
        assert page.status_code == 200
        assert "天成化工储罐区" in page.text and "顺达液化气站" in page.text  # which place
        assert "危险源等级" in page.text and "<select" in page.text  # a code table: choices
        assert 'type="date"' in page.text and 'type="tel"' in page.text
        entered = _phone_form(page.text)
        assert len(entered) == task.items_total
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        form = {"csrf_token": csrf, "version": str(task.version), "page": "1", **entered}
        saved = c.post(f"/tasks/{task.id}", data=form, follow_redirects=False)
        assert saved.status_code == 303
        assert "已保存" in c.get(saved.headers["location"]).text

        # a mistyped re-import waits in the village's queue under the place's name
        r[0][0] = "天成化工储灌区"
        queued = data_import.import_file(
            store, clerk("emergency"), export_xlsx(h, r), department="emergency",
            filename="重大危险源（更新）.xlsx", entity="place",
        )  # fmt: skip
        assert (queued.created, queued.queued) == (0, 1)
        listing = c.get("/link")
        assert listing.status_code == 200 and "天成化工储灌区" in listing.text
        entry_id = re.search(r'href="/link/(\d+)"', listing.text).group(1)  # type: ignore[union-attr]
        entry = c.get(f"/link/{entry_id}")
        assert entry.status_code == 200 and "天成化工储罐区" in entry.text  # the candidate
    done = next(t for t in tasks.list_tasks(store, CLI_ADMIN) if t.id == task.id)
    assert (done.status, done.items_filled) == ("done", task.items_total)
    headings, rows, _ = read_back(report(store, "emergency", tid), HAZARDS.headings[0])
    assert {row[1] for row in rows} == {"天成化工储罐区", "顺达液化气站"}
    level = headings.index("危险源等级")
    assert {row[level] for row in rows} == {"一级"}  # the first choice, shown by its name
    for row in rows:
        assert all(v not in (None, "") for v in row[1:-1]), row
