"""``/api/fields`` on both backends: the catalogue lists built-in and county fields; a data
steward confirms a new field over the API (a contradicted type is refused with the form's
values); a department may read but not decide."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from onesheet.domain.access import CLI_ADMIN, Actor
from onesheet.services import forms, gate
from onesheet.services.auth import issue_api_token
from onesheet.services.users import add_user
from onesheet.web import api_fields
from onesheet.web.app import create_app
from tests.forms.forms_county_fields import FORMS, xlsx
from tests.integration.helpers import COUNTY, seed_small

PASSWORD = "pw pw pw 12"


@pytest.fixture
def api(store):  # type: ignore[no-untyped-def]
    seed_small(store, people=40)
    # a reviewer holds fields.manage too (``users.ROLE_LEVELS`` has no steward entry yet)
    add_user(store, CLI_ADMIN, "steward", role="reviewer", org_code=COUNTY, password=PASSWORD)
    add_user(
        store, CLI_ADMIN, "mz", role="department", org_code=COUNTY, password=PASSWORD,
        department="civil_affairs",
    )  # fmt: skip
    app = create_app(store)
    if not any(getattr(r, "path", "").startswith("/api/fields") for r in app.routes):
        app.include_router(api_fields.router)  # until web/app.py includes it
    clients = {}
    for name in ("steward", "mz"):
        c = TestClient(app)
        c.headers["Authorization"] = f"Bearer {issue_api_token(store, CLI_ADMIN, name)}"
        clients[name] = c
    return clients, store


def test_steward_confirms_over_the_api_and_the_catalogue_shows_it(api):
    clients, store = api
    clerk = Actor("mz", "department", COUNTY, "civil_affairs")
    form = FORMS[0]
    tid = forms.import_form(store, clerk, xlsx(form), department="civil_affairs").template.id
    got = clients["steward"].get(f"/api/fields/proposals/{tid}")
    assert got.status_code == 200
    by_heading = {p["heading"]: p for p in got.json()}
    assert by_heading["供养方式"]["proposal"]["codes"] == ["集中", "分散"]
    bad = clients["steward"].post(
        "/api/fields/person.x_gyje/confirm", json={"template_id": tid, "value_type": "date"}
    )
    assert bad.status_code == 400 and "1250" in bad.json()["detail"]
    denied = clients["mz"].post("/api/fields/person.x_gyfs/confirm", json={"template_id": tid})
    assert denied.status_code == 403
    for p in by_heading.values():
        ok = clients["steward"].post(
            f"/api/fields/{p['field']}/confirm", json={"template_id": tid, "reason": "按样例"}
        )
        assert ok.status_code == 200, ok.text
    forms.submit(store, clerk, tid)
    gate.approve(store, Actor("rev", "reviewer", COUNTY), tid, reason="清单内")
    found = clients["mz"].get("/api/fields", params={"q": "供养"}).json()
    county = {e["key"]: e for e in found if e["county_code"]}
    assert county["person.x_gyfs"]["status"] == "active"
    assert county["person.x_gyfs"]["templates"] == [tid]
    assert county["person.x_gyje"]["unit"] == "元"
    everything = clients["mz"].get("/api/fields").json()
    assert any(e["key"] == "person.name" and e["status"] == "builtin" for e in everything)
    assert clients["steward"].get("/api/fields/merge-proposals").status_code == 200
    gone = clients["steward"].post("/api/fields/person.x_gyje/deprecate", json={"reason": "并表"})
    assert gone.status_code == 200 and gone.json()["status"] == "deprecated"
