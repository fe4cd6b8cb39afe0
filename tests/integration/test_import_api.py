"""``POST /api/import`` + ``GET /api/import/{job}`` through the real app, on both databases."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from onesheet.domain.access import CLI_ADMIN
from onesheet.services.auth import issue_api_token
from onesheet.services.users import add_user
from onesheet.store import link_store
from onesheet.web.app import create_app
from tests.integration.helpers import COUNTY, log_rows, seed_small

PW = "pw pw pw 12"


def _client(store, username: str) -> TestClient:  # type: ignore[no-untyped-def]
    app = create_app(store)
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {issue_api_token(store, CLI_ADMIN, username)}"
    return client


def _wait(client: TestClient, url: str) -> dict:  # type: ignore[type-arg]
    for _ in range(300):
        got = client.get(url)
        assert got.status_code == 200, got.text
        if got.json()["status"] in ("done", "failed"):
            return got.json()  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError("import job did not finish")


@pytest.fixture
def people(store):  # type: ignore[no-untyped-def]
    seed_small(store, people=80)
    for name, role, org, dept in (
        ("health_sys", "department", COUNTY, "health"),
        ("other", "department", COUNTY, "health"),
        ("village", "village", COUNTY + "001030", None),  # 阳光社区 of the seeded county
    ):
        add_user(store, CLI_ADMIN, name, role=role, org_code=org, department=dept, password=PW)
    with store.engine.connect() as conn:
        return link_store.sheet_people(conn, COUNTY)


def test_upload_returns_a_job_whose_summary_arrives(store, people) -> None:  # type: ignore[no-untyped-def]
    client = _client(store, "health_sys")
    p = people[0]
    body = f"姓名,公民身份号码,联系电话\n{p['name']},{p['id_number']},13911112222\n某某,,x\n"
    files = {"file": ("卫健.csv", body.encode("gbk"), "text/csv")}
    got = client.post("/api/import", files=files, data={"department": "health"})
    assert got.status_code == 202, got.text
    job = _wait(client, got.json()["url"])
    assert job["status"] == "done", job
    s = job["summary"]
    assert (s["rows_read"], s["linked"], s["rejected"]) == (2, 1, 1)
    assert s["encoding"] == "gb18030" and s["findings"][0]["column"] == "C"
    assert job["stage"] == "write" and job["done"] == job["total"]
    # someone else's job does not exist for them
    assert _client(store, "other").get(got.json()["url"]).status_code == 404


def test_refusals_are_immediate_or_reported_by_the_job(store, people) -> None:  # type: ignore[no-untyped-def]
    before = log_rows(store)
    files = {"file": ("a.csv", "姓名,xyz奇怪列\n张三,a\n".encode(), "text/csv")}
    village = _client(store, "village")
    got = village.post("/api/import", files=files, data={"department": "health"})
    assert got.status_code == 403  # no data.import for village staff
    client = _client(store, "health_sys")
    got = client.post("/api/import", files=files, data={"department": "civil_affairs"})
    job = _wait(client, got.json()["url"])
    assert job["status"] == "failed" and "本部门" in job["error"]["detail"]
    got = client.post("/api/import", files=files, data={"department": "health"})
    job = _wait(client, got.json()["url"])
    assert job["status"] == "failed" and job["error"]["findings"][0]["column"] == "B"
    assert log_rows(store) == before
    got = client.post(
        "/api/import", files=files, data={"department": "health", "mapping": "B=skip"}
    )
    assert _wait(client, got.json()["url"])["status"] == "done"
    assert client.get("/api/import/nope").status_code == 404


def test_the_job_reports_methods_and_refused_id_numbers(store, people) -> None:  # type: ignore[no-untyped-def]
    client = _client(store, "health_sys")
    p = people[1]
    body = (
        "姓名,公民身份号码,联系电话\n"
        f"{p['name']},{p['id_number']},13911113333\n"
        "无号者,,13911114444\n"  # no key: queued, never a new person
        "错号者,33052319900101123,13911115555\n"  # an invalid number: a finding, kept as typed
    )
    files = {"file": ("卫健.csv", body.encode("gbk"), "text/csv")}
    got = client.post("/api/import", files=files, data={"department": "health"})
    job = _wait(client, got.json()["url"])
    assert job["status"] == "done", job
    s = job["summary"]
    assert s["methods"] == {"key": 1, "repaired": 0, "model": 0, "queued": 2, "new": 0}
    assert (s["created"], s["queued"], s["rejected"]) == (0, 2, 0)
    (invalid,) = [f for f in s["findings"] if f["code"] == "id.invalid"]
    assert invalid["row"] == 4 and invalid["column"] == "B"
