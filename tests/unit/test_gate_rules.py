"""The Gate's arithmetic and rules without a database."""

from __future__ import annotations

import pytest

from onesheet.domain import gate
from onesheet.domain.findings import InvalidInput
from onesheet.domain.responsibility import Item, packaged_lists, parse_lists, verdict
from onesheet.domain.template_spec import Column, Layout, TemplateSpec

ITEMS = [Item("ZZ001", "main", "民政", "低保"), Item("FM001", "negative", "执法", "行政处罚")]


def _spec(columns: list[Column], tid: str = "t1") -> TemplateSpec:
    return TemplateSpec(
        id=tid,
        title="低保花名册",
        department="civil_affairs",
        entity="person",
        columns=columns,
        layout=Layout(title="低保花名册", heading_rows=[[c.heading for c in columns]]),
    )


SPEC = _spec(
    [
        Column(letter="A", heading="序号", kind="row_no"),
        Column(letter="B", heading="姓名", field="person.name"),
        Column(letter="C", heading="身份证号", field="person.id_number"),
        Column(letter="D", heading="家庭年收入", kind="blank"),
        Column(letter="E", heading="备注", kind="remark"),
    ]
)


def test_burden_counts_missing_columns_and_missing_values():
    villages = {
        "v1": gate.VillageRows(10, {"person.name": 10, "person.id_number": 8}),
        "v2": gate.VillageRows(5, {"person.name": 5, "person.id_number": 5}),
    }
    r = gate.review(
        SPEC,
        answerable={"person.name", "person.id_number"},
        villages=villages,
        approved=[],
        matter=verdict("ZZ001", ITEMS),
    )
    assert [c.letter for c in r.answered] == ["B", "C"]
    assert [c.letter for c in r.to_collect] == ["D"]
    assert r.rows == 15
    assert r.values_to_type == 15 * 1 + 2  # the blank column, plus two missing ID numbers
    assert r.manual_values == 15 * 3
    assert r.max_village_values == 12
    data = r.to_json()
    assert data["burden"]["minutes"] == 8.5 and data["burden"]["manual_minutes"] == 22.5
    assert data["burden"]["per_village_values"] == 8.5
    assert r.suggestion == "approve"


def test_near_total_overlap_suggests_the_existing_template():
    other = gate.ApprovedForm(
        "t0", "已有表", "health", frozenset({"person.name", "person.id_number"})
    )
    r = gate.review(
        SPEC, answerable=set(), villages={}, approved=[other], matter=verdict("ZZ001", ITEMS)
    )
    assert r.overlaps[0].share == 1.0 and r.suggestion == "reject"
    assert any("t0" in reason for reason in r.reasons_zh)


def test_matter_verdicts_and_decision_rules():
    assert verdict("FM001", ITEMS).code == "refused"
    assert verdict("XX999", ITEMS).code == "needs_reason"
    assert verdict(None, ITEMS).code == "needs_reason"
    with pytest.raises(InvalidInput):
        gate.check_decision("approved", verdict("FM001", ITEMS), "上级要求")
    with pytest.raises(InvalidInput):
        gate.check_decision("approved", verdict("XX999", ITEMS), " ")
    gate.check_decision("approved", verdict("XX999", ITEMS), "县政府同意")
    gate.check_decision("rejected", verdict("FM001", ITEMS), "负面清单")


def test_lists_parse_and_packaged_sample():
    items = packaged_lists()
    kinds = {i.list_kind for i in items}
    assert kinds == {"main", "assist", "negative", "certificate"}
    assert len({i.code for i in items}) == len(items)
    assert sum(i.list_kind == "main" for i in items) >= 20
    assert sum(i.list_kind == "negative" for i in items) >= 20
    parsed = parse_lists("list,item\n主责,组织生活\n协助,计生\n")
    assert [(i.code, i.list_kind) for i in parsed] == [("ZZ001", "main"), ("XZ001", "assist")]
    with pytest.raises(InvalidInput) as err:
        parse_lists("list,item\n其他,x\n", "my.csv")
    assert err.value.findings[0].row == 2 and err.value.findings[0].file == "my.csv"
