"""Refusals a web route makes itself are audited as ``denied``, like the services' own.

Services audit every refusal they raise (services/base.py); a 403 decided by the route -
a role check before any service (``POST /api/import`` by a village cadre), a check after an
audited read (a field the cadre may not change on a person's card) - used to leave no trace,
so "who tried to reach person X" could not be answered. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from onesheet.domain.access import CLI_ADMIN
from onesheet.services import auth
from onesheet.services.audit import who_read
from onesheet.web.app import create_app
from tests.integration.test_audit_and_tokens import ADMIN, _events, _login, county  # noqa: F401


def _client(store, username: str) -> TestClient:  # type: ignore[no-untyped-def]
    token = auth.issue_api_token(store, CLI_ADMIN, username, "test")
    return TestClient(create_app(store), headers={"Authorization": f"Bearer {token}"})


def test_a_route_refusal_on_a_persons_card_is_audited_with_the_person(county):  # noqa: F811
    store, mine, _, _ = county
    client = _client(store, "cadre")
    before = len(_events(store, "denied"))
    r = client.post(
        f"/people/{mine[0]}/values",
        data={"field": "person.merged_into", "value": "1", "version": "1"},
    )
    assert r.status_code == 403
    denied = _events(store, "denied")[before:]
    assert [(e["actor"], e["role"]) for e in denied] == [("cadre", "village")]
    assert f"route=POST /people/{mine[0]}/values" in denied[0]["detail"]
    assert "person.merged_into" in denied[0]["detail"]  # the reason the route gave
    assert denied[0]["entity_ids"] == str(mine[0])
    trail = [(a.actor, a.action) for a in who_read(store, ADMIN, mine[0])]
    assert trail[0] == ("cadre", "denied") and ("cadre", "sheet.read") in trail


def test_a_role_refused_before_any_service_is_audited(county):  # noqa: F811
    store, *_ = county
    client = _client(store, "cadre")
    r = client.post(
        "/api/import",
        files={"file": ("people.csv", "姓名,身份证号\n张三,330523199001011234\n".encode())},
        data={"department": "civil_affairs"},
    )
    assert r.status_code == 403
    denied = _events(store, "denied")
    assert len(denied) == 1 and denied[0]["actor"] == "cadre"
    assert "route=POST /api/import" in denied[0]["detail"]
    assert denied[0]["entity_ids"] == ""


def test_a_service_refusal_through_a_route_is_audited_once(county):  # noqa: F811
    store, _, theirs, _ = county
    client = _client(store, "cadre")
    assert client.get(f"/api/people/{theirs[0]}").status_code == 403
    denied = _events(store, "denied")
    assert len(denied) == 1  # the service's event; the route does not write a second
    assert "service=sheet_read_entity" in denied[0]["detail"]
    assert "route=" not in denied[0]["detail"]


def test_a_change_without_its_csrf_token_is_audited_with_the_person(county):  # noqa: F811
    """A signed-in browser's change without the session's token may be forged by another
    site: refused, and the attempt is audited with who, where and the person."""
    store, mine, _, _ = county
    client = TestClient(create_app(store))
    _login(client, "cadre")
    before = len(_events(store, "denied"))
    r = client.post(
        f"/people/{mine[0]}/values",
        data={"field": "person.phone", "value": "13905721234", "version": "1"},
    )
    assert r.status_code == 403 and "表单已过期" in r.text
    denied = _events(store, "denied")[before:]
    assert [(e["actor"], e["role"]) for e in denied] == [("cadre", "village")]
    assert f"route=POST /people/{mine[0]}/values" in denied[0]["detail"]
    assert "CSRF" in denied[0]["detail"]
    assert denied[0]["entity_ids"] == str(mine[0])
