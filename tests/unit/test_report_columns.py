"""Roster columns: where each value comes from and how the form writes it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from onesheet.domain.dictionary import load_builtin
from onesheet.domain.findings import InvalidInput
from onesheet.domain.report_columns import cell_converter, date_style, plan_roster
from onesheet.domain.template_spec import TemplateSpec

D = load_builtin()


def spec(*columns: dict[str, object]) -> TemplateSpec:
    cols = [{"letter": chr(65 + i), **c} for i, c in enumerate(columns)]
    return TemplateSpec.model_validate(
        {
            "id": "t",
            "title": "t",
            "department": "d",
            "entity": "person",
            "columns": cols,
            "layout": {"title": "t", "heading_rows": []},
        }
    )


def test_sources() -> None:
    plans = plan_roster(
        spec(
            {"heading": "序号", "kind": "row_no"},
            {"heading": "姓名", "field": "person.name"},
            {"heading": "户主姓名", "field": "household.head_name"},
            {"heading": "保障金额", "field": "household.dibao_amount"},
            {"heading": "年龄", "field": "person.age"},
            {"heading": "所属村", "field": "person.village"},
            {"heading": "家庭人口", "field": "household.size"},
        ),
        D,
    )
    assert [(p.source, p.column_name) for p in plans] == [
        ("none", None),
        ("self", "name"),
        ("head", "name"),
        ("household", "dibao_amount"),
        ("age", "birth_date"),
        ("org", "village"),
        ("members", None),
    ]


def test_unknown_and_unsupported_columns_are_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        plan_roster(
            spec(
                {"heading": "鞋码", "field": "person.shoe_size"},
                {"heading": "企业", "field": "enterprise.name"},
                {"heading": "数", "kind": "count"},
            ),
            D,
        )
    assert len(err.value.findings) == 3


def test_converters_write_what_forms_write() -> None:
    plans = plan_roster(
        spec(
            {"heading": "性别", "field": "person.gender"},
            {"heading": "低保", "field": "person.is_dibao"},
            {"heading": "出生年月", "field": "person.birth_date"},
            {"heading": "出生日期", "field": "person.birth_date"},
            {"heading": "身份证号", "field": "person.id_number"},
            {"heading": "年龄", "field": "person.age"},
            {"heading": "金额", "field": "household.dibao_amount"},
        ),
        D,
    )
    when = date(2026, 11, 30)
    t = D.code_tables

    def conv(i: int, vis: str = "full"):  # type: ignore[no-untyped-def]
        return cell_converter(plans[i], vis, t, when)

    assert conv(0)("2") == "女"
    assert (conv(1)(True), conv(1)(False)) == ("是", "否")
    assert conv(2)(date(1990, 1, 5)) == "1990.01"
    assert conv(3)(date(1990, 1, 5)) == "1990-01-05"
    assert conv(4)("33052319900105123X") == "33052319900105123X"
    assert conv(4, "masked")("33052319900105123X") == "33052319900105****"
    assert conv(5)(date(1966, 12, 1)) == 59
    assert conv(6)(Decimal("1640.0000")) == Decimal("1640")
    assert date_style("家庭成员/出生年月") == "month"
