"""反馈: a village flags a burden and a town follows it to resolution; scope and CSRF hold."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from onesheet.domain.access import Actor
from onesheet.domain.findings import InvalidInput
from onesheet.services.feedback import handle_feedback, list_feedback, submit_feedback
from onesheet.services.users import add_user
from onesheet.web.app import create_app
from tests.integration.helpers import seed_small
from tests.integration.test_web_auth import PASSWORD, _people_by_village

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _login(client: TestClient, username: str) -> str:
    csrf = CSRF.search(client.get("/login").text).group(1)
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf})
    return CSRF.search(client.get("/feedback").text).group(1)


def test_village_flags_a_burden_and_the_town_resolves_it(store):
    seed_small(store, people=200)
    mine, other = list(_people_by_village(store))[:2]
    admin = Actor("root", "admin", None)
    add_user(store, admin, "cadre", role="village", org_code=mine, password=PASSWORD)
    add_user(store, admin, "cadre2", role="village", org_code=other, password=PASSWORD)
    add_user(store, admin, "town", role="town", org_code=mine[:9], password=PASSWORD)
    village = TestClient(create_app(store))
    token = _login(village, "cadre")
    assert village.post("/feedback", data={"kind": "repeats_sheet", "text": "x"}).status_code == 403
    sent = village.post(
        "/feedback",
        data={
            "kind": "repeats_sheet",
            "text": "卫健局又要求填报全村人员身份证号",
            "department": "health",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303
    empty = village.post("/feedback", data={"kind": "other", "text": " ", "csrf_token": token})
    assert empty.status_code == 400 and "请写明反馈内容" in empty.text
    (item,) = village.get("/api/feedback").json()
    assert item["status"] == "open" and item["org_code"] == mine and item["department"] == "health"

    neighbour = TestClient(create_app(store))
    _login(neighbour, "cadre2")
    assert neighbour.get("/api/feedback").json() == []  # another village sees nothing of it

    town = TestClient(create_app(store))
    token = _login(town, "town")
    assert "卫健局又要求" in town.get("/feedback").text
    no_note = town.post(
        f"/feedback/{item['id']}",
        data={"status": "resolved", "resolution": "", "csrf_token": token},
    )
    assert no_note.status_code == 400 and "须写明处理意见" in no_note.text
    done = town.post(
        f"/feedback/{item['id']}",
        data={"status": "resolved", "resolution": "已请卫健局从一张表取数", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    (closed,) = village.get("/api/feedback").json()
    assert closed["status"] == "resolved" and closed["handled_by"] == "town"
    assert closed["resolution"] == "已请卫健局从一张表取数"


def test_a_closed_item_stays_closed_and_stale_handling_is_refused(store):
    seed_small(store, people=120)
    mine = next(iter(_people_by_village(store)))
    cadre = Actor("cadre", "village", mine)
    town = Actor("town", "town", mine[:9])
    item = submit_feedback(store, cadre, kind="outside_gate", text="微信群里临时要求报送表格")
    acknowledged = handle_feedback(store, town, item.id, status="acknowledged", resolution="")
    with pytest.raises(InvalidInput, match="someone else"):
        handle_feedback(
            store, town, item.id, status="resolved", resolution="ok", expected_version=item.version
        )
    handle_feedback(
        store,
        town,
        item.id,
        status="dismissed",
        resolution="属于村级主责事项",
        expected_version=acknowledged.version,
    )
    with pytest.raises(InvalidInput, match="cannot become"):
        handle_feedback(store, town, item.id, status="resolved", resolution="再议")
    assert [i.status for i in list_feedback(store, cadre)] == ["dismissed"]


def test_the_ledger_counts_feedback_in_scope(store):
    from onesheet.services.ledger import ledger_figures

    seed_small(store, people=120)
    mine, other = list(_people_by_village(store))[:2]
    town = Actor("town", "town", mine[:9])
    first = submit_feedback(store, Actor("c1", "village", mine), kind="other", text="一")
    submit_feedback(store, Actor("c1", "village", mine), kind="other", text="二")
    submit_feedback(store, Actor("c2", "village", other), kind="other", text="三")
    handle_feedback(store, town, first.id, status="resolved", resolution="已办")
    mine_only = ledger_figures(store, Actor("v", "town", mine)).to_json()["feedback"]
    assert mine_only["open"] == 1 and mine_only["resolved"] == 1
    county = ledger_figures(store, Actor("adm", "admin", None)).to_json()["feedback"]
    assert county["open"] + county["resolved"] == 3
