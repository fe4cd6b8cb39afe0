"""Findings of an attacker probe against the web layer, each pinned by a test on both databases.

Paging and limits are validated (no ``LIMIT -1``), every state-changing route refuses a
cookie session without its CSRF token, known domain errors and a locked SQLite database give
a clear answer instead of a 500, every answer carries security headers, the session cookie
is ``Secure`` over HTTPS, and ``/docs`` loads nothing from outside the app.
"""

from __future__ import annotations

import re
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from onesheet.domain.access import CLI_ADMIN
from onesheet.services.auth import issue_api_token
from onesheet.services.base import Store
from onesheet.services.users import add_user
from onesheet.store.engine import make_engine
from onesheet.web.app import create_app
from tests.integration.helpers import COUNTY, csrf_of, seed_small, sign_in

DIBAO = Path(__file__).parents[1] / "forms" / "files" / "minzheng_dibao.xlsx"

PASSWORD = "correct horse 9"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
TOO_BIG = str(10**20)  # past any 64-bit id


@pytest.fixture
def county(store):
    seed_small(store, people=120)
    add_user(store, CLI_ADMIN, "adm", role="admin", org_code=COUNTY, password=PASSWORD)
    add_user(
        store,
        CLI_ADMIN,
        "mz",
        role="department",
        org_code=COUNTY,
        password=PASSWORD,
        department="health",
    )
    return store


def _login(client: TestClient, username: str = "adm") -> httpx.Response:
    return sign_in(client, username, PASSWORD)


def _signed_in(store: Store, username: str = "adm", **kw: object) -> tuple[TestClient, str]:
    """A cookie client for ``username`` and its session's CSRF token."""
    client = TestClient(create_app(store), **kw)  # type: ignore[arg-type]
    assert _login(client, username).status_code == 303
    return client, csrf_of(client.get("/feedback").text)


# ---- finding 4: limits and paging ---------------------------------------------------------


def test_list_limits_and_pages_are_validated(county):
    client, _ = _signed_in(county)
    everyone = client.get("/api/people", params={"q": COUNTY, "limit": "-1"})
    assert everyone.status_code == 422, everyone.text[:200]
    assert "limit" in everyone.text
    for bad in ("0", "201", "x"):
        assert client.get("/api/people", params={"q": COUNTY, "limit": bad}).status_code == 422
    few = client.get("/api/people", params={"q": COUNTY, "limit": "3"})
    assert few.status_code == 200 and 1 <= len(few.json()) <= 3
    for url in ("/tasks/1?page=0", "/tasks/1?page=-1", f"/api/tasks/1?page={TOO_BIG}"):
        assert client.get(url).status_code == 422, url
    page = client.get("/tasks/1?page=0")
    assert "page" in page.text and "<html" in page.text  # a page, not a JSON dump


def test_ids_past_the_database_range_are_refused_not_a_500(county):
    client, csrf = _signed_in(county)
    client_ = TestClient(client.app, raise_server_exceptions=False, cookies=client.cookies)
    for url in (
        f"/api/people/{TOO_BIG}",
        f"/people/{TOO_BIG}",
        f"/tasks/{TOO_BIG}",
        f"/api/tasks/{TOO_BIG}",
        "/api/people/0",
    ):
        assert client_.get(url).status_code == 422, url
    got = client_.post(f"/feedback/{TOO_BIG}", data={"status": "resolved", "csrf_token": csrf})
    assert got.status_code == 422
    # versions past the range are refused before they reach the database
    person = client_.get("/api/people", params={"q": COUNTY, "limit": "1"}).json()[0]
    change = {"field": "person.phone", "value": "13911112222", "version": TOO_BIG}
    got = client_.post(f"/people/{person['entity_id']}/values", data={**change, "csrf_token": csrf})
    assert got.status_code in (400, 409), got.status_code  # refused or stale, never a 500
    form = {"status": "resolved", "version": TOO_BIG, "csrf_token": csrf}
    assert client_.post("/feedback/1", data=form).status_code == 422
    # "²" is a digit to str.isdigit() but not to int(): malformed, not a 500
    got = client_.post(f"/people/{person['entity_id']}/values", data={**change, "version": "²"})
    assert got.status_code in (400, 403), got.status_code
    got = client_.post(
        f"/people/{person['entity_id']}/values", data={**change, "version": "²", "csrf_token": csrf}
    )
    assert got.status_code == 400
    got = client_.post(
        "/tasks/1", data={"csrf_token": csrf, "version": "²", "v:²:person.phone": "1"}
    )
    assert got.status_code == 404, got.status_code
    body = {"values": [], "expected_version": int(TOO_BIG)}
    got = client_.post("/api/tasks/1", json=body, headers={"X-CSRF-Token": csrf})
    assert got.status_code == 422


# ---- finding 6: CSRF on every state-changing route -----------------------------------------


def _upload(data: dict[str, str] | None = None):
    body = "姓名,公民身份号码\n张三,\n".encode()
    return {
        "files": {"file": ("a.csv", body, "text/csv")},
        "data": {"department": "health", "dry_run": "true", **(data or {})},
    }


def test_import_over_a_cookie_session_needs_the_csrf_token(county):
    client, csrf = _signed_in(county, "mz")
    refused = client.post("/api/import", **_upload())
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert client.post("/api/import", **_upload({"csrf_token": "wrong"})).status_code == 403
    by_header = client.post("/api/import", headers={"X-CSRF-Token": csrf}, **_upload())
    assert by_header.status_code == 202, by_header.text
    by_field = client.post("/api/import", **_upload({"csrf_token": csrf}))
    assert by_field.status_code == 202, by_field.text
    bearer = TestClient(create_app(county))
    token = issue_api_token(county, CLI_ADMIN, "mz")
    got = bearer.post("/api/import", headers={"Authorization": f"Bearer {token}"}, **_upload())
    assert got.status_code == 202, got.text


def _fill(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: "A" if m.group(1) == "letter" else "1", path)


def _request_body(schema: dict, op: dict) -> dict[str, object]:  # type: ignore[type-arg]
    """A body with every declared field but the CSRF token (files as a tiny CSV)."""
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return {"json": {"values": [], "expected_version": 1}}
    data: dict[str, str] = {}
    files: dict[str, object] = {}
    for media in content.values():
        ref = media["schema"].get("$ref", "")
        model = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else media["schema"]
        for name, prop in model.get("properties", {}).items():
            if name == "csrf_token":
                continue
            if prop.get("format") == "binary" or "contentMediaType" in prop:
                files[name] = ("a.csv", b"a,b\n1,2\n", "text/csv")
            else:
                data[name] = "1"
    return {"data": data, **({"files": files} if files else {})}


def test_every_state_changing_route_refuses_a_cookie_without_the_token(county):
    """Every POST/PUT/PATCH/DELETE the app declares, called by a signed-in administrator
    with a well-formed body but no CSRF token, is refused for the token's sake."""
    client, _ = _signed_in(county)
    schema = client.get("/openapi.json").json()
    checked = []
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if method.upper() not in UNSAFE:
                continue
            kw = _request_body(schema, op)
            got = client.request(method, _fill(path), follow_redirects=False, **kw)  # type: ignore[arg-type]
            assert got.status_code == 403 and "CSRF" in got.text, (method, path, got.text)
            checked.append(path)
    expected = {"/api/import", "/logout", "/feedback", "/api/tasks/{task_id}", "/tasks/{task_id}"}
    assert expected <= set(checked), checked


# ---- finding 6: known failures answer clearly, never a bare 500 ----------------------------


def test_nul_bytes_are_refused_not_a_500(county):
    """PostgreSQL cannot hold a NUL character in text: a %00 is refused input, never a 500."""
    client, csrf = _signed_in(county)
    quiet = TestClient(client.app, raise_server_exceptions=False, cookies=client.cookies)
    for url in ("/forms/a%00b", "/api/people?q=%00", "/sheet?q=a%00", "/api/import/%00"):
        got = quiet.get(url)
        assert got.status_code in (200, 400, 404), (url, got.status_code)  # never a 500
    person = quiet.get("/api/people", params={"q": COUNTY, "limit": "1"}).json()[0]
    form = {"field": "person.name", "value": "张\x00三", "version": "1", "csrf_token": csrf}
    got = quiet.post(f"/people/{person['entity_id']}/values", data=form)
    assert got.status_code == 400, got.status_code


def test_unknown_templates_are_404_not_500(county):
    client, csrf = _signed_in(county)
    quiet = TestClient(client.app, raise_server_exceptions=False, cookies=client.cookies)
    page = quiet.get("/forms/nope")
    assert page.status_code == 404 and "<html" in page.text
    assert "nope" in page.text  # says what was not found
    for url, form in (
        ("/forms/nope/map", {"column": "A", "field_key": "person.name"}),
        ("/forms/nope/submit", {}),
        ("/gate/nope/decide", {"decision": "approve", "reason": "ok"}),
    ):
        got = quiet.post(url, data={**form, "csrf_token": csrf}, follow_redirects=False)
        assert got.status_code == 404, (url, got.status_code)
    report = quiet.get("/api/reports/nope", params={"org": COUNTY})
    assert report.status_code in (400, 404) and report.json()["detail"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_locked_sqlite_database_is_a_503_with_retry_after(county, database_url):
    """While an import holds SQLite's write lock, reads answer from a snapshot (their audit
    events spooled, issue 13) and a change that needs the lock is a clear 503 with
    Retry-After - on a page and on the API - never a traceback."""
    impatient = make_engine(database_url)
    event.listen(
        impatient,
        "connect",
        lambda dbapi, _rec: dbapi.execute("PRAGMA busy_timeout=50"),
    )
    store = Store(impatient, county.dictionary, county.grants)
    client, csrf = _signed_in(store)
    person = client.get("/api/people", params={"q": COUNTY, "limit": "1"}).json()[0]
    change = {"field": "person.phone", "value": "13905720000", "version": "1", "csrf_token": csrf}
    upload = {"file": ("people.csv", "姓名,身份证号\n张三,330523199001011234\n".encode())}
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a long import holds the write lock
    try:
        page = client.get("/sheet", params={"q": "张"})
        api = client.get("/api/people", params={"q": "张"})
        saved = client.post(f"/people/{person['entity_id']}/values", data=change)
        imported = client.post(
            "/api/import",
            files=upload,
            data={"department": "civil_affairs"},
            headers={"X-CSRF-Token": csrf},
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        impatient.dispose()
    assert page.status_code == 200 and "<html" in page.text  # reads do not wait
    assert api.status_code == 200 and isinstance(api.json(), list)
    for got in (saved, imported):
        assert got.status_code == 503, got.text[:300]
        assert got.headers["retry-after"].isdigit()
        assert "系统繁忙，请稍后重试" in got.text and "Traceback" not in got.text
    assert "<html" in saved.text and imported.json()["detail"].startswith("系统繁忙")


# ---- finding 7: headers, cookies, /docs ---------------------------------------------------


def test_every_answer_carries_security_headers(county):
    client, _ = _signed_in(county)
    for url in ("/", "/login", "/sheet", "/api/me", "/healthz", "/nowhere", "/docs"):
        got = client.get(url)
        h = got.headers
        csp = h["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, url
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert h["x-content-type-options"] == "nosniff"
        assert h["x-frame-options"] == "DENY"
        assert h["referrer-policy"] in ("no-referrer", "same-origin")
        assert h["cache-control"] == "no-store", url
    static = client.get("/static/vendor/htmx-2.0.8.min.js")
    assert static.status_code == 200 and static.headers["x-content-type-options"] == "nosniff"
    assert "no-store" not in static.headers.get("cache-control", "")


class _Inline(HTMLParser):
    """Inline scripts, inline style blocks and style attributes of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "style" in a:
            self.inline.append(f"style= on <{tag}>")
        if any(k.startswith("on") for k in a):
            self.inline.append(f"handler on <{tag}>")
        if tag == "style" or (
            tag == "script" and "src" not in a and a.get("type") != "application/json"
        ):
            self._in = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in and data.strip():
            self.inline.append(f"<{self._in}> {data.strip()[:40]}")


def test_pages_need_nothing_the_policy_forbids(county):
    client, csrf = _signed_in(county)
    form = client.post(
        "/forms/upload",
        data={"csrf_token": csrf, "department": "civil_affairs"},
        files={"file": (DIBAO.name, DIBAO.read_bytes(), "application/octet-stream")},
        follow_redirects=False,
    )
    assert form.status_code == 303, form.text[:300]
    person = client.get("/api/people", params={"q": COUNTY, "limit": "1"}).json()[0]
    urls = [
        "/",
        "/login",
        "/sheet?q=张&f=over60",
        f"/people/{person['entity_id']}",
        "/forms",
        form.headers["location"],
        "/gate",
        "/progress",
        "/ledger",
        "/feedback",
        "/tasks",
        "/nowhere",
    ]
    for url in urls:
        parser = _Inline()
        parser.feed(client.get(url).text)
        assert parser.inline == [], (url, parser.inline)


def test_session_cookie_is_secure_over_https_only(county):
    plain = TestClient(create_app(county))
    cookie = _login(plain).headers["set-cookie"]
    assert "onesheet_session=" in cookie and "secure" not in cookie.lower()
    https = TestClient(create_app(county), base_url="https://testserver")
    cookie = _login(https).headers["set-cookie"]
    assert "onesheet_session=" in cookie and "Secure" in cookie
    # behind a TLS-terminating proxy: uvicorn's proxy headers make the scheme https (the
    # client below speaks plain http to the app, so it is handed the Secure cookie itself)
    proxied = TestClient(ProxyHeadersMiddleware(create_app(county), trusted_hosts="*"))
    proxied.headers["X-Forwarded-Proto"] = "https"
    page = proxied.get("/login")
    assert "Secure" in page.headers["set-cookie"]
    login_csrf = page.headers["set-cookie"].split(";")[0]
    got = proxied.post(
        "/login",
        data={"username": "adm", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        headers={"Cookie": login_csrf},
        follow_redirects=False,
    )
    assert got.status_code == 303 and "Secure" in got.headers["set-cookie"]


def test_docs_load_nothing_from_outside_the_app(county):
    client = TestClient(create_app(county))
    docs = client.get("/docs")
    assert docs.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)""", docs.text)
    assert urls and not re.search(r"https?://", docs.text), docs.text
    for url in urls:
        assert url.startswith("/"), url
        got = client.get(url)
        assert got.status_code == 200, url
        if not url.startswith("/static/vendor/"):  # our own start-up script: no URLs either
            assert not re.search(r"https?://", got.text), url
    assert client.get("/redoc").status_code == 404
    assert client.get("/openapi.json").status_code == 200
