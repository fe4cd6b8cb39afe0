"""The eligibility and proof routes through the real app (router included here, as
``web/app.py`` will): define → submit → approve → run (JSON, XLSX), ask a proof, verify it
without signing in, and see a changed byte refused."""

from __future__ import annotations

import html
import io
import re
from urllib.parse import unquote

import openpyxl
import segno
from fastapi.testclient import TestClient
from sqlalchemy import select

from onesheet.domain.access import CLI_ADMIN
from onesheet.services.auth import issue_api_token
from onesheet.services.users import add_user
from onesheet.store.schema import sheet_table
from onesheet.web import routes_eligibility
from onesheet.web.app import create_app
from tests.integration.helpers import COUNTY, seed_small
from tests.integration.test_eligibility import RULE


def _client(store, username: str) -> TestClient:  # type: ignore[no-untyped-def]
    app = create_app(store)
    if not any(getattr(r, "path", "") == "/api/proofs/keys" for r in app.routes):
        app.include_router(routes_eligibility.router)
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {issue_api_token(store, CLI_ADMIN, username)}"
    return client


def test_rule_through_the_gate_and_roster_download(store) -> None:  # type: ignore[no-untyped-def]
    seed_small(store, people=300)
    pw = "pw pw pw 12"
    add_user(
        store,
        CLI_ADMIN,
        "mz",
        role="department",
        org_code=COUNTY,
        password=pw,
        department="civil_affairs",
    )
    add_user(store, CLI_ADMIN, "rv", role="reviewer", org_code=COUNTY, password=pw)
    mz, rv = _client(store, "mz"), _client(store, "rv")
    bad = mz.post(
        "/api/eligibility/rules",
        json={
            **RULE,
            "conditions": {"field": "person.birth_date", "op": "age_ge", "value": "八十"},
        },
    )
    assert bad.status_code == 400
    rule = mz.post("/api/eligibility/rules", json=RULE).json()
    assert (
        mz.post(f"/api/eligibility/rules/{rule['id']}/submit").json()["values_villages_asked"] == 0
    )
    assert rv.post(
        f"/api/eligibility/rules/{rule['id']}/decide",
        json={"approve": True, "reason": "只读一张表"},
    ).json() == {"status": "approved"}
    got = mz.get("/api/eligibility/run/gaoling_jintie", params={"org": COUNTY, "month": "2026-11"})
    assert got.status_code == 200
    body = got.json()
    assert body["counts"]["new"] == len(body["lists"]["new"]) > 0
    assert body["lists"]["new"][0]["tests"][1]["source"] == "public_security"
    xlsx = mz.get(
        "/api/eligibility/run/gaoling_jintie",
        params={"org": COUNTY, "month": "2026-11", "format": "xlsx"},
    )
    assert xlsx.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    cells = [c for row in ws.iter_rows(values_only=True) for c in row if c]
    assert "高龄津贴发放名册（2026-11）" in cells
    assert sum(1 for c in cells if c == "新增符合条件（主动发现）") == body["counts"]["new"]

    t = sheet_table("person")
    with store.engine.connect() as conn:
        number = conn.execute(select(t.c.id_number).where(t.c.death_date.is_(None))).scalar()
    p = mz.post(
        "/api/proofs",
        json={
            "kind": "alive",
            "matter": "养老金资格认证",
            "id_number": number,
            "params": {"as_of": "2026-11-01"},
        },
    )
    assert p.status_code == 200, p.text
    proof = p.json()
    anon = TestClient(mz.app)
    ok = anon.post(
        "/api/proofs/verify",
        json={"canonical": proof["canonical"], "signature": proof["signature"]},
    )
    assert ok.json()["valid"] is True
    changed = proof["canonical"].replace('"answer":"yes"', '"answer":"no"')
    assert (
        anon.post(
            "/api/proofs/verify", json={"canonical": changed, "signature": proof["signature"]}
        ).json()["valid"]
        is False
    )
    page = anon.get(f"/proofs/verify/{proof['serial']}")
    assert page.status_code == 200 and "签名有效" in page.text
    _has_qr_of(page.text, proof["verify_url"])
    assert proof["verify_url"].endswith(f"/proofs/verify/{proof['serial']}")
    assert anon.get("/api/proofs/keys").json()[proof["key_id"]]


def _has_qr_of(html_text: str, url: str) -> None:
    """The printable page shows the verification URL and an inline SVG QR code of exactly that
    URL (regenerated here with segno and compared), as an <img> — no inline script or style."""
    imgs = re.findall(r'<img src="([^"]+)"[^>]*data-verify-url="([^"]+)"', html_text)
    assert len(imgs) == 1, html_text
    src, shown = (html.unescape(x) for x in imgs[0])
    assert shown == url and url in html.unescape(html_text)
    assert src == segno.make(url, error="m").svg_data_uri(scale=4, border=2)
    svg = unquote(src.split(",", 1)[1])
    assert svg.startswith("<svg") and "<path" in svg
    other = segno.make(url + "x", error="m").svg_data_uri(scale=4, border=2)
    assert src != other  # the picture depends on the URL it carries
    assert "<script>" not in html_text and " style=" not in html_text


def test_define_page_refuses_a_bad_rule_with_place_and_reason(store) -> None:  # type: ignore[no-untyped-def]
    """The define form: 年龄 ≥ "八十" and an unknown field are refused on the page (400, the
    form kept as typed, nothing stored); a good rule is stored as a draft."""
    seed_small(store, people=50)
    add_user(store, CLI_ADMIN, "mz", role="department", org_code=COUNTY,
             password="pw pw pw 12", department="civil_affairs")  # fmt: skip
    mz = _client(store, "mz")
    form = {
        "benefit": "高龄津贴", "key": "gaoling_page", "effective_from": "2026-01-01",
        "cond_field_0": "person.birth_date", "cond_op_0": "age_ge", "cond_value_0": "八十",
        "cond_field_1": "person.no_such_field", "cond_op_1": "is_null",
        "tier_label_0": "80岁以上", "tier_amount_0": "100.50",
    }  # fmt: skip
    bad = mz.post("/eligibility/rules", data=form, follow_redirects=False)
    assert bad.status_code == 400
    text = html.unescape(bad.text)
    assert "八十" in text and "person.no_such_field" in text and "Traceback" not in text
    assert 'value="gaoling_page"' in text  # the form comes back as typed
    assert not any(r["key"] == "gaoling_page" for r in mz.get("/api/eligibility/rules").json())
    form.update(cond_value_0="80", cond_field_1="person.death_date")
    ok = mz.post("/eligibility/rules", data=form, follow_redirects=False)
    assert ok.status_code == 303, ok.text
    stored = [r for r in mz.get("/api/eligibility/rules").json() if r["key"] == "gaoling_page"]
    assert len(stored) == 1 and stored[0]["status"] == "draft"
    spec = stored[0]["spec"]
    death = spec["conditions"]["and"][1]
    assert (death["field"], death["op"]) == ("person.death_date", "is_null")
    assert death.get("value") is None
    assert spec["tiers"][0]["amount"] == "100.50"
