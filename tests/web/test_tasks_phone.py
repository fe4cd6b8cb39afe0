"""A village cadre on a phone opens 我的任务, fills a missing value, saves and sees progress."""

from __future__ import annotations

from pathlib import Path

from tests.web.conftest import sign_in
from tests.web.tasks_fixtures import cadre_task  # noqa: F401  (fixture)

SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}


def test_cadre_fills_a_task_on_a_phone(served_county, browser, cadre_task):  # noqa: F811
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=PHONE)
    sign_in(page, served_county, "cadre1")
    page.goto(served_county + "/tasks")
    # Other browser tests share the server and may have approved forms of their own.
    task = page.locator("a.task", has_text="村民联系电话核对表").first
    assert "0/" in task.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(SCREENSHOTS / "tasks-phone.png"), full_page=True)
    with page.expect_navigation():
        task.click()
    first = page.locator("section.who").first
    assert "*" in first.inner_text()  # the masked ID number as context
    phone = page.locator("input[type=tel]").first
    name = phone.get_attribute("name")
    phone.fill("12")  # refused in place, nothing saved
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "电话号码" in page.locator(".field-error").first.inner_text()
    page.locator(f"input[name='{name}']").fill("13905720001")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "已保存 1 项" in page.locator(".ok").first.inner_text()
    assert page.locator(".progress").first.get_attribute("data-filled") == "1"
    assert page.locator(f"input[name='{name}']").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(SCREENSHOTS / "task-phone.png"), full_page=False)
    page.goto(served_county + "/tasks")
    assert "1/" in page.locator("a.task", has_text="村民联系电话核对表").first.inner_text()
    page.close()
