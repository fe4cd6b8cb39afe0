"""A cadre on a phone changes a person's phone number in passing, on the person's card."""

from __future__ import annotations

from pathlib import Path

from tests.web.conftest import sign_in

SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
NEW_PHONE = "13712340099"


def test_cadre_changes_a_phone_number_on_the_card(served_county, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    over60 = "/login?next=/sheet%3Ff%3Dover60"
    sign_in(page, served_county, "cadre1", at=over60, button="main button[type=submit]")
    page.goto(served_county + "/sheet?f=over60")
    with page.expect_navigation():
        page.locator("section.filtered tr[data-entity-id] a").first.click()
    row = page.locator('tr[data-field="person.phone"]')
    row.locator("summary").click()
    phone = row.locator("input[name=value]")
    assert phone.get_attribute("type") == "tel"
    phone.fill(NEW_PHONE)
    row.locator("input[name=reason]").fill("换号")
    row.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "person-edit-phone.png"))
    with page.expect_navigation():
        row.locator("form button[type=submit]").click()
    assert "已保存" in page.locator("[role=status]").inner_text()
    shown = page.locator('tr[data-field="person.phone"] .current').inner_text()
    assert shown.endswith("0099") and "*" in shown  # the cadre sees it masked, like any phone
    assert "换号" in page.locator("main").inner_text()  # the history keeps the reason
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.close()
