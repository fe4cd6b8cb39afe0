"""Every demand on a village passes the Gate: registration, review rules, logged decisions.

Each test runs on SQLite and on PostgreSQL (the ``store`` fixture).
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from onesheet.domain.access import AccessDenied, Actor
from onesheet.domain.findings import InvalidInput
from onesheet.domain.orgunits import OrgUnit
from onesheet.services import demands
from onesheet.services.base import Store
from onesheet.store.schema import table

COUNTY = "330523"
TOWN_A, TOWN_B = "330523100", "330523101"
VILLAGES_A = ["330523100001", "330523100002", "330523100003"]
VILLAGES_B = ["330523101001", "330523101002"]

HEALTH = Actor("health1", "department", COUNTY, department="health")
CIVIL = Actor("civil1", "department", COUNTY, department="civil_affairs")
REVIEWER = Actor("rev1", "reviewer", COUNTY)
CADRE = Actor("cadre1", "village", VILLAGES_A[0])

BASIS = "《基本公共卫生服务规范》"


def make_county(store: Store) -> None:
    from onesheet.store import orgs

    units = [OrgUnit(COUNTY, "测试县", "county", None, COUNTY, "县")]
    for town, villages in ((TOWN_A, VILLAGES_A), (TOWN_B, VILLAGES_B)):
        units.append(OrgUnit(town, f"镇{town[-1]}", "town", COUNTY, COUNTY, "镇"))
        units += [OrgUnit(v, f"村{v[-3:]}", "village", town, COUNTY, "村") for v in villages]
    with store.transaction() as conn:
        orgs.insert_orgs(conn, units)


def register(store: Store, actor: Actor = HEALTH, **over: object) -> demands.Demand:
    args: dict[str, object] = {
        "kind": "inspection",
        "title": "村卫生室季度检查",
        "villages": [TOWN_A],
        "frequency": "once",
        "minutes": 90,
        "basis": BASIS,
        "matter": "XZ001",
        "starts_on": date(2026, 12, 8),
        "topics": ["卫生室"],
    }
    args.update(over)
    return demands.register_demand(store, actor, **args)  # type: ignore[arg-type]


@pytest.fixture
def county(store: Store) -> Store:
    make_county(store)
    return store


# ------------------------------------------------------------- item 1: registration


def test_a_registered_demand_reaches_the_villages_of_its_subtrees(county: Store):
    d = register(county, villages=[TOWN_A, VILLAGES_B[0]])
    assert d.status == "submitted" and d.department == "health"
    detail = demands.show_demand(county, REVIEWER, d.id)
    assert detail.villages == 4
    r = demands.review_demand(county, REVIEWER, d.id)
    assert r.villages == 4 and r.per_year == 1 and r.hours_per_year == 6.0  # 4 × 90 min


@pytest.mark.parametrize(
    ("missing", "over"),
    [
        ("villages", {"villages": []}),
        ("frequency", {"frequency": ""}),
        ("basis", {"basis": "  "}),
    ],
)
def test_a_demand_without_villages_frequency_or_basis_is_refused_naming_it(
    county: Store, missing: str, over: dict[str, object]
):
    with pytest.raises(InvalidInput) as exc:
        register(county, **over)
    findings = exc.value.findings
    assert [f.column for f in findings] == [missing]
    label = {"villages": "涉及的村", "frequency": "频次", "basis": "依据"}[missing]
    assert label in findings[0].message_zh
    with county.transaction() as conn:
        assert conn.execute(select(table("demand"))).first() is None


def test_unknown_villages_and_other_departments_are_refused(county: Store):
    with pytest.raises(InvalidInput) as exc:
        register(county, villages=["330523199001"])
    assert exc.value.findings[0].code == "demand.villages_unknown"
    with pytest.raises(AccessDenied):
        register(county, department="civil_affairs")
    with pytest.raises(AccessDenied):
        register(county, actor=CADRE)


# ------------------------------------------------------------- item 2: the same Gate


def test_a_negative_list_matter_is_refused_and_cannot_be_approved(county: Store):
    d = register(county, kind="letter", title="安全生产执法责任状", matter="FM001", topics=[])
    r = demands.review_demand(county, REVIEWER, d.id)
    assert r.suggestion == "reject" and r.matter.code == "refused"
    with pytest.raises(InvalidInput) as exc:
        demands.approve_demand(county, REVIEWER, d.id, reason="上级要求")
    assert exc.value.findings[0].code == "gate.negative_list"
    detail = demands.reject_demand(county, REVIEWER, d.id, reason="负面清单事项，不得下派到村")
    assert detail.demand.status == "rejected"
    [decision] = detail.decisions
    assert decision.decision == "rejected" and decision.actor == "rev1"
    assert decision.review["matter"]["verdict"] == "refused"  # type: ignore[index]


def test_an_unlisted_matter_needs_the_reviewers_reason(county: Store):
    d = register(county, kind="meeting", title="创卫动员会", matter=None, topics=["创卫"])
    r = demands.review_demand(county, REVIEWER, d.id)
    assert r.suggestion == "needs_reason"
    with pytest.raises(InvalidInput) as exc:
        demands.approve_demand(county, REVIEWER, d.id, reason=" ")
    assert exc.value.findings[0].code == "gate.reason_missing"
    detail = demands.approve_demand(county, REVIEWER, d.id, reason="县委部署，一次性")
    assert detail.demand.status == "approved"
    assert detail.decisions[0].review["suggestion"] == "needs_reason"  # type: ignore[index]


def test_two_inspections_of_the_same_villages_in_one_month_become_one_joint(county: Store):
    a = register(county, title="卫生室检查", topics=["卫生室", "慢病随访"])
    demands.approve_demand(county, REVIEWER, a.id, reason="协助事项，每年一次")
    b = register(
        county,
        actor=CIVIL,
        title="养老服务检查",
        villages=[VILLAGES_A[1]],
        starts_on=date(2026, 12, 20),
        topics=["慢病随访", "养老"],
        matter="XZ002",
    )
    r = demands.review_demand(county, REVIEWER, b.id)
    assert r.suggestion == "joint" and r.merge_target == a.id
    assert r.overlaps[0].shared == ["慢病随访"] and r.overlaps[0].months == ["2026-12"]
    # another month, or other villages, or other matters: no overlap
    c = register(county, actor=CIVIL, title="次月检查", starts_on=date(2027, 1, 5))
    assert demands.review_demand(county, REVIEWER, c.id).overlaps == []
    e = register(county, actor=CIVIL, title="他村检查", villages=[TOWN_B])
    assert demands.review_demand(county, REVIEWER, e.id).overlaps == []
    f = register(county, actor=CIVIL, title="他事检查", topics=["道路"], matter="XZ003")
    assert demands.review_demand(county, REVIEWER, f.id).overlaps == []

    detail = demands.merge_demand(county, REVIEWER, b.id, reason="同月同村，合并为联合检查")
    assert detail.demand.status == "merged" and detail.target is not None
    assert detail.target.id == a.id
    joint = demands.show_demand(county, REVIEWER, a.id)
    assert joint.departments == ["health", "civil_affairs"]  # both departments' records kept
    assert [j.id for j in joint.joined] == [b.id]
    assert joint.joined[0].title == "养老服务检查" and joint.joined[0].topics == (
        "慢病随访",
        "养老",
    )
    with county.transaction() as conn:
        t = table("demand_decision")
        rows = conn.execute(select(t).where(t.c.demand_id == b.id)).all()
    assert len(rows) == 1 and rows[0].decision == "merged" and rows[0].target_id == a.id
    logged = json.loads(rows[0].review)
    assert logged["suggestion"] == "joint" and logged["burden"]["villages"] == 1


def test_an_app_whose_data_the_sheet_holds_is_refused_with_the_reason(county: Store):
    d = register(
        county,
        kind="app",
        title="健康村居小程序",
        frequency="monthly",
        minutes=30,
        data_fields=["person.name", "person.id_number", "person.phone"],
        topics=[],
    )
    r = demands.review_demand(county, REVIEWER, d.id)
    assert r.suggestion == "reject"
    assert r.held_fields == ["person.id_number", "person.name", "person.phone"]
    assert any("一表通已有" in z and "公民身份号码" in z for z in r.reasons_zh)
    with pytest.raises(InvalidInput) as exc:
        demands.approve_demand(county, REVIEWER, d.id, reason="部门急需")
    assert exc.value.findings[0].code == "demand.app_duplicates_sheet"
    # an app collecting what the sheet lacks is not refused for it
    other = register(
        county, kind="app", title="巡河打卡", data_fields=["river.patrol_photo"], topics=[]
    )
    assert demands.review_demand(county, REVIEWER, other.id).suggestion == "approve"


def test_a_work_group_duplicating_an_approved_one_is_merged(county: Store):
    g1 = register(county, kind="work_group", title="村医工作群", frequency="once", topics=["卫生"])
    demands.approve_demand(county, REVIEWER, g1.id, reason="保留一个工作群")
    g2 = register(
        county, actor=CIVIL, kind="work_group", title="民政村医群", topics=["卫生"], minutes=20
    )
    r = demands.review_demand(county, REVIEWER, g2.id)
    assert r.suggestion == "merge" and r.merge_target == g1.id
    detail = demands.merge_demand(county, REVIEWER, g2.id, reason="与村医工作群重复，并入")
    assert detail.demand.merged_into == g1.id
    assert demands.show_demand(county, REVIEWER, g1.id).departments == ["health", "civil_affairs"]
    # a merge into another kind, a closed demand or itself is refused
    m = register(county, kind="meeting", title="会", topics=["卫生"])
    with pytest.raises(InvalidInput):
        demands.merge_demand(county, REVIEWER, m.id, reason="x", into=g1.id)
    with pytest.raises(InvalidInput):
        demands.merge_demand(county, REVIEWER, m.id, reason="x", into=m.id)
    # decided once only
    with pytest.raises(InvalidInput) as exc:
        demands.approve_demand(county, REVIEWER, g2.id, reason="再次")
    assert exc.value.findings[0].code == "demand.not_submitted"


def test_only_reviewers_decide_and_departments_see_their_own(county: Store):
    d = register(county)
    with pytest.raises(AccessDenied):
        demands.approve_demand(county, HEALTH, d.id, reason="自批")
    assert [x.id for x in demands.list_demands(county, HEALTH)] == [d.id]
    assert demands.list_demands(county, CIVIL) == []
    with pytest.raises(demands.DemandNotFound):
        demands.review_demand(county, CIVIL, d.id)
