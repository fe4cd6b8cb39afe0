"""Tasks through HTTP on both backends: the page and the JSON API save the same way, carry
CSRF, show refused values in place, and refuse another village's task with 403."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from onesheet.domain.access import CLI_ADMIN, Actor
from onesheet.services import tasks
from onesheet.services.users import add_user
from onesheet.web.app import create_app
from tests.integration.helpers import seed_small
from tests.integration.test_tasks import approve, make_spec

PASSWORD = "correct horse 9"
ADMIN = Actor("admin", "admin", None)


@pytest.fixture
def client(store):
    seed_small(store, people=120)
    approve(store, make_spec("W", ["person.phone", "person.education"]))
    listed = tasks.list_tasks(store, ADMIN)
    mine, other = listed[0], listed[1]
    add_user(store, CLI_ADMIN, "cadre", role="village", org_code=mine.org_code, password=PASSWORD)
    with TestClient(create_app(store)) as c:
        page = c.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        c.post("/login", data={"username": "cadre", "password": PASSWORD, "csrf_token": csrf})
        yield c, mine, other


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_page_save_with_errors_in_place_then_success(client):
    c, mine, _ = client
    listing = c.get("/tasks")
    assert listing.status_code == 200 and mine.title in listing.text
    page = c.get(f"/tasks/{mine.id}")
    assert page.status_code == 200 and "保存" in page.text
    names = re.findall(r'name="(v:\d+:person\.phone)"', page.text)
    assert names
    form = {"csrf_token": _csrf(page.text), "version": str(mine.version), "page": "1"}
    bad = c.post(f"/tasks/{mine.id}", data={**form, names[0]: "123"}, follow_redirects=False)
    assert bad.status_code == 400 and "field-error" in bad.text and 'value="123"' in bad.text
    no_csrf = c.post(f"/tasks/{mine.id}", data={**form, "csrf_token": "x", names[0]: "13911112222"})
    assert no_csrf.status_code == 403
    ok = c.post(f"/tasks/{mine.id}", data={**form, names[0]: "13911112222"}, follow_redirects=False)
    assert ok.status_code == 303
    after = c.get(ok.headers["location"])
    assert "已保存 1 项" in after.text and names[0] not in after.text
    stale = c.post(f"/tasks/{mine.id}", data={**form, names[1]: "13911113333"})
    assert stale.status_code == 409


def test_api_reads_fills_and_refuses_other_villages(client):
    c, mine, other = client
    assert [t["id"] for t in c.get("/api/tasks").json()] == [mine.id]
    body = c.get(f"/api/tasks/{mine.id}").json()
    e = body["entities"][0]
    v = e["values"][0]
    good = "13800001111" if v["field"] == "person.phone" else "大学本科"
    payload = {
        "values": [{"entity_id": e["entity_id"], "field": v["field"], "value": good}],
        "expected_version": body["task"]["version"],
    }
    assert c.post(f"/api/tasks/{mine.id}", json=payload).status_code == 403  # no CSRF header
    csrf = _csrf(c.get("/tasks").text)
    done = c.post(f"/api/tasks/{mine.id}", json=payload, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200 and done.json()["filled"] == 1
    assert done.json()["task"]["items_filled"] == 1
    bad = {**payload, "expected_version": done.json()["task"]["version"]}
    bad["values"] = [{"entity_id": e["entity_id"], "field": "person.phone", "value": "12"}]
    refused = c.post(f"/api/tasks/{mine.id}", json=bad, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "person.phone"
    assert c.get(f"/api/tasks/{other.id}").status_code == 403
    assert c.get(f"/tasks/{other.id}").status_code == 403
    other_fill = c.post(
        f"/api/tasks/{other.id}",
        json={**payload, "expected_version": 1},
        headers={"X-CSRF-Token": csrf},
    )
    assert other_fill.status_code == 403
    assert c.get("/api/tasks/999999").status_code == 404
