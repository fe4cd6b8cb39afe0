"""Filters and periods from the words (issue 12, item 3), each with evidence and confidence."""

from __future__ import annotations

import pytest

from onesheet.domain.dictionary import load_builtin
from onesheet.ingest.period import propose_frequency
from onesheet.ingest.population import propose

D = load_builtin()


def _dump(title: str):
    p = propose(title, "person", D)
    assert p.evidence and 0 < p.confidence <= 1
    return p.filter.model_dump(by_alias=True) if p.filter else None


def test_school_entry_selects_the_birth_dates_of_the_school_year():
    assert _dump("2025年秋季适龄儿童入学摸底登记表") == {
        "and": [
            {"field": "person.birth_date", "op": "ge", "value": "2018-09-01"},
            {"field": "person.birth_date", "op": "le", "value": "2019-08-31"},
        ]
    }
    without_year = propose("适龄儿童入学摸底表", "person", D)
    assert without_year.confidence < 0.7  # age 6 on the report date: a person confirms
    assert [c.op for c in without_year.filter.all] == ["age_ge", "age_lt"]


def test_retired_women_and_elderly():
    assert _dump("企业退休人员花名册") == {
        "field": "person.employment_status",
        "op": "eq",
        "value": "60",
    }
    assert _dump("育龄妇女信息登记表") == {
        "and": [
            {"field": "person.gender", "op": "eq", "value": "2"},
            {"field": "person.birth_date", "op": "age_ge", "value": 15},
            {"field": "person.birth_date", "op": "age_lt", "value": 50},
        ]
    }
    assert _dump("60岁以上老年人花名册") == {
        "field": "person.birth_date",
        "op": "age_ge",
        "value": 60,
    }
    assert _dump("0-6岁儿童健康管理花名册") == {
        "field": "person.birth_date",
        "op": "age_lt",
        "value": 7,
    }
    assert _dump("村民基本信息登记表") is None


@pytest.mark.parametrize(
    ("title", "unit", "value", "period"),
    [
        ("育龄妇女信息月报表", None, "monthly", None),
        ("高龄津贴发放花名册（2024年第四季度）", None, "quarterly", "2024Q4"),
        ("2025年度重度残疾人护理补贴发放表", None, "yearly", "2025"),
        ("村民花名册", "填报单位：　　报告月份：", "monthly", None),
        ("党员花名册", "填报单位　截止时间　2024年12月31日", "once", None),
        ("村民花名册", None, "once", None),
    ],
)
def test_frequency_from_the_words(title, unit, value, period):
    f = propose_frequency(title, unit)
    assert (f.value, f.period) == (value, period)
    assert f.evidence and 0 < f.confidence <= 1
