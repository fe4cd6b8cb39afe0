"""A village cadre signs in on a phone, finds a person, sees masked values with sources,
and is refused another village's person."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.web.conftest import WEB_PASSWORD, sign_in

SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}


def _login(page, base: str, username: str, password: str = WEB_PASSWORD) -> None:
    sign_in(page, base, username, password)


def _two_people(base: str) -> tuple[dict, dict]:
    """One person of the cadre's village and one of another village (via the town user)."""
    with httpx.Client(base_url=base) as client:
        page = client.get("/login").text
        csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
        client.post(
            "/login", data={"username": "town1", "password": WEB_PASSWORD, "csrf_token": csrf}
        )
        me = client.get("/api/me").json()
        hits = []
        for surname in "王李张刘陈杨黄赵吴周":
            hits += client.get("/api/people", params={"q": surname, "limit": 200}).json()
    cadre_village = me["org"]  # town code; the cadre's village is inside it
    mine = [h for h in hits if h["org_code"].startswith(cadre_village)]
    village = sorted({h["org_code"][:12] for h in mine})[0]
    own = next(h for h in mine if h["org_code"].startswith(village))
    other = next(h for h in mine if not h["org_code"].startswith(village))
    return own, other


def test_cadre_signs_in_searches_and_reads_a_card_on_a_phone(served_county, browser):
    own, other = _two_people(served_county)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=PHONE)
    page.goto(served_county + "/login")
    assert page.locator("h2").inner_text() == "登录"
    page.screenshot(path=str(SCREENSHOTS / "login-phone.png"), full_page=True)
    _login(page, served_county, "cadre1", "wrong-password")
    assert "用户名或密码错误" in page.locator(".error").inner_text()
    _login(page, served_county, "cadre1")
    page.goto(served_county + "/sheet")
    page.fill("input[name=q]", own["name"])
    with page.expect_navigation():
        page.click("main button[type=submit]")
    rows = page.locator("tbody tr")
    assert rows.count() >= 1
    first = rows.first.inner_text()
    assert own["name"] in first and "*" in first  # the ID number is masked for a cadre
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(SCREENSHOTS / "sheet-phone.png"), full_page=True)
    page.goto(f"{served_county}/people/{own['entity_id']}")
    table = page.locator("table").first.inner_text()
    assert "公民身份号码" in table and "公安局" in table and "*" in table
    page.screenshot(path=str(SCREENSHOTS / "person-phone.png"), full_page=True)
    response = page.goto(f"{served_county}/people/{other['entity_id']}")
    assert response.status == 403 and "无权访问" in page.locator("h2").inner_text()
    page.close()


def test_english_is_one_tap_away(served_county, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(served_county + "/login?lang=en")
    assert page.locator("h2").inner_text() == "Sign in"
    page.goto(served_county + "/")
    assert "People" in page.locator('[data-entity="person"]').inner_text()
    page.goto(served_county + "/?lang=zh")
    assert "人口" in page.locator('[data-entity="person"]').inner_text()
    page.close()
