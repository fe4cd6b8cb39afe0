"""Forms and the Gate end to end on both backends: import → map → submit → review → decide."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from onesheet.domain.access import CLI_ADMIN, AccessDenied, Actor
from onesheet.domain.findings import InvalidInput
from onesheet.services import forms, gate
from onesheet.store.schema import table
from tests.integration.helpers import seed_small

FILES = Path(__file__).resolve().parents[1] / "forms" / "files"
TODAY = date(2026, 11, 1)
REVIEWER = Actor("shen", "reviewer", "330523")


def _import(store, name: str, department: str, **kw):
    return forms.import_form(store, CLI_ADMIN, FILES / name, department=department, **kw)


def test_import_stores_a_draft_with_the_contract_and_reimport_is_idempotent(store):
    first = _import(store, "minzheng_dibao.xlsx", "民政局", matter="ZZ020")
    c = first.contract
    assert set(c) == set(forms.CONTRACT_KEYS)
    assert c["department"] == "civil_affairs" and c["entity"] == "person"
    assert c["header_rows"] == [3, 4]
    assert c["filter"] == {"field": "person.is_dibao", "op": "eq", "value": "1"}
    by_letter = {col["letter"]: col for col in c["columns"]}
    assert by_letter["I"]["field"] == "person.id_number"
    assert by_letter["I"]["status"] == "matched"
    assert by_letter["A"]["status"] == "layout"
    assert first.template.status == "draft" and first.template.spec.matter == "ZZ020"
    again = _import(store, "minzheng_dibao.xlsx", "civil_affairs")
    assert again.existing and again.template.id == first.template.id
    assert len(forms.list_forms(store, CLI_ADMIN)) == 1


def test_bad_file_writes_nothing(store, tmp_path):
    bad = tmp_path / "note.xlsx"
    bad.write_text("not a spreadsheet", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        forms.import_form(store, CLI_ADMIN, bad, department="民政局")
    assert err.value.findings[0].code == "file.not_spreadsheet"
    assert "note.xlsx" in err.value.message("zh")
    with pytest.raises(InvalidInput):
        forms.import_form(store, CLI_ADMIN, FILES / "bad" / "encrypted.xlsx", department="民政局")
    assert forms.list_forms(store, CLI_ADMIN) == []


def test_draft_field_proposed_once_is_matched_by_a_later_form(store):
    first = _import(store, "canlian_disabled.xlsx", "残联")
    assert first.new_drafts
    with store.engine.connect() as conn:
        stored = set(conn.scalars(select(table("draft_field").c.key)))
    assert set(first.new_drafts) <= stored
    later = [
        _import(store, name, dept)
        for name, dept in (("minzheng_tekun.xls", "民政局"), ("jiaoyu_left_behind.xlsx", "教育局"))
    ]
    reused = {
        col["field"]
        for r in later
        for col in r.contract["columns"]
        if col["status"] == "matched" and col["field"] in stored
    }
    assert reused, "a later form should match a draft field an earlier one proposed"


def test_correction_is_learnt_for_the_next_form(store):
    first = _import(store, "jiaoyu_left_behind.xlsx", "教育局")
    col = next(c for c in first.contract["columns"] if c["letter"] == "B")
    forms.map_column(store, CLI_ADMIN, first.template.id, column="B", field_key="person.name")
    shown = forms.show_form(store, CLI_ADMIN, first.template.id)
    b = next(c for c in shown.contract["columns"] if c["letter"] == "B")
    assert (b["field"], b["status"]) == ("person.name", "matched")
    assert shown.template.spec.columns[1].field == "person.name"
    with store.engine.connect() as conn:
        learnt = dict(
            conn.execute(
                select(table("heading_synonym").c.heading, table("heading_synonym").c.field_key)
            ).all()
        )
    assert "person.name" in learnt.values()
    # the same file for another department is a new import and now matches B at once
    second = _import(store, "jiaoyu_left_behind.xlsx", "民政局")
    b2 = next(c for c in second.contract["columns"] if c["letter"] == "B")
    assert col["heading"] == b2["heading"]
    assert (b2["field"], b2["status"]) == ("person.name", "matched")


def test_review_approve_and_overlap(store):
    seed_small(store, people=300)
    t = _import(store, "weijian_elderly.xlsx", "卫健局", matter="XZ010").template
    forms.submit(store, CLI_ADMIN, t.id)
    r = gate.review(store, REVIEWER, t.id, today=TODAY)
    data = r.to_json()
    assert data["columns_answered"] + len(data["columns_to_collect"]) == data["columns_total"]
    burden = data["burden"]
    assert burden["villages"] >= 1 and burden["rows"] > 0
    assert 0 < burden["values_to_type"] < burden["manual_values"]
    assert burden["manual_minutes"] == burden["manual_values"] * 0.5
    assert data["matter"]["verdict"] == "ok" and data["suggestion"] in ("approve", "reject")
    approved = gate.approve(store, REVIEWER, t.id, reason="基本公共卫生服务，协助事项", today=TODAY)
    assert approved.status == "approved"
    assert forms.approved_template(store, CLI_ADMIN, t.id).id == t.id
    history = forms.show_form(store, CLI_ADMIN, t.id).decisions
    assert [d.decision for d in history] == ["submitted", "approved"]
    assert history[-1].actor == "shen" and history[-1].reason.startswith("基本")
    assert history[-1].review["burden"]["rows"] == burden["rows"]
    # the same form again (another department) overlaps the approved one almost entirely
    twin = _import(store, "weijian_elderly.xlsx", "民政局", matter="XZ010").template
    forms.submit(store, CLI_ADMIN, twin.id)
    twin_review = gate.review(store, REVIEWER, twin.id, today=TODAY)
    assert twin_review.overlaps[0].template_id == t.id and twin_review.overlaps[0].share == 1.0
    assert twin_review.suggestion == "reject"
    assert any(t.id in reason for reason in twin_review.reasons_zh)


def test_negative_list_matter_is_never_approved_and_unlisted_needs_reason(store):
    t = _import(store, "zhujian_houses.xlsx", "住建局", matter="FM001").template
    with pytest.raises(InvalidInput):
        gate.approve(store, REVIEWER, t.id, reason="x")  # not submitted yet
    forms.submit(store, CLI_ADMIN, t.id)
    assert gate.review(store, REVIEWER, t.id).suggestion == "reject"
    with pytest.raises(InvalidInput) as err:
        gate.approve(store, REVIEWER, t.id, reason="上级要求")
    assert err.value.findings[0].code == "gate.negative_list"
    assert forms.show_form(store, CLI_ADMIN, t.id).template.status == "submitted"
    rejected = gate.reject(store, REVIEWER, t.id, reason="负面清单事项")
    assert rejected.status == "rejected"
    with pytest.raises(forms.TemplateNotApproved):
        forms.approved_template(store, CLI_ADMIN, t.id)

    u = _import(store, "tongji_villages.xlsx", "统计局").template
    forms.submit(store, CLI_ADMIN, u.id)
    assert gate.review(store, REVIEWER, u.id).matter.code == "needs_reason"
    with pytest.raises(InvalidInput):
        gate.approve(store, REVIEWER, u.id, reason="  ")
    assert gate.approve(store, REVIEWER, u.id, reason="年度统计，县政府同意").status == "approved"


def test_permissions(store):
    village = Actor("cun", "village", "330523108204")
    with pytest.raises(AccessDenied):
        forms.import_form(store, village, FILES / "minzheng_dibao.xlsx", department="民政局")
    t = _import(store, "minzheng_dibao.xlsx", "民政局").template
    forms.submit(store, CLI_ADMIN, t.id)
    with pytest.raises(AccessDenied):
        gate.approve(store, Actor("d", "department", "330523", "civil_affairs"), t.id, reason="r")
    assert json.dumps(gate.review(store, REVIEWER, t.id).to_json(), ensure_ascii=False)
