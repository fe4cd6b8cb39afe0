"""``GET /api/reports/{id}`` through the real app (TestClient), on both databases."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from fastapi.testclient import TestClient

from onesheet.domain.access import CLI_ADMIN
from onesheet.services.auth import issue_api_token
from onesheet.services.users import add_user
from onesheet.web.app import create_app
from tests.integration.helpers import seed_small
from tests.reports.support import add_template, children, sheet_rows


@pytest.fixture
def api(store):  # type: ignore[no-untyped-def]
    seed_small(store)
    add_template(store, "people_roster")
    add_template(store, "population_aggregate")
    town = children(store, "330523")[0]
    mine, other = children(store, town)[:2]
    add_user(store, CLI_ADMIN, "cadre", role="village", org_code=mine, password="pw pw pw 12")
    token = issue_api_token(store, CLI_ADMIN, "cadre")
    app = create_app(store)
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {token}"
    return client, store, mine, other


def test_xlsx_csv_json_in_scope(api) -> None:  # type: ignore[no-untyped-def]
    client, store, mine, _ = api
    people = [p for p in sheet_rows(store, "person") if p["org_code"].startswith(mine)]
    got = client.get(f"/api/reports/people_roster?org={mine}&date=2026-11-30&format=xlsx")
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert got.headers["x-onesheet-rows"] == str(len(people))
    ws = openpyxl.load_workbook(io.BytesIO(got.content)).worksheets[0]
    names = [ws.cell(r, 2).value for r in range(5, 5 + len(people))]
    assert sorted(names) == sorted(p["name"] for p in people)
    assert all("*" in ws.cell(r, 5).value for r in range(5, 5 + len(people)))  # masked

    got = client.get(f"/api/reports/people_roster?org={mine}&format=csv&encoding=gb18030")
    assert got.status_code == 200
    lines = list(csv.reader(io.StringIO(got.content.decode("gb18030"))))
    assert len([r for r in lines[4:] if r and r[0].isdigit()]) == len(people)

    got = client.get(f"/api/reports/population_stats?org={mine}&format=json")
    assert got.status_code == 200
    doc = json.loads(got.content)
    assert doc["rows"][-1][1] == "合计" and doc["rows"][-1][2] == len(people)


def test_refused_outside_scope_and_without_token(api) -> None:  # type: ignore[no-untyped-def]
    client, _, _, other = api
    got = client.get(f"/api/reports/people_roster?org={other}&format=xlsx")
    assert got.status_code == 403
    assert client.get("/api/reports/nope?org=330523&format=csv").status_code in (404, 403)
    anonymous = TestClient(client.app)
    assert anonymous.get(f"/api/reports/people_roster?org={other}").status_code == 401


def test_a_cookie_download_started_from_another_site_is_refused(api) -> None:  # type: ignore[no-untyped-def]
    """A link on another site must not make a signed-in browser run (and log) a report."""
    client, _, mine, _ = api
    browser = TestClient(client.app)
    page = browser.get("/login")
    csrf = page.cookies.get("onesheet_login_csrf") or browser.cookies.get("onesheet_login_csrf")
    signed = browser.post(
        "/login",
        data={"username": "cadre", "password": "pw pw pw 12", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    url = f"/api/reports/people_roster?org={mine}&format=csv"
    assert browser.get(url, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert browser.get(url, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert client.get(url, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 200  # Bearer
