"""The pure eligibility rule: checking against the dictionary, three-valued evaluation,
tiers with decimal amounts, conflicts and stale inputs as "cannot tell"."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from onesheet.domain.dictionary import load_builtin
from onesheet.domain.eligibility import Input, check_rule, evaluate, parse_month
from onesheet.domain.findings import InvalidInput

D = load_builtin()
DAY = date(2026, 11, 30)
RULE = {
    "key": "gaoling",
    "benefit": "高龄津贴",
    "department": "civil_affairs",
    "conditions": {
        "and": [
            {"field": "person.birth_date", "op": "age_ge", "value": 80},
            {"field": "person.death_date", "op": "is_null"},
            {
                "or": [
                    {"field": "person.is_dibao", "op": "eq", "value": "1"},
                    {"field": "person.residence_status", "op": "eq", "value": "1"},
                ]
            },
        ]
    },
    "tiers": [
        {
            "label": "80-89",
            "when": {"field": "person.age", "op": "lt", "value": 90},
            "amount": "100",
        },
        {"label": "90+", "amount": "200.50"},
    ],
    "effective_from": "2026-01-01",
    "stale_after_days": {"person.residence_status": 365},
}
T = datetime(2026, 1, 5)


def _in(key: str, value: str | None, *, when: datetime = T, others=()) -> Input:  # type: ignore[no-untyped-def]
    return Input(key, value, "public_security", when, others)


def test_tiers_and_amounts() -> None:
    rule = check_rule(RULE, D)
    v = evaluate(
        rule,
        {
            "person.birth_date": _in("person.birth_date", "1940-05-01"),
            "person.residence_status": _in("person.residence_status", "1"),
        },
        DAY,
    )
    assert v.outcome is True and v.tier == "80-89" and v.amount == Decimal("100")
    v = evaluate(
        rule,
        {
            "person.birth_date": _in("person.birth_date", "1930-05-01"),
            "person.residence_status": _in("person.residence_status", "1"),
        },
        DAY,
    )
    assert v.amount == Decimal("200.50")
    # turns 80 on the last day of the payment month: counted
    v = evaluate(
        rule,
        {
            "person.birth_date": _in("person.birth_date", "1946-11-30"),
            "person.residence_status": _in("person.residence_status", "1"),
        },
        DAY,
    )
    assert v.outcome is True
    v = evaluate(rule, {"person.birth_date": _in("person.birth_date", "1946-12-01")}, DAY)
    assert v.outcome is False and v.failed()[0].field_key == "person.birth_date"


def test_conflict_matters_only_when_it_changes_the_answer() -> None:
    rule = check_rule(RULE, D)
    base = {"person.birth_date": _in("person.birth_date", "1940-05-01")}
    split = (("public_security", "1", T), ("village", "4", T))
    v = evaluate(
        rule,
        {**base, "person.residence_status": _in("person.residence_status", "1", others=split)},
        DAY,
    )
    assert v.outcome is None and "来源不一致" in v.unknown()[0].why
    # 低保 holds, so the residence conflict cannot change the outcome (Kleene or)
    v = evaluate(
        rule,
        {
            **base,
            "person.is_dibao": _in("person.is_dibao", "1"),
            "person.residence_status": _in("person.residence_status", "1", others=split),
        },
        DAY,
    )
    assert v.outcome is True
    # stale input
    v = evaluate(
        rule,
        {
            **base,
            "person.residence_status": _in(
                "person.residence_status", "1", when=datetime(2020, 1, 1)
            ),
        },
        DAY,
    )
    assert v.outcome is None and "过时" in v.unknown()[0].why


def test_refusals_name_place_and_reason() -> None:
    with pytest.raises(InvalidInput) as e:
        check_rule(
            {**RULE, "conditions": {"field": "person.birth_date", "op": "age_ge", "value": "八十"}},
            D,
        )
    assert e.value.findings[0].column == "conditions"
    with pytest.raises(InvalidInput) as e:
        check_rule({**RULE, "tiers": [{"label": "x", "amount": "1.005"}]}, D)
    assert e.value.findings[0].column == "tiers[0].amount"
    with pytest.raises(InvalidInput) as e:
        check_rule({**RULE, "excludes": ["b"]}, D, known_rules={"b": ["c"], "c": ["gaoling"]})
    assert "gaoling → b → c → gaoling" in e.value.findings[0].message_zh
    with pytest.raises(InvalidInput):
        parse_month("2026-13")
