"""A cadre flags a burden from a phone and sees it listed as open."""

from __future__ import annotations

from pathlib import Path

from tests.web.conftest import sign_in

SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"


def test_cadre_sends_feedback_on_a_phone(served_county, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    sign_in(
        page, served_county, "cadre1", at="/login?next=/feedback", button="main button[type=submit]"
    )
    page.select_option("select[name=kind]", "repeats_sheet")
    page.select_option("select[name=department]", "health")
    page.fill("textarea[name=text]", "卫健局要求再次填报全村老年人身份证号和住址")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "反馈已提交" in page.locator("[role=status]").inner_text()
    card = page.locator("[data-feedback-id]").first
    assert "卫健局要求再次填报" in card.inner_text()
    assert card.locator("[data-status]").inner_text() == "待处理"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "feedback-phone.png"), full_page=True)
    page.close()
