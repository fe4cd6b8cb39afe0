"""Every disclosure of a run's people is audited where it happens, naming exactly them.

A run decides and stores its listed people inside the database and shows only its figures;
its people are read from the stored items when something shows them. Each such read — the
run's lists, a page of one list, the run page, the API's run, a roster download — writes an
audit event whose ``audit_entity`` rows are exactly the people it returned: no one shown
goes unaudited, and no one is named who was not shown. The run itself names nobody unless
it prints the roster, which shows everyone.
"""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from onesheet.domain.access import CLI_ADMIN, AccessDenied, Actor
from onesheet.services.auth import issue_api_token
from onesheet.services.base import Store
from onesheet.services.eligibility import (
    LISTS,
    decide_rule,
    define_rule,
    import_enrolment,
    read_run,
    run_rule,
    submit_rule,
)
from onesheet.services.users import add_user
from onesheet.store.schema import table
from onesheet.web.app import create_app
from tests.integration.helpers import COUNTY, seed_small
from tests.integration.test_eligibility import (
    DAY,
    DEPT,
    MONTH,
    REVIEWER,
    RULE,
    _age,
    _amount,
    _approved,
    _eligible,
    _people,
)

RULE_KEY = "gaoling_jintie"
FIELDS = {"person.name", "person.id_number", "person.birth_date", "person.death_date"}


def _events(store: Store, action: str) -> list[tuple[dict, list[int]]]:  # type: ignore[type-arg]
    """Each ``action`` event in order, with the entities its ``audit_entity`` rows name."""
    a, ae = table("audit_event"), table("audit_entity")
    with store.engine.connect() as conn:
        events = [
            dict(r._mapping)
            for r in conn.execute(select(a).where(a.c.action == action).order_by(a.c.id))
        ]
        out = []
        for e in events:
            ids = conn.execute(select(ae.c.entity_id).where(ae.c.event_id == e["id"])).scalars()
            out.append((e, sorted(ids)))
    return out


def _ids(lists) -> list[int]:  # type: ignore[no-untyped-def]
    return sorted(e.entity_id for k in LISTS for e in lists[k])


def test_run_names_nobody_and_each_read_names_exactly_whom_it_returns(store: Store) -> None:
    seed_small(store, people=500)
    _approved(store)
    result = run_rule(store, DEPT, RULE_KEY, COUNTY, MONTH)
    assert result.counts()["new"] >= 6, "the seeded county needs people aged 80+"
    (run, named), *_ = _events(store, "eligibility.run")
    # the run shows its figures only: it names nobody, and says so
    assert named == [] and run["entity_count"] == 0
    assert f"run={result.run_id}" in run["detail"] and "shown=0" in run["detail"]
    assert f"new={result.counts()['new']}" in run["detail"]
    assert _events(store, "eligibility.read") == []

    # a page of one list: exactly the three people it returns
    page = result.page("new", 2, 3)
    assert len(page) == 3
    reads = _events(store, "eligibility.read")
    assert len(reads) == 1
    event, named = reads[0]
    assert named == sorted(e.entity_id for e in page) and event["entity_count"] == 3
    assert set(event["fields"].split(",")) >= FIELDS
    assert f"run={result.run_id}" in event["detail"] and "list=new" in event["detail"]

    # every list: exactly everyone listed, read once
    lists = result.lists
    assert {k: len(v) for k, v in lists.items()} == result.counts()
    assert [e.entity_id for e in lists["new"][2:5]] == [e.entity_id for e in page]
    reads = _events(store, "eligibility.read")
    assert len(reads) == 2 and reads[1][1] == _ids(lists)
    assert reads[1][0]["entity_count"] == sum(result.counts().values())
    assert result.lists is lists and len(_events(store, "eligibility.read")) == 2

    # the roster prints everyone: the run's own event names everyone on it
    out = io.BytesIO()
    roster = run_rule(store, DEPT, RULE_KEY, COUNTY, MONTH, fmt="csv", out=out)
    (event, named) = _events(store, "eligibility.run")[-1]
    assert named == _ids(roster.lists) and event["entity_count"] == len(named) > 0
    assert "format=csv" in event["detail"]
    text = out.getvalue().decode("utf-8-sig")
    assert all(e.name in text for e in roster.lists["new"] if e.name)
    assert len(_events(store, "eligibility.read")) == 2  # nothing read after the run


def test_village_page_reads_only_its_own_masked_and_audited(store: Store) -> None:
    seed_small(store, people=400)
    _approved(store)
    whole = run_rule(store, DEPT, RULE_KEY, COUNTY, MONTH)
    village = sorted({e.org_code[:12] for e in whole.lists["new"]})[0]
    cadre = Actor("cun", "village", village)
    mine = run_rule(store, cadre, RULE_KEY, village, MONTH)
    page = mine.page("new", 0, 100)
    assert page and all(e.org_code.startswith(village) for e in page)
    assert all(e.id_number.endswith("****") for e in page)  # masked for a village
    event, named = _events(store, "eligibility.read")[-1]
    assert event["actor"] == "cun" and named == sorted(e.entity_id for e in page)
    # a run is read as the actor who ran it sees it: nobody else reads it this way
    reads = len(_events(store, "eligibility.read"))
    with pytest.raises(AccessDenied):
        read_run(store, Actor("cun2", "village", village), mine, "new", 0, 10)
    assert len(_events(store, "eligibility.read")) == reads
    assert _events(store, "denied")[-1][0]["actor"] == "cun2"


def _client(store: Store, username: str) -> TestClient:
    client = TestClient(create_app(store))
    client.headers["Authorization"] = f"Bearer {issue_api_token(store, CLI_ADMIN, username)}"
    return client


def test_api_and_run_page_audit_exactly_the_people_they_return(store: Store) -> None:
    seed_small(store, people=400)
    _approved(store)
    add_user(store, CLI_ADMIN, "mz", role="department", org_code=COUNTY,
             password="pw pw pw 12", department="civil_affairs")  # fmt: skip
    mz = _client(store, "mz")
    params = {"org": COUNTY, "month": MONTH}
    body = mz.get(f"/api/eligibility/run/{RULE_KEY}", params=params).json()
    returned = sorted(e["entity_id"] for k in LISTS for e in body["lists"][k])
    assert returned and len(returned) == sum(body["counts"].values())
    event, named = _events(store, "eligibility.read")[-1]
    assert named == returned and f"run={body['run_id']}" in event["detail"]

    # a page of one list: only those people come back, and only they are named
    paged = mz.get(
        f"/api/eligibility/run/{RULE_KEY}",
        params={**params, "list": "new", "offset": 1, "limit": 2},
    ).json()
    assert list(paged["lists"]) == ["new"] and paged["counts"] == body["counts"]
    assert paged["lists"]["new"] == body["lists"]["new"][1:3]
    event, named = _events(store, "eligibility.read")[-1]
    assert named == sorted(e["entity_id"] for e in paged["lists"]["new"])
    assert f"run={paged['run_id']}" in event["detail"] and "list=new offset=1" in event["detail"]
    bad = mz.get(f"/api/eligibility/run/{RULE_KEY}", params={**params, "list": "all"})
    assert bad.status_code in (400, 422)

    page = mz.get("/eligibility/run", params={"rule": RULE_KEY, **params})
    assert page.status_code == 200, page.text
    run_id = int(re.search(r'data-run-id="(\d+)"', page.text).group(1))  # type: ignore[union-attr]
    shown = sorted(int(i) for i in re.findall(r'data-entity-id="(\d+)"', page.text))
    event, named = _events(store, "eligibility.read")[-1]
    assert shown and named == shown and f"run={run_id}" in event["detail"]
    assert event["actor"] == "mz"


# ----------------------------------------- the people judged one by one, list by list
def _approve(store: Store, spec: dict) -> None:  # type: ignore[type-arg]
    row = define_rule(store, DEPT, spec)
    submit_rule(store, DEPT, row.id)
    decide_rule(store, REVIEWER, row.id, approve=True, reason="测试")


def _listed(result) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    return {k: sorted(e.entity_id for e in v) for k, v in result.lists.items()}


def test_excluded_tierless_and_stale_rules_match_independent_computation(store: Store) -> None:
    """The people the deciding statement's answer alone does not settle — paid by a benefit
    the rule excludes, in no tier, every one of a rule with staleness limits — are judged
    one by one; each list still equals plain Python over the sheet."""
    seed_small(store, people=600)
    _approved(store)
    people = _people(store)
    eligible = sorted(i for i, p in people.items() if _eligible(p))
    assert len(eligible) >= 8, "the seeded county needs people aged 80+"
    other = eligible[:2]  # already paid by 高龄津贴
    import_enrolment(
        store, DEPT, RULE_KEY, [{"id_number": people[i]["id_number"]} for i in other],
        since=date(2025, 1, 1),
    )  # fmt: skip
    empty = {"new": [], "kept": [], "dropped": [], "unknown": []}

    _approve(store, {**RULE, "key": "excluding", "excludes": [RULE_KEY]})
    got = _listed(run_rule(store, DEPT, "excluding", COUNTY, MONTH))
    assert got == {**empty, "new": sorted(set(eligible) - set(other))}

    # one tier, 80-89: the older ones are in no tier, so nothing is paid them
    young = [i for i in eligible if _age(people[i]["birth_date"], DAY) < 90]
    assert young and len(young) < len(eligible), "the seed needs people aged 90+ too"
    _approve(store, {**RULE, "key": "tier_80s", "tiers": RULE["tiers"][:1]})
    result = run_rule(store, DEPT, "tier_80s", COUNTY, MONTH)
    assert _listed(result) == {**empty, "new": young}
    assert result.amount == Decimal("100") * len(young)
    assert {e.tier for e in result.lists["new"]} == {"80-89岁"}

    # two tiers under one label: each person's amount is still their tier's
    tiers = [{**RULE["tiers"][0], "label": "高龄"}, {**RULE["tiers"][1], "label": "高龄"}]
    _approve(store, {**RULE, "key": "one_label", "tiers": [*tiers, RULE["tiers"][2]]})
    result = run_rule(store, DEPT, "one_label", COUNTY, MONTH)
    assert _listed(result) == {**empty, "new": eligible}
    assert result.amount == sum((_amount(people[i]) for i in eligible), Decimal("0"))

    # staleness limits nobody exceeds: every one judged from the log, the same lists
    _approve(
        store,
        {**RULE, "key": "stale_limits", "stale_after_days": {"person.residence_status": 36500}},
    )
    result = run_rule(store, DEPT, "stale_limits", COUNTY, MONTH)
    assert _listed(result) == {**empty, "new": eligible}
    assert result.amount == sum((_amount(people[i]) for i in eligible), Decimal("0"))
    assert all(e.reason for e in result.lists["new"])  # judged in the run: explained there
