"""Subsidies from the sheet: a 高龄津贴 rule through the Gate, run on a seeded county.

Each list is compared with an independent computation here — plain Python over ``SELECT *``
on ``sheet_person`` and the ``observation`` rows — and the explanation of a sample of people
is checked value by value (value, source department, date, verdict).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from onesheet.domain.access import AccessDenied, Actor
from onesheet.domain.findings import InvalidInput
from onesheet.services.base import Store
from onesheet.services.eligibility import (
    confirm_run,
    decide_rule,
    define_rule,
    import_enrolment,
    ledger_figures,
    run_rule,
    submit_rule,
)
from onesheet.services.sheet_write import Change, record_changes
from onesheet.store.schema import sheet_table, table
from tests.integration.helpers import COUNTY, seed_small

MONTH = "2026-11"
DAY = date(2026, 11, 30)  # ages count at the payment month's end
DEPT = Actor("mz", "department", COUNTY, "civil_affairs")
REVIEWER = Actor("rv", "reviewer", COUNTY)
ADMIN = Actor("adm", "admin", None)

RULE = {
    "key": "gaoling_jintie",
    "benefit": "高龄津贴",
    "department": "civil_affairs",
    "conditions": {
        "and": [
            {"field": "person.birth_date", "op": "age_ge", "value": 80},
            {"field": "person.death_date", "op": "is_null"},
            {"field": "person.residence_status", "op": "not_in", "value": ["3", "4"]},
        ]
    },
    "tiers": [
        {
            "label": "80-89岁",
            "when": {"field": "person.birth_date", "op": "age_lt", "value": 90},
            "amount": "100",
        },
        {
            "label": "90-99岁",
            "when": {"field": "person.birth_date", "op": "age_lt", "value": 100},
            "amount": "200.50",
        },
        {"label": "100岁以上", "amount": "500"},
    ],
    "effective_from": "2026-01-01",
}


def _age(birth: date, when: date) -> int:
    years = when.year - birth.year
    if (when.month, when.day) < (birth.month, birth.day):
        years -= 1
    return years


def _people(store: Store) -> dict[int, dict]:  # type: ignore[type-arg]
    t = sheet_table("person")
    with store.engine.connect() as conn:
        return {r.entity_id: dict(r._mapping) for r in conn.execute(select(t))}


def _eligible(p: dict) -> bool:  # type: ignore[type-arg]
    return (
        p["merged_into"] is None
        and p["org_code"].startswith(COUNTY)
        and p["birth_date"] is not None
        and _age(p["birth_date"], DAY) >= 80
        and p["death_date"] is None
        and p["residence_status"] not in ("3", "4")
    )


def _amount(p: dict) -> Decimal:  # type: ignore[type-arg]
    a = _age(p["birth_date"], DAY)
    return Decimal("100") if a < 90 else Decimal("200.50") if a < 100 else Decimal("500")


def _latest(store: Store, entity_id: int, key: str):  # type: ignore[no-untyped-def]
    t = table("observation")
    with store.engine.connect() as conn:
        return conn.execute(
            select(t)
            .where(t.c.entity_id == entity_id, t.c.field_key == key)
            .order_by(t.c.valid_from.desc(), t.c.id.desc())
        ).first()


def _approved(store: Store) -> int:
    row = define_rule(store, DEPT, RULE)
    figures = submit_rule(store, DEPT, row.id)
    assert figures["values_villages_asked"] == 0
    assert {i["field"] for i in figures["inputs"]} == {
        "person.birth_date",
        "person.death_date",
        "person.residence_status",
    }
    assert decide_rule(store, REVIEWER, row.id, approve=True, reason="只读一张表") == "approved"
    return row.id


def test_rule_refused_with_place_and_reason(store: Store) -> None:
    seed_small(store, people=50)
    bad = {**RULE, "conditions": {"field": "person.shoe_size", "op": "eq", "value": "42"}}
    with pytest.raises(InvalidInput) as e:
        define_rule(store, DEPT, bad)
    assert e.value.findings[0].column == "conditions"
    assert "person.shoe_size" in e.value.findings[0].message_zh
    words = {**RULE, "conditions": {"field": "person.birth_date", "op": "age_ge", "value": "八十"}}
    with pytest.raises(InvalidInput) as e:
        define_rule(store, DEPT, words)
    assert "整数" in e.value.findings[0].message_zh
    age = {**RULE, "conditions": {"field": "person.age", "op": "ge", "value": "八十"}}
    with pytest.raises(InvalidInput):
        define_rule(store, DEPT, age)
    tier = {
        **RULE,
        "tiers": [{"label": "x", "when": {"field": "person.nope", "op": "is_null"}, "amount": "1"}],
    }
    with pytest.raises(InvalidInput) as e:
        define_rule(store, DEPT, tier)
    assert e.value.findings[0].column == "tiers[0]"
    with pytest.raises(InvalidInput) as e:
        define_rule(store, DEPT, {**RULE, "excludes": ["gaoling_jintie"]})
    assert e.value.findings[0].code == "eligibility.circular"
    with pytest.raises(InvalidInput):
        define_rule(store, DEPT, {**RULE, "tiers": [{"label": "x", "amount": 1.5}]})
    with pytest.raises(AccessDenied):
        define_rule(store, Actor("rs", "department", COUNTY, "human_resources"), RULE)


def test_gate_versions_and_refusals(store: Store) -> None:
    seed_small(store, people=50)
    row = define_rule(store, DEPT, RULE)
    assert row.version == 1 and row.status == "draft"
    with pytest.raises(InvalidInput):  # not approved: cannot run
        run_rule(store, DEPT, "gaoling_jintie", COUNTY, MONTH)
    with pytest.raises(AccessDenied):  # a department cannot decide
        decide_rule(store, DEPT, row.id, approve=True, reason="x")
    submit_rule(store, DEPT, row.id)
    with pytest.raises(InvalidInput):  # a reason is required
        decide_rule(store, REVIEWER, row.id, approve=False, reason=" ")
    assert decide_rule(store, REVIEWER, row.id, approve=False, reason="缺少依据") == "rejected"
    v2 = define_rule(store, DEPT, RULE)
    assert v2.version == 2
    submit_rule(store, DEPT, v2.id)
    decide_rule(store, REVIEWER, v2.id, approve=True, reason="依据：省高龄津贴办法")
    result = run_rule(store, DEPT, "gaoling_jintie", COUNTY, MONTH)
    assert result.version == 2


def test_one_click_lists_match_independent_computation(store: Store) -> None:
    seed_small(store, people=600)
    _approved(store)
    people = _people(store)
    eligible = sorted(i for i, p in people.items() if _eligible(p))
    older = sorted(
        i
        for i, p in people.items()
        if p["birth_date"]
        and _eligible(p) is False
        and p["merged_into"] is None
        and _age(p["birth_date"], DAY) < 80
    )
    assert len(eligible) >= 6, "the seeded county needs some people aged 80+"
    kept_alive, died, conflicted = eligible[0], eligible[1], eligible[2]
    young = older[0]
    # the existing roster: three eligible people and one who is too young (aged out)
    numbers = [people[i]["id_number"] for i in (kept_alive, died, eligible[3], young)]
    n = import_enrolment(
        store,
        DEPT,
        "gaoling_jintie",
        [{"id_number": x, "amount": "100"} for x in numbers],
        since=date(2025, 1, 1),
    )
    assert n == 4
    # public security records a death; a village disagrees with public security on residence
    record_changes(
        store, ADMIN, died, [Change("person.death_date", "2026-10-03")], source="public_security"
    )
    record_changes(
        store, ADMIN, conflicted, [Change("person.residence_status", "4")], source="village"
    )
    people = _people(store)
    with store.engine.connect() as conn:
        ct = table("conflict")
        in_conflict = {
            r.entity_id
            for r in conn.execute(select(ct).where(ct.c.field_key == "person.residence_status"))
        }
    assert conflicted in in_conflict

    buf = io.BytesIO()
    result = run_rule(store, DEPT, "gaoling_jintie", COUNTY, MONTH, fmt="csv", out=buf)
    got = {k: sorted(e.entity_id for e in v) for k, v in result.lists.items()}

    enrolled = {kept_alive, died, eligible[3], young}
    now_eligible = {i for i, p in people.items() if _eligible(p)}
    # cannot tell: a conflict whose sources' values give different answers
    unknown = {i for i in in_conflict if i in now_eligible or i in enrolled}
    assert got["unknown"] == sorted(unknown)
    assert got["new"] == sorted(now_eligible - enrolled - unknown)
    assert got["kept"] == sorted((now_eligible & enrolled) - unknown)
    assert got["dropped"] == sorted(enrolled - now_eligible - unknown)
    assert died in got["dropped"] and young in got["dropped"]
    # amounts by tier, decimal
    for e in result.lists["new"] + result.lists["kept"]:
        assert e.amount == _amount(people[e.entity_id])
        assert isinstance(e.amount, Decimal)
    assert result.amount == sum(
        (_amount(people[i]) for i in got["new"] + got["kept"]), Decimal("0")
    )

    # explanation, value by value, for a sample
    by_id = {e.entity_id: e for v in result.lists.values() for e in v}
    for eid in [kept_alive, died, young, *got["new"][:5]]:
        entry = by_id[eid]
        p = people[eid]
        tests = {t.condition.split(" ")[0]: t for t in entry.tests if t.part == "conditions"}
        birth = tests["出生日期"]
        obs = _latest(store, eid, "person.birth_date")
        assert birth.value == p["birth_date"].isoformat()
        assert birth.source == obs.source
        assert birth.valid_from == obs.valid_from.date().isoformat()
        assert birth.outcome == ("符合" if _age(p["birth_date"], DAY) >= 80 else "不符合")
        death = tests["死亡日期为空"]
        assert death.outcome == ("符合" if p["death_date"] is None else "不符合")
        if p["death_date"] is not None:
            assert death.value == p["death_date"].isoformat()
            assert death.source == "public_security"
        assert entry.id_number == p["id_number"]  # civil affairs sees ID numbers in full
    assert "死亡日期" in by_id[died].reason
    assert "来源不一致" in by_id[conflicted].reason

    # without explanations (a payment system's call): the same lists, tiers, amounts and
    # values read; the paid carry no reasons, the dropped and cannot-tell still do
    plain = run_rule(store, DEPT, "gaoling_jintie", COUNTY, MONTH, explain=False)
    assert {k: sorted(e.entity_id for e in v) for k, v in plain.lists.items()} == got
    assert plain.amount == result.amount and plain.values_read == result.values_read
    full = {e.entity_id: e for v in result.lists.values() for e in v}
    for k, v in plain.lists.items():
        for e in v:
            assert (e.tier, e.amount, e.name, e.id_number) == (
                full[e.entity_id].tier,
                full[e.entity_id].amount,
                full[e.entity_id].name,
                full[e.entity_id].id_number,
            )
            if k in ("new", "kept"):
                assert e.tests == [] and e.reason == ""
            else:
                assert e.reason == full[e.entity_id].reason and e.tests
    assert plain.lists["new"] and plain.lists["dropped"] and plain.lists["unknown"]

    # the roster through the CSV writer
    text = buf.getvalue().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    listed = [r for r in rows if len(r) > 2 and r[1] in ("新增符合条件（主动发现）", "继续享受")]
    assert len(listed) == len(got["new"]) + len(got["kept"])

    # confirming moves the roster; the next run finds nobody new
    outcome = confirm_run(store, DEPT, result.run_id)
    assert outcome == {"enrolled": len(got["new"]), "ended": len(got["dropped"])}
    again = run_rule(store, DEPT, "gaoling_jintie", COUNTY, MONTH)
    assert again.counts()["new"] == 0 and again.counts()["dropped"] == 0
    assert again.counts()["kept"] == len(got["new"]) + len(got["kept"])
    figures = ledger_figures(store, ADMIN)
    assert figures["people_paid"] == len(got["new"]) + len(got["kept"])
    assert figures["amount"] == result.amount


def test_village_sees_only_its_own_and_run_is_audited(store: Store) -> None:
    seed_small(store, people=400)
    _approved(store)
    people = _people(store)
    village = sorted({p["org_code"][:12] for p in people.values() if _eligible(p)})[0]
    actor = Actor("cun", "village", village)
    result = run_rule(store, actor, "gaoling_jintie", village, MONTH)
    expected = sorted(
        i for i, p in people.items() if _eligible(p) and p["org_code"].startswith(village)
    )
    assert sorted(e.entity_id for e in result.lists["new"]) == expected
    assert all(e.id_number.endswith("****") for e in result.lists["new"])  # masked
    with pytest.raises(AccessDenied):
        run_rule(store, actor, "gaoling_jintie", COUNTY, MONTH)
    with pytest.raises(AccessDenied):  # another department's rule
        run_rule(
            store,
            Actor("rs", "department", COUNTY, "human_resources"),
            "gaoling_jintie",
            COUNTY,
            MONTH,
        )
    at = table("audit_event")
    with store.engine.connect() as conn:
        events = [r.action for r in conn.execute(select(at.c.action))]
    assert "eligibility.run" in events and "denied" in events
