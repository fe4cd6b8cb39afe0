"""Signing in, sessions, CSRF, lock-out, API tokens and scope through the HTTP layer.

FastAPI's TestClient drives the real app over the real store on both databases.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from onesheet.domain.access import CLI_ADMIN
from onesheet.services.auth import MAX_FAILURES, issue_api_token
from onesheet.services.users import add_user
from onesheet.store.schema import table
from onesheet.web.app import create_app
from tests.integration.helpers import csrf_of, seed_small, sign_in

PASSWORD = "correct horse 9"


def _people_by_village(store) -> dict[str, list[int]]:
    t = table("sheet_person")
    out: dict[str, list[int]] = {}
    with store.engine.connect() as conn:
        for r in conn.execute(select(t.c.entity_id, t.c.org_code).order_by(t.c.entity_id)):
            out.setdefault(r.org_code[:12], []).append(r.entity_id)
    return out


@pytest.fixture
def county(store):
    seed_small(store, people=300)
    villages = _people_by_village(store)
    mine, other = list(villages)[:2]
    add_user(store, CLI_ADMIN, "cadre", role="village", org_code=mine, password=PASSWORD)
    add_user(
        store,
        CLI_ADMIN,
        "mz",
        role="department",
        org_code=mine[:6],
        password=PASSWORD,
        department="civil_affairs",
    )
    return store, villages[mine], villages[other]


def _login(client: TestClient, username: str, password: str = PASSWORD) -> httpx.Response:
    return sign_in(client, username, password, "/sheet")


def test_login_sets_an_httponly_session_and_pages_need_it(county):
    store, mine, _ = county
    client = TestClient(create_app(store))
    assert client.get("/sheet", follow_redirects=False).status_code == 303
    assert client.get("/api/me").status_code == 401
    response = _login(client, "cadre")
    assert response.status_code == 303 and response.headers["location"] == "/sheet"
    cookie = response.headers["set-cookie"]
    assert "onesheet_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/api/me").json()["role"] == "village"
    page = client.get(f"/people/{mine[0]}")
    assert page.status_code == 200 and "公民身份号码" in page.text and "公安局" in page.text
    masked = client.get(f"/api/people/{mine[0]}").json()["values"]["person.id_number"]["value"]
    assert "*" in masked and masked in page.text
    stored = [r.token_hash for r in _rows(store, "web_session")]
    assert client.cookies["onesheet_session"] not in stored  # only its digest is kept


def test_login_without_the_form_token_is_refused(county):
    store, _, _ = county
    client = TestClient(create_app(store))
    client.get("/login")
    response = client.post("/login", data={"username": "cadre", "password": PASSWORD})
    assert response.status_code == 403
    assert client.get("/api/me").status_code == 401


def test_logout_needs_the_csrf_token_and_ends_the_session(county):
    store, _, _ = county
    client = TestClient(create_app(store))
    _login(client, "cadre")
    assert client.post("/logout", data={}).status_code == 403
    assert client.get("/api/me").status_code == 200
    page = client.get("/sheet").text
    csrf = csrf_of(page)
    assert (
        client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    )
    client.cookies.clear()
    assert client.get("/api/me").status_code == 401


def test_repeated_failures_lock_the_account_even_for_the_right_password(county):
    store, _, _ = county
    client = TestClient(create_app(store))
    for _ in range(MAX_FAILURES):
        assert _login(client, "cadre", "wrong password").status_code == 401
    locked = _login(client, "cadre")
    assert locked.status_code == 401 and "锁定" in locked.text
    assert client.get("/api/me").status_code == 401


def test_village_user_gets_403_for_another_villages_person_by_page_and_api(county):
    store, mine, theirs = county
    client = TestClient(create_app(store))
    _login(client, "cadre")
    assert client.get(f"/api/people/{mine[0]}").status_code == 200
    assert client.get(f"/api/people/{theirs[0]}").status_code == 403
    page = client.get(f"/people/{theirs[0]}")
    assert page.status_code == 403 and "无权访问" in page.text


def test_api_token_acts_as_its_user_and_is_stored_hashed(county):
    store, mine, theirs = county
    token = issue_api_token(store, CLI_ADMIN, "mz", "民政系统")
    client = TestClient(create_app(store))
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/me", headers=headers).json()
    assert me == {
        "username": "mz",
        "role": "department",
        "org": mine and me["org"],
        "dept": "civil_affairs",
    }
    assert client.get(f"/api/people/{theirs[0]}", headers=headers).status_code == 200
    assert client.get("/api/me", headers={"Authorization": "Bearer os_nope"}).status_code == 401
    assert token not in [r.token_hash for r in _rows(store, "api_token")]


def test_search_masks_id_numbers_for_a_village_cadre(county):
    store, mine, _ = county
    client = TestClient(create_app(store))
    _login(client, "cadre")
    card = client.get(f"/api/people/{mine[0]}").json()
    name = card["values"]["person.name"]["value"]
    hits = client.get("/api/people", params={"q": name}).json()
    assert hits and all("*" in (h["id_number"] or "*") for h in hits)
    assert {h["entity_id"] for h in hits} <= set(mine)


def _rows(store, name):
    with store.engine.connect() as conn:
        return list(conn.execute(select(table(name))))
