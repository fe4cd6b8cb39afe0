"""The village's calendar, flags of unapproved demands, and the ledger that counts it all.

Each test runs on SQLite and on PostgreSQL. The ledger's figures are checked against counts
computed here from what the test registered and decided.
"""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert

from onesheet.domain.access import AccessDenied, Actor
from onesheet.services import demands
from onesheet.services.base import Store
from onesheet.services.feedback import handle_feedback, list_feedback
from onesheet.store.schema import table
from tests.integration.test_demands import (
    CADRE,
    CIVIL,
    COUNTY,
    HEALTH,
    REVIEWER,
    TOWN_A,
    VILLAGES_A,
    VILLAGES_B,
    make_county,
    register,
)

TODAY = date(2026, 12, 9)  # a Wednesday: the week is 12-07 .. 12-13
TOWN_USER = Actor("town1", "town", TOWN_A)
OTHER_CADRE = Actor("cadre2", "village", VILLAGES_B[0])


@pytest.fixture
def county(store: Store) -> Store:
    make_county(store)
    return store


def test_the_calendar_shows_this_weeks_and_months_approved_demands(county: Store):
    weekly = register(
        county, kind="meeting", title="周例会", frequency="weekly", minutes=60,
        starts_on=date(2026, 11, 2), topics=["例会"],
    )  # fmt: skip
    demands.approve_demand(county, REVIEWER, weekly.id, reason="每周一次")
    insp = register(county, title="卫生室检查", starts_on=date(2026, 12, 22))
    demands.approve_demand(county, REVIEWER, insp.id, reason="协助事项")
    pending = register(county, kind="meeting", title="未审会议", starts_on=date(2026, 12, 10))
    refused = register(county, kind="sign", title="卫生挂牌", starts_on=date(2026, 12, 10))
    demands.reject_demand(county, REVIEWER, refused.id, reason="不挂牌")
    with county.transaction() as conn:  # a report due from an approved template's task
        conn.execute(
            insert(table("collection_task")).values(
                template_id="T-ELDER",
                county_code=COUNTY,
                org_code=VILLAGES_A[0],
                period="2026-12",
                status="open",
                items_total=3,
                items_filled=0,
                created_at=datetime(2026, 12, 1),
                version=1,
            )
        )
    cal = demands.village_calendar(county, CADRE, today=TODAY)
    assert cal.week == (date(2026, 12, 7), date(2026, 12, 13))
    week = [(e.day, e.title) for e in cal.this_week]
    assert week == [(date(2026, 12, 7), "周例会")]
    month = [(e.day, e.title) for e in cal.this_month]
    assert month == [
        (date(2026, 12, 7), "周例会"),
        (date(2026, 12, 14), "周例会"),
        (date(2026, 12, 21), "周例会"),
        (date(2026, 12, 22), "卫生室检查"),
        (date(2026, 12, 28), "周例会"),
        (date(2026, 12, 31), "T-ELDER"),
    ]
    assert cal.month_minutes == 4 * 60 + 90
    assert pending.id not in {e.demand_id for e in cal.this_month}
    # a village of another town sees none of them, and no one sees outside their scope
    assert demands.village_calendar(county, OTHER_CADRE, today=TODAY).this_month == []
    with pytest.raises(AccessDenied):
        demands.village_calendar(county, CADRE, org_code=VILLAGES_A[1], today=TODAY)


def test_a_joint_inspection_shows_once_with_both_departments(county: Store):
    a = register(county, title="卫生室检查", topics=["慢病随访"])
    demands.approve_demand(county, REVIEWER, a.id, reason="协助事项")
    b = register(county, actor=CIVIL, title="养老检查", topics=["慢病随访"], matter="XZ002")
    demands.merge_demand(county, REVIEWER, b.id, reason="合并为联合检查")
    cal = demands.village_calendar(county, CADRE, today=TODAY)
    [entry] = cal.this_week
    assert entry.joint and entry.departments == ["health", "civil_affairs"]
    assert entry.day == date(2026, 12, 8) and entry.demand_id == a.id


def test_a_flag_on_an_approved_demand_explains_it_and_others_reach_the_office(county: Store):
    a = register(county, kind="meeting", title="创卫会", topics=["创卫"])
    demands.approve_demand(county, REVIEWER, a.id, reason="县委部署，一次性")
    explained = demands.flag_demand(county, CADRE, demand_id=a.id, text="又要开会")
    assert not explained.filed and explained.feedback_id is None
    assert "rev1" in explained.message_zh and "县委部署，一次性" in explained.message_zh
    assert "已于" in explained.message_zh and "准入" in explained.message_zh
    # a joined demand explains through the joint one
    b = register(county, actor=CIVIL, kind="meeting", title="民政会", topics=["创卫"])
    demands.merge_demand(county, REVIEWER, b.id, reason="并入创卫会", into=a.id)
    joined = demands.flag_demand(county, CADRE, demand_id=b.id, text="")
    assert not joined.filed and "县委部署" in joined.message_zh
    # a registered but unapproved demand, and one never registered, are filed
    p = register(county, kind="inspection", title="未审检查")
    filed = demands.flag_demand(county, CADRE, demand_id=p.id, text="已经通知我们迎检")
    assert filed.filed and filed.feedback_id is not None
    free = demands.flag_demand(
        county,
        CADRE,
        kind="work_group",
        department="civil_affairs",
        text="要求加入新的工作群每日打卡",
    )
    assert free.filed
    items = {i.id: i for i in list_feedback(county, REVIEWER)}
    assert items[filed.feedback_id].kind == "outside_gate"
    assert items[filed.feedback_id].text.startswith("【未准入事项】督查检查考核 #")
    assert items[free.feedback_id].department == "civil_affairs"  # type: ignore[index]
    assert "工作群" in items[free.feedback_id].text  # type: ignore[index]
    with pytest.raises(AccessDenied):
        demands.flag_demand(county, REVIEWER, text="x")


def test_the_ledger_counts_every_demand_against_counts_computed_here(county: Store, monkeypatch):
    monkeypatch.setattr(demands, "utcnow", lambda: datetime(2026, 12, 9, 2, 0))
    # December: registrations and decisions of every kind, by two departments
    plan = [
        # (actor, kind, title, villages, frequency, minutes, decision, extra)
        (HEALTH, "inspection", "卫生室检查", [TOWN_A], "once", 90, "approved", {}),
        (CIVIL, "inspection", "养老检查", [VILLAGES_A[0]], "once", 60, "merged", {}),
        (HEALTH, "meeting", "周例会", [VILLAGES_A[0], VILLAGES_A[1]], "weekly", 30, "approved", {}),
        (HEALTH, "app", "健康小程序", [TOWN_A], "monthly", 20, "rejected",
         {"data_fields": ["person.name", "person.id_number"]}),
        (CIVIL, "work_group", "民政群", [TOWN_A], "once", 10, "approved", {}),
        (HEALTH, "work_group", "卫健群", [TOWN_A], "once", 10, "merged", {}),
        (CIVIL, "sign", "养老挂牌", VILLAGES_B, "once", 30, "rejected", {}),
        (HEALTH, "letter", "安全责任状", [TOWN_A], "yearly", 15, "rejected", {}),
        (CIVIL, "letter", "救助承诺书", VILLAGES_B, "yearly", 15, "approved", {}),
        (HEALTH, "meeting", "待审会议", [TOWN_A], "once", 60, None, {}),
    ]  # fmt: skip
    made = []
    for actor, kind, title, villages, freq, minutes, decision, extra in plan:
        d = register(
            county, actor=actor, kind=kind, title=title, villages=villages, frequency=freq,
            minutes=minutes, starts_on=date(2026, 12, 7), topics=["共同事项"], **extra,
        )  # fmt: skip
        made.append((d, decision))
    for d, decision in made:
        if decision == "approved":
            demands.approve_demand(county, REVIEWER, d.id, reason="准入")
        elif decision == "rejected":
            demands.reject_demand(county, REVIEWER, d.id, reason="不予准入")
        elif decision == "merged":
            demands.merge_demand(county, REVIEWER, d.id, reason="合并")
    f1 = demands.flag_demand(county, CADRE, kind="meeting", department="health", text="临时开会")
    demands.flag_demand(county, CADRE, kind="app", department="health", text="又一个APP")
    handle_feedback(county, REVIEWER, f1.feedback_id, status="resolved", resolution="已叫停")  # type: ignore[arg-type]
    demands.flag_demand(county, CADRE, demand_id=made[0][0].id, text="检查")  # explained

    month = ("2026-12", "2026-12")
    led = demands.demand_ledger(county, REVIEWER, first=month[0], last=month[1], today=TODAY)
    total = led["totals"]

    # expected, computed from the plan
    reached = {TOWN_A: 3, VILLAGES_A[0]: 1}
    n_villages = lambda vs: sum(reached.get(v, 1) for v in vs)  # noqa: E731
    registered: dict[str, int] = {}
    approved: dict[str, int] = {}
    for _, kind, _, _, _, _, decision, _ in plan:
        registered[kind] = registered.get(kind, 0) + 1
        if decision == "approved":
            approved[kind] = approved.get(kind, 0) + 1
    mondays = [7, 14, 21, 28]
    hours = 0.0
    for _, _kind, _, villages, freq, minutes, decision, _ in plan:
        if decision != "approved":
            continue
        times = len(mondays) if freq == "weekly" else 1
        hours += times * minutes * n_villages(villages) / 60
    assert {k: v for k, v in total["registered"].items() if v} == registered
    assert {k: v for k, v in total["approved"].items() if v} == approved
    assert total["hours_asked"] == round(hours, 2)  # 4.5 + 4 + 0.5 + 0.5 = 9.5
    assert total["hours_asked"] == 9.5
    assert total["inspections_merged"] == 1
    assert total["apps_cut"] == 1 and total["groups_cut"] == 1
    assert total["signs_refused"] == 1 and total["letters_refused"] == 1
    assert total["flags"] == 2 and total["flags_resolved"] == 1
    cut = led["cut_by_kind"]
    assert cut["letter"]["label_zh"] == "责任状 −50%"
    assert cut["meeting"]["label_zh"] == "会议 −50%"  # 2 registered, 1 approved
    assert cut["inspection"]["cut_share"] == 0.5

    # per department: civil registered 4 (inspection, group, sign, letter)
    civil = led["by_department"]["civil_affairs"]
    assert sum(civil["registered"].values()) == 4
    assert civil["signs_refused"] == 1 and civil["letters_refused"] == 0
    health = led["by_department"]["health"]
    assert health["flags"] == 2 and health["flags_resolved"] == 1
    assert health["hours_asked"] == 4.5 + 4.0  # its inspection and weekly meeting
    # per village and town: village A0 gets the inspection (1.5 h) + 4 meetings (2 h) +
    # the group (10 min)
    v0 = led["by_village"][VILLAGES_A[0]]
    assert v0["hours_asked"] == round(1.5 + 2 + 10 / 60, 2)
    assert v0["flags"] == 2
    town_b = led["by_town"]["330523101"]
    assert town_b["hours_asked"] == round(2 * 15 / 60, 2)  # the approved letter, 2 villages
    assert town_b["signs_refused"] == 1
    assert sum(led["by_month"]["2026-12"]["registered"].values()) == len(plan)

    # scope: a department sees its own, a village its own, a town its subtree
    own = demands.demand_ledger(county, HEALTH, first=month[0], last=month[1])
    assert list(own["by_department"]) == ["health"]
    assert sum(own["totals"]["registered"].values()) == 6
    mine = demands.demand_ledger(county, CADRE, first=month[0], last=month[1])
    assert mine["totals"]["hours_asked"] == v0["hours_asked"]
    assert list(mine["by_village"]) == [VILLAGES_A[0]]
    town = demands.demand_ledger(county, TOWN_USER, first=month[0], last=month[1])
    assert set(town["by_town"]) == {TOWN_A}

    # XLSX: the same figures
    data = demands.demand_ledger_xlsx(county, REVIEWER, first=month[0], last=month[1])
    wb = load_workbook(io.BytesIO(data), read_only=True)
    assert wb.sheetnames == ["合计", "按月", "按部门", "按乡镇", "按村"]
    rows = list(wb["按月"].iter_rows(values_only=True))
    heading, dec = rows[0], rows[1]
    assert dec[0] == "2026-12"
    assert dec[heading.index("占用村级工时（小时）")] == 9.5
    assert dec[heading.index("合并检查")] == 1
    assert dec[heading.index("登记·会议")] == 2
