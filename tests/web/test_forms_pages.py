"""A department uploads a legacy form, corrects its mapping and submits it; a reviewer
approves it at the Gate; the department downloads the report; the ledger shows the values
the sheet filled; the town sees its villages' collection tasks. Desktop-size pages, plus
the progress page and the ledger on a phone."""

from __future__ import annotations

from pathlib import Path

from tests.web.conftest import sign_in
from tests.web.tasks_fixtures import cadre_task  # noqa: F401  (fixture: tasks to show)

SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
DIBAO = Path(__file__).parents[1] / "forms" / "files" / "minzheng_dibao.xlsx"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _signed_in(browser, base: str, username: str, viewport: dict[str, int]):
    """A page in a fresh context (own cookies) signed in as ``username``."""
    page = browser.new_context(viewport=viewport).new_page()
    sign_in(page, base, username)
    return page


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def _upload_map_submit(page, base: str) -> str:
    page.goto(base + "/forms")
    page.set_input_files("input[name=file]", str(DIBAO))
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    template_id = page.url.rsplit("/", 1)[1]
    row = page.locator("#col-M")
    assert row.get_attribute("data-field") == "person.current_address"
    row.locator("select[name=field_key]").select_option("household.address")
    with page.expect_navigation():
        row.locator("form.pick button").click()
    assert page.locator("#col-M").get_attribute("data-field") == "household.address"
    page.select_option("#matter", "XZ001")
    with page.expect_navigation():
        page.click("#matter-form button[type=submit]")
    _shot(page, "form-mapping-desktop.png")
    with page.expect_navigation():
        page.click("#submit-gate")
    assert page.locator("#form-status").inner_text() == "待审核"
    page.goto(base + "/forms")
    _shot(page, "forms-desktop.png")
    return template_id


def _approve(page, base: str, template_id: str) -> None:
    page.goto(base + "/gate")
    card = page.locator(f"#gate-{template_id}")
    assert "一表通已能回答" in card.inner_text() and "全手工" in card.inner_text()
    _shot(page, "gate-desktop.png")
    card.locator("textarea[name=reason]").fill("协助事项；各列一表通均可回答")
    with page.expect_navigation():
        card.locator("button[value=approve]").click()
    assert page.locator(f"#gate-{template_id}").count() == 0


def test_department_maps_reviewer_approves_and_the_ledger_counts(
    served_county,
    browser,
    forms_users,
    cadre_task,  # noqa: F811
):
    base = served_county
    dept = _signed_in(browser, base, forms_users["department"], DESKTOP)
    template_id = _upload_map_submit(dept, base)
    reviewer = _signed_in(browser, base, forms_users["reviewer"], DESKTOP)
    _approve(reviewer, base, template_id)

    dept.goto(f"{base}/forms/{template_id}")
    assert dept.locator("#form-status").inner_text() == "已准入"
    with dept.expect_download() as download:
        dept.click("#downloads a:has-text('XLSX')")
    assert download.value.suggested_filename.endswith(".xlsx")
    assert Path(download.value.path()).read_bytes()[:2] == b"PK"

    dept.goto(base + "/ledger")
    filled = int(dept.locator("[data-fig=filled] b").inner_text())
    assert filled > 0
    dept.wait_for_selector("#chart-month canvas")
    _shot(dept, "ledger-desktop.png")
    phone = _signed_in(browser, base, forms_users["department"], PHONE)
    phone.goto(base + "/ledger")
    phone.wait_for_selector("#chart-month canvas")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _shot(phone, "ledger-phone.png")
    town = _signed_in(browser, base, "town1", PHONE)
    assert town.goto(base + "/progress").status == 200
    assert town.locator("#progress tbody tr").count() >= 1  # the collection tasks in scope
    assert town.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _shot(town, "progress-phone.png")
    for p in (dept, reviewer, phone, town):
        p.context.close()
