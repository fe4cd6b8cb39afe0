"""County fields on both backends: bad definitions are refused with the form's own offending
values; a task value that does not fit is refused naming the person and the field, nothing
written; grants; import by heading; filters; versions; deprecation; rebuild repairs the view."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from sqlalchemy import delete, func, select

from onesheet.domain.access import AccessDenied, Actor, field_visibility
from onesheet.domain.findings import InvalidInput
from onesheet.services import county_fields, forms, gate, reports, tasks
from onesheet.services.data_import import import_file
from onesheet.store import county_fields as store_fields
from onesheet.store import gate_counts
from onesheet.store import tasks as task_store
from onesheet.store.rebuild import rebuild
from onesheet.store.schema import sheet_table, table
from onesheet.store.templates import get_template, update_template
from tests.forms.forms_county_fields import FORMS, LegacyForm, xlsx
from tests.integration.helpers import COUNTY, seed_small

STEWARD = Actor("steward", "steward", COUNTY)
REVIEWER = Actor("rev", "reviewer", COUNTY)
CIVIL = Actor("mz", "department", COUNTY, "civil_affairs")
HEALTH = Actor("wj", "department", COUNTY, "health")
COUNTY_STAFF = Actor("xian", "admin", COUNTY)
TEKUN = next(f for f in FORMS if f.name == "tekun_gongyang")
WEIWEN = next(f for f in FORMS if f.name == "chunjie_weiwen")  # no filter: everyone is asked
WHEN = date(2026, 11, 20)


def _count(store, name: str) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table(name))).scalar_one()


def _imported(store, form=TEKUN) -> str:
    clerk = Actor("clerk", "department", COUNTY, form.department)
    result = forms.import_form(store, clerk, xlsx(form), department=form.department)
    return result.template.id


def _approved(store, form=TEKUN) -> str:
    tid = _imported(store, form)
    clerk = Actor("clerk", "department", COUNTY, form.department)
    with store.engine.connect() as conn:
        columns = get_template(conn, tid).analysis["columns"]  # type: ignore[index]
    for col in columns:  # a column the department does not map: it creates its own field
        if col["status"] == "uncertain" and col["heading"] in form.headings:
            forms.create_field(
                store, clerk, tid, column=col["letter"], label_zh=col["heading"], value_type="text"
            )
    for p in county_fields.proposals(store, STEWARD, tid):
        county_fields.confirm(store, STEWARD, p.key, template_id=tid)
    forms.submit(store, Actor("clerk", "department", COUNTY, form.department), tid)
    gate.approve(store, REVIEWER, tid, reason="特困供养，清单内事项")
    return tid


@pytest.fixture
def seeded(store):
    seed_small(store, people=80)
    return store


def test_evidence_proposes_and_contradicting_types_are_refused(seeded):
    tid = _imported(seeded)
    got = {p.heading: p.proposal for p in county_fields.proposals(seeded, STEWARD, tid)}
    assert got["供养方式"].type == "code" and got["供养方式"].codes == ("集中", "分散")
    assert (got["供养金额（元）"].type, got["供养金额（元）"].unit) == ("decimal", "元")
    with pytest.raises(InvalidInput) as refused:
        county_fields.confirm(seeded, STEWARD, "person.x_gyje", template_id=tid, value_type="date")
    text = refused.value.findings[0].message_zh
    assert "1250" in text and "980" in text  # the form's own values that do not fit
    with pytest.raises(InvalidInput) as refused:
        county_fields.confirm(
            seeded, STEWARD, "person.x_gyfs", template_id=tid, value_type="code",
            codes=["集中供养", "分散供养"],
        )  # fmt: skip
    assert "集中" in refused.value.findings[0].message_zh
    with pytest.raises(AccessDenied):
        county_fields.confirm(seeded, CIVIL, "person.x_gyfs", template_id=tid)
    assert _count(seeded, "county_field") == 0 and _count(seeded, "county_code_table") == 0


def test_a_task_value_that_does_not_fit_is_refused_and_nothing_is_written(seeded):
    _approved(seeded, WEIWEN)
    summary = next(t for t in tasks.list_tasks(seeded, COUNTY_STAFF))
    cadre = Actor("cadre", "village", summary.org_code)
    page = tasks.task_page(seeded, cadre, summary.id)
    person = page.entities[0]
    kinds = {i.field_key: (i.kind, i.choices) for i in person.inputs}
    assert kinds["person.x_wwfs"] == ("select", [("01", "上门"), ("02", "集中")])
    assert kinds["person.x_wwje"][0] == "number"
    before = _count(seeded, "observation")
    values = {
        (person.entity_id, "person.x_wwfs"): "电话",
        (person.entity_id, "person.x_wwje"): "12",
    }
    with pytest.raises(InvalidInput) as refused:
        tasks.fill_task(seeded, cadre, summary.id, values, page.task.version)
    finding = refused.value.findings[0]
    assert finding.field == "person.x_wwfs" and str(person.entity_id) in finding.message_zh
    assert _count(seeded, "observation") == before and _count(seeded, "sheet_value") == 0


def test_grants_owner_reads_in_full_others_by_grant(seeded):
    tid = _imported(seeded)
    county_fields.confirm(
        seeded, STEWARD, "person.x_gyje", template_id=tid, readers=["health"],
        sensitivity="sensitive",
    )  # fmt: skip
    for key in ("person.x_gyfs", "person.x_zlhlbz"):
        county_fields.confirm(seeded, STEWARD, key, template_id=tid)
    forms.submit(seeded, CIVIL, tid)
    gate.approve(seeded, REVIEWER, tid, reason="清单内")
    d, g = seeded.dictionary, seeded.grants
    money, how = d.fields["person.x_gyje"], d.fields["person.x_gyfs"]
    assert (money.county_code, money.authority, money.unit) == (COUNTY, "civil_affairs", "元")
    assert field_visibility(CIVIL, how, g) == "full"
    assert field_visibility(HEALTH, how, g) == "hidden"
    assert field_visibility(HEALTH, money, g) == "full"
    assert field_visibility(Actor("v", "village", COUNTY + "001001"), how, g) == "full"
    assert field_visibility(REVIEWER, money, g) == "hidden"


def test_import_fills_county_fields_by_heading_and_reports_filter_on_them(seeded):
    tid = _approved(seeded)
    t = sheet_table("person")
    with seeded.engine.connect() as conn:
        people = conn.execute(
            select(t.c.name, t.c.id_number).order_by(t.c.entity_id).limit(6)
        ).all()
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["姓名", "公民身份号码", "供养方式", "供养金额（元）"])
    for i, (name, idno) in enumerate(people):
        w.writerow([name, idno, "集中" if i % 2 else "分散", 900 + i])
    summary = import_file(
        seeded, COUNTY_STAFF, buf.getvalue().encode("utf-8"), filename="特困.csv",
        department="civil_affairs",
    )  # fmt: skip
    assert not summary.findings, summary.findings
    with seeded.engine.connect() as conn:
        sv = table("sheet_value")
        held = dict(
            conn.execute(
                select(sv.c.field_key, func.count())
                .where(sv.c.source == "civil_affairs")
                .group_by(sv.c.field_key)
            ).all()
        )
    assert held == {"person.x_gyfs": 6, "person.x_gyje": 6}
    # a report whose filter reads a county field lists exactly those people
    with seeded.transaction() as conn:
        row = get_template(conn, tid)
        data = row.spec.model_dump(by_alias=True)
        data["filter"] = {"field": "person.x_gyfs", "op": "eq", "value": "集中"}
        update_template(conn, row, at=row.updated_at, spec=type(row.spec).model_validate(data))
    result = reports.run_report(seeded, COUNTY_STAFF, tid, COUNTY, WHEN, "csv", io.BytesIO())
    assert result.rows == 3


def test_versions_are_kept_and_an_active_fields_meaning_is_fixed(seeded):
    _approved(seeded)
    fresh = county_fields.confirm(
        seeded, STEWARD, "person.x_gyje", label_zh="月供养金额", reason="统一名称"
    )
    assert fresh.version == 3 and fresh.status == "active" and fresh.label_zh == "月供养金额"
    with seeded.engine.connect() as conn:
        rows = store_fields.versions_of(conn, COUNTY, "person.x_gyje")
    assert [r["action"] for r in rows] == ["confirm", "activate", "change"]
    assert rows[-1]["actor"] == "steward" and rows[-1]["reason"] == "统一名称"
    with pytest.raises(InvalidInput):
        county_fields.confirm(seeded, STEWARD, "person.x_gyje", value_type="text")
    gone = county_fields.deprecate(seeded, STEWARD, "person.x_gyje", reason="并入新表")
    assert gone.status == "deprecated"
    assert seeded.dictionary.fields["person.x_gyje"].status == "deprecated"


def test_rebuild_check_finds_and_repairs_the_narrow_view(seeded):
    _approved(seeded, WEIWEN)
    summary = tasks.list_tasks(seeded, COUNTY_STAFF)[0]
    cadre = Actor("cadre", "village", summary.org_code)
    page = tasks.task_page(seeded, cadre, summary.id)
    values = {
        (e.entity_id, i.field_key): (i.choices[0][0] if i.choices else "3")
        for e in page.entities
        for i in e.inputs
        if i.kind in ("select", "number")
    }
    tasks.fill_task(seeded, cadre, summary.id, values, page.task.version)
    with seeded.transaction() as conn:  # the Gate counts county values the sheet holds
        counts = gate_counts.village_rows(
            conn, seeded.dictionary, "person", None, ["person.x_wwfs", "person.name"],
            org_prefix=None, today=WHEN,
        )  # fmt: skip
        held = sum(filled["person.x_wwfs"] for _, filled in counts.values())
        assert held == sum(1 for _, k in values if k == "person.x_wwfs") > 0
        assert rebuild(conn, seeded.dictionary, check_only=True, now=WHEN).clean
        conn.execute(
            delete(table("sheet_value")).where(table("sheet_value").c.field_key == "person.x_wwfs")
        )
    with seeded.transaction() as conn:
        found = rebuild(conn, seeded.dictionary, check_only=False, now=WHEN)
    assert found.differing_rows > 0
    with seeded.transaction() as conn:
        assert rebuild(conn, seeded.dictionary, check_only=True, now=WHEN).clean


def test_a_monthly_form_asks_changing_county_values_again_next_month(seeded):
    tid = _approved(seeded, WEIWEN)
    veterans = next(f for f in FORMS if f.name == "tuiyi_xinxi")
    _approved(seeded, veterans)
    for summary in tasks.list_tasks(seeded, COUNTY_STAFF):
        cadre = Actor("cadre", "village", summary.org_code)
        page = tasks.task_page(seeded, cadre, summary.id, per_page=500)
        values = {
            (e.entity_id, i.field_key): (
                i.choices[0][0]
                if i.choices
                else {"date": "1990-03-01", "number": "3"}.get(i.kind, "某部")
            )
            for e in page.entities
            for i in e.inputs
        }
        tasks.fill_task(seeded, cadre, summary.id, values, page.task.version)
    now = datetime(2027, 1, 5, 9, 0)  # a later month: what would each form ask now?
    asked: dict[str, set[str]] = {}
    for form_id in (tid, _template_id(seeded, veterans.title)):
        with seeded.transaction() as conn:
            row = get_template(conn, form_id)
            spec = row.spec.model_copy(update={"frequency": "monthly"})
            update_template(conn, row, at=now, spec=spec)
            task_store.create_for_template(conn, seeded.dictionary, spec, now=now, today=now.date())
            i, t = table("task_item"), table("collection_task")
            q = select(i.c.field_key, i.c.reason).join(t, t.c.id == i.c.task_id)
            q = q.where(t.c.template_id == form_id, t.c.period == "2027-01")
            asked[form_id] = {f"{k}:{r}" for k, r in conn.execute(q)}
    assert asked[tid] == {"person.x_wwje:stale", "person.x_wwfs:stale"}  # amounts change
    assert not {
        a for a in asked[_template_id(seeded, veterans.title)] if "x_rwsj" in a or "x_tysj" in a
    }


def _template_id(store, title: str) -> str:
    t = table("form_template")
    with store.engine.connect() as conn:
        return conn.execute(select(t.c.id).where(t.c.title == title)).scalar_one()


ZILI_A = LegacyForm(
    "zili_a", "civil_affairs", "老年人生活自理能力登记表", ["生活自理能力"],
    [["自理"], ["半自理"], ["不能自理"], ["自理"]],
)  # fmt: skip
ZILI_B = LegacyForm(
    "zili_b", "health", "老年人健康管理花名册", ["生活自理能力评估"],
    [["半自理"], ["自理"], ["自理"], ["不能自理"]],
)  # fmt: skip


def test_one_concept_one_field_merge_keeps_both_histories(seeded):
    a = _approved(seeded, ZILI_A)
    b = _approved(seeded, ZILI_B)
    proposals = county_fields.merge_proposals(seeded, STEWARD)
    pair = next(
        p for p in proposals if {p.label, p.other_label} == {"生活自理能力", "生活自理能力评估"}
    )
    keep, drop = (pair.key, pair.other) if pair.label == "生活自理能力" else (pair.other, pair.key)
    summary = next(t for t in tasks.list_tasks(seeded, COUNTY_STAFF) if t.template_id == b)
    cadre = Actor("cadre", "village", summary.org_code)
    page = tasks.task_page(seeded, cadre, summary.id)
    values = {(e.entity_id, i.field_key): "02" for e in page.entities for i in e.inputs}
    tasks.fill_task(seeded, cadre, summary.id, values, page.task.version)
    before = _count(seeded, "observation")
    with pytest.raises(InvalidInput):
        county_fields.merge(seeded, STEWARD, drop, keep, reason="")
    merged = county_fields.merge(seeded, STEWARD, drop, keep, reason="同一概念")
    assert merged.retired.status == "deprecated" and b in merged.templates_rebound
    assert merged.values_copied == len(values)
    assert _count(seeded, "observation") == before + len(values)  # nothing rewritten
    with seeded.engine.connect() as conn:
        copied = store_fields.values_of_field(conn, keep)
        kept_old = store_fields.values_of_field(conn, drop)
    tables, fields_ = seeded.dictionary.code_tables, seeded.dictionary.fields
    names = tables[fields_[keep].code_table]  # type: ignore[index]
    typed = tables[fields_[drop].code_table].name_of("02")  # type: ignore[index]
    assert {names.name_of(v) for v, _, _ in copied.values()} == {typed}  # codes by name
    assert {v for v, _, _ in copied.values()} != {"02"}  # … not by code
    assert len(kept_old) == len(values)  # the retired field's history and values stay
    assert "生活自理能力评估" in seeded.dictionary.fields[keep].synonyms
    result = reports.run_report(seeded, COUNTY_STAFF, b, COUNTY, WHEN, "csv", io.BytesIO())
    assert result.values_filled > 0
    assert a
    with seeded.transaction() as conn:
        assert rebuild(conn, seeded.dictionary, check_only=True, now=WHEN).clean
