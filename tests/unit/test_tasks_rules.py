"""The collection rule (domain.tasks): periods, what is missing or stale, which inputs."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from onesheet.domain.dictionary import load_builtin
from onesheet.domain.tasks import (
    choices,
    collectable_fields,
    input_kind,
    items_for,
    may_go_stale,
    period_label,
    period_of,
    period_start,
)
from onesheet.domain.template_spec import TemplateSpec

D = load_builtin()


@pytest.mark.parametrize(
    ("freq", "period", "start", "label"),
    [
        ("monthly", "2026-11", date(2026, 11, 1), "2026年11月"),
        ("quarterly", "2026Q4", date(2026, 10, 1), "2026年第4季度"),
        ("yearly", "2026", date(2026, 1, 1), "2026年度"),
        ("once", "once", None, "一次性"),
    ],
)
def test_periods(freq, period, start, label):
    assert period_of(freq, date(2026, 11, 15)) == period
    assert period_start(period) == start
    assert period_label(period) == label


def test_quarter_boundaries():
    assert [period_of("quarterly", date(2026, m, 1)) for m in (1, 3, 4, 12)] == [
        "2026Q1",
        "2026Q1",
        "2026Q2",
        "2026Q4",
    ]
    with pytest.raises(ValueError):
        period_of("weekly", date(2026, 1, 1))


def test_missing_and_stale_but_identity_never_stale():
    name, phone, dibao = (D.field(k) for k in ("person.name", "person.phone", "person.is_dibao"))
    old, new = datetime(2026, 10, 31, 23), datetime(2026, 11, 1)
    values = {"person.name": "张三", "person.phone": None, "person.is_dibao": "0"}
    fields = [name, phone, dibao]
    start = date(2026, 11, 1)
    assert items_for(fields, values, {"person.name": old, "person.is_dibao": old}, start) == [
        ("person.phone", "missing"),
        ("person.is_dibao", "stale"),
    ]
    assert items_for(fields, values, {"person.is_dibao": new}, start) == [
        ("person.phone", "missing")
    ]
    assert items_for(fields, values, {}, None) == [("person.phone", "missing")]
    assert not may_go_stale(name) and not may_go_stale(D.field("person.id_number"))
    assert may_go_stale(phone)


def test_collectable_fields_map_derived_and_list_the_rest():
    cols = ["person.age", "person.phone", "person.household", "household.address", "person.x_new"]
    spec = TemplateSpec.model_validate(
        {
            "id": "t",
            "title": "t",
            "department": "civil_affairs",
            "entity": "person",
            "columns": [
                {"letter": chr(65 + i), "heading": c, "field": c} for i, c in enumerate(cols)
            ]
            + [{"letter": "Z", "heading": "备注", "kind": "remark"}],
            "layout": {"title": "t", "heading_rows": [["x"]]},
        }
    )
    got = collectable_fields(spec, D)
    assert [f.key for f in got.fields] == ["person.birth_date", "person.phone"]
    assert dict(got.not_collectable) == {
        "person.household": "reference",
        "household.address": "other_entity",
        "person.x_new": "draft",
    }


def test_inputs_per_type():
    assert input_kind(D.field("person.gender")) == "select"
    assert input_kind(D.field("person.is_dibao")) == "select"
    assert input_kind(D.field("person.birth_date")) == "date"
    assert input_kind(D.field("person.phone")) == "tel"
    assert input_kind(D.field("household.dibao_amount")) == "number"
    assert input_kind(D.field("person.occupation")) == "text"
    assert ("1", "是") in choices(D.field("person.is_dibao"), D.code_tables)
    assert any(label == "男" for _, label in choices(D.field("person.gender"), D.code_tables))
