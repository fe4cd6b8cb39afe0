"""No route answers 500 to an unknown, foreign or malformed id (issue 15, item 1).

Every route the app serves with a path parameter (found from the app, as the access-policy
test finds them, so a new route is crawled without editing this file) is called by a signed-in
administrator with each parameter replaced by an id that does not exist, by ids of the wrong
shape (letters, negative, past 64 bits, a Unicode digit, a NUL, a path), and — where the
parameter names a person — by another county's person. POSTs carry a valid CSRF token and a
body with every declared field, so they reach the handler. The answer must be a client error
(or a success), never a 5xx; an ``/api/`` error is JSON whose ``code``, when given, is in the
findings catalogue.

Foreign ids of every other kind (tasks, templates, queue entries, rules …) are asked by
``test_access_policy.py``: each row with ids runs an ``own``, an ``other`` (another area's
real object) and a ``missing`` (unknown id) variant for every role.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from onesheet.domain.access import CLI_ADMIN
from onesheet.domain.findings import catalogue
from onesheet.services.base import Store
from onesheet.services.seed import seed_county
from onesheet.services.users import add_user
from onesheet.web.app import create_app
from tests.contract.test_access_policy import app_routes
from tests.integration.helpers import COUNTY, seed_small

PASSWORD = "correct horse 9"
OTHER_COUNTY = "330522"
UNKNOWN = {"int": "987654321", "str": "no-such-thing-0000"}
MALFORMED = ("abc", "-1", "9" * 40, "%C2%B2", "%00", "..%2F..%2Fetc", "%E4%B8%AD")
PARAM = re.compile(r"\{(\w+)\}")


@pytest.fixture
def signed_in(store: Store) -> tuple[TestClient, str, int]:
    """An administrator's cookie client, its CSRF token, and a person of another county."""
    seed_small(store, people=30)
    seed_county(store, CLI_ADMIN, OTHER_COUNTY, people=10, seed=3)
    add_user(store, CLI_ADMIN, "adm", role="admin", org_code=COUNTY, password=PASSWORD)
    client = TestClient(create_app(store), raise_server_exceptions=False)
    page = client.get("/login")
    login = {"username": "adm", "password": PASSWORD, "csrf_token": _csrf(page.text)}
    assert client.post("/login", data=login, follow_redirects=False).status_code == 303
    csrf = _csrf(client.get("/feedback").text)
    with store.engine.connect() as conn:
        foreign = _other_county_person(conn)
    return client, csrf, foreign


def _other_county_person(conn: Any) -> int:
    from sqlalchemy import text

    return conn.execute(
        text("SELECT min(entity_id) FROM sheet_person WHERE county_code = :c"),
        {"c": OTHER_COUNTY},
    ).scalar_one()


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def _bodies(schema: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(method, path) → request keywords with every declared body field set to "1"."""
    out = {}
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            content = op.get("requestBody", {}).get("content", {})
            kw: dict[str, Any] = {}
            if "application/json" in content:
                kw["json"] = {"values": [], "expected_version": 1}
            for media in (v for k, v in content.items() if k != "application/json"):
                ref = media["schema"].get("$ref", "")
                schemas = schema["components"]["schemas"]
                model = schemas[ref.rsplit("/", 1)[-1]] if ref else media["schema"]
                data, files = {}, {}
                for name, prop in model.get("properties", {}).items():
                    if prop.get("format") == "binary" or "contentMediaType" in prop:
                        files[name] = ("a.csv", b"a,b\n1,2\n", "text/csv")
                    else:
                        data[name] = "1"
                kw["data"] = data
                if files:
                    kw["files"] = files
            out[(method.upper(), path)] = kw
    return out


def _values(name: str, foreign: int) -> list[tuple[str, str]]:
    kind = "int" if name.endswith("_id") and name not in ("template_id", "job_id") else "str"
    values = [("unknown", UNKNOWN[kind]), *(("malformed", v) for v in MALFORMED)]
    if name == "entity_id":
        values.append(("foreign", str(foreign)))
    return values


def test_no_route_answers_5xx_to_a_bad_id(signed_in: tuple[TestClient, str, int]) -> None:
    client, csrf, foreign = signed_in
    bodies = _bodies(client.get("/openapi.json").json())
    routes = [(m, p) for m, p in sorted(app_routes(client.app)) if PARAM.search(p)]  # type: ignore[arg-type]
    assert len(routes) >= 30, routes
    failures, asked = [], 0
    for method, path in routes:
        for name in PARAM.findall(path):
            for kind, value in _values(name, foreign):
                url = PARAM.sub(lambda m, n=name, v=value: v if m.group(1) == n else "1", path)
                kw = dict(bodies.get((method, path), {}))
                if method == "POST":
                    if "json" in kw:
                        kw["headers"] = {"X-CSRF-Token": csrf}
                    else:
                        kw["data"] = {**kw.get("data", {}), "csrf_token": csrf}
                got = client.request(method, url, follow_redirects=False, **kw)
                asked += 1
                problem = _problem(url, got)
                if problem:
                    failures.append(f"{method} {url} ({kind} {name}): {problem}")
    assert not failures, "\n".join(failures[:20])
    assert asked >= 8 * len(routes)


def _problem(url: str, got: Any) -> str | None:
    """What is wrong with an answer to a bad id, or None."""
    if got.status_code >= 500:
        return f"{got.status_code} {got.text[:160]!r}"
    if "Traceback" in got.text:
        return "a traceback in the answer"
    if url.startswith("/api/") and got.status_code >= 400:
        try:
            body = got.json()
        except ValueError:
            return f"{got.status_code} is not JSON"
        code = body.get("code") if isinstance(body, dict) else None
        if code is not None and code not in catalogue():
            return f"uncatalogued code {code}"
        if not isinstance(body, dict) or "detail" not in body:
            return f"{got.status_code} without a detail"
    return None
