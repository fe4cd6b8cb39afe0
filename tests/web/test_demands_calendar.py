"""Two departments' inspections of the same villages in one month become one joint inspection.

The health department registers an inspection and the reviewer approves it; civil affairs
registers one overlapping it; the reviewer sees the proposal and merges them; the village
cadre's calendar, on a phone, shows one joint inspection with both departments.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onesheet.services.base import local_today
from tests.web.conftest import WEB_PASSWORD, sign_in

SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
TITLE_A = "村卫生室慢病随访检查（浏览器测试）"
TITLE_B = "养老服务慢病随访检查（浏览器测试）"


@pytest.fixture(scope="module")
def demand_users(served_env, tmp_path_factory):
    folder = tmp_path_factory.mktemp("demand_users")
    password = folder / "password.txt"
    password.write_text(WEB_PASSWORD + "\n")
    orgs = json.loads(served_env.run("orgs", "list", "--json"))
    village = next(u["code"] for u in orgs if u["level"] == "village")  # cadre1's village
    county = village[:6]
    for name, role, dept in (
        ("dem_health", "department", "health"),
        ("dem_civil", "department", "civil_affairs"),
        ("dem_rev", "reviewer", None),
    ):
        args = ["users", "add", name, "--role", role, "--org", county]
        args += ["--password-file", str(password)]
        if dept:
            args += ["--department", dept]
        served_env.run(*args)
    return village


def _login(browser, base: str, user: str, viewport=None):
    context = browser.new_context(viewport=viewport or {"width": 1200, "height": 900})
    page = context.new_page()
    sign_in(page, base, user, button="main button[type=submit]")
    return context, page


def _card(page, title: str):
    """A demand's card by its own title (a merged card names its target too)."""
    return page.locator("article[data-demand-id]").filter(
        has=page.locator("div > b", has_text=title)
    )


def _register(page, base: str, title: str, villages: str, topics: str, matter: str) -> None:
    page.goto(base + "/demands")
    form = page.locator("#register-demand")
    form.locator("select[name=kind]").select_option("inspection")
    form.locator("input[name=title]").fill(title)
    form.locator("input[name=villages]").fill(villages)
    form.locator("select[name=frequency]").select_option("once")
    form.locator("input[name=minutes]").fill("90")
    form.locator("input[name=starts_on]").fill(local_today().isoformat())
    form.locator("input[name=basis]").fill("《基本公共卫生服务规范（第三版）》")
    form.locator("input[name=matter]").fill(matter)
    form.locator("input[name=topics]").fill(topics)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.locator("[role=alert]").count() == 0, page.locator("[role=alert]").inner_text()


def test_overlapping_inspections_are_merged_and_the_village_sees_one(
    served_county, browser, demand_users
):
    village = demand_users
    town = village[:9]
    base = served_county

    health, page = _login(browser, base, "dem_health")
    _register(page, base, TITLE_A, town, "慢病随访，卫生室", "XZ001")
    health.close()

    reviewer, rpage = _login(browser, base, "dem_rev")
    rpage.goto(base + "/demands")
    card_a = _card(rpage, TITLE_A)
    card_a.locator("textarea[name=reason]").fill("协助事项，每年一次")
    with rpage.expect_navigation():
        card_a.locator("button[value=approved]").click()
    assert card_a.locator("[data-status]").inner_text() == "已准入"

    civil, cpage = _login(browser, base, "dem_civil")
    _register(cpage, base, TITLE_B, village, "慢病随访，养老", "XZ002")
    civil.close()

    rpage.goto(base + "/demands")
    card_b = _card(rpage, TITLE_B)
    assert card_b.locator("[data-suggestion]").get_attribute("data-suggestion") == "joint"
    assert "联合检查" in card_b.locator(".reasons").inner_text()
    card_b.locator("textarea[name=reason]").fill("同月同村、事项重叠，合并为一次联合检查")
    with rpage.expect_navigation():
        card_b.locator("button[value=merged]").click()
    assert card_b.locator("[data-status]").inner_text() == "已合并"
    card_a = _card(rpage, TITLE_A)
    assert card_a.locator("[data-joint]").count() == 1
    assert "民政" in card_a.inner_text() and "卫生健康" in card_a.inner_text()
    reviewer.close()

    cadre, vpage = _login(browser, base, "cadre1", viewport=PHONE)
    vpage.goto(base + "/calendar")
    week = vpage.locator("#week [data-calendar-entry][data-kind=inspection]")
    ours = week.filter(has_text="慢病随访检查（浏览器测试）")
    assert ours.count() == 1  # one joint inspection, not two
    entry = ours.first
    assert entry.get_attribute("data-joint") == "1"
    assert TITLE_A in entry.inner_text() and TITLE_B not in entry.inner_text()
    assert "联合督查检查考核" in entry.inner_text()
    assert "民政" in entry.inner_text() and "卫生健康" in entry.inner_text()
    assert vpage.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    vpage.screenshot(path=str(SCREENSHOTS / "demands-calendar-phone.png"), full_page=True)
    # asking about it explains who approved it and why; nothing is filed
    with vpage.expect_navigation():
        entry.locator("button[type=submit]").click()
    status = vpage.locator("[role=status]").inner_text()
    assert "dem_rev" in status and "协助事项，每年一次" in status
    # a demand outside the Gate is filed for the burden-reduction office
    form = vpage.locator("#flag-unapproved")
    form.locator("select[name=kind]").select_option("work_group")
    form.locator("textarea[name=text]").fill("要求加入新的工作群并每日截图打卡")
    with vpage.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "未准入事项" in vpage.locator("[role=status]").inner_text()
    vpage.goto(base + "/feedback")
    assert "【未准入事项】工作群" in vpage.locator("[data-feedback-id]").first.inner_text()
    cadre.close()
