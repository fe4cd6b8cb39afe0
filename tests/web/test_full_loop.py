"""The whole loop in a browser, as the issue tells it.

The education department uploads its left-behind children's form (农村留守儿童), accepts the
matcher's candidate for the uncertain name column and submits it; a reviewer approves it at
the Gate, which creates a collection task for every village with left-behind children whose
school (就读学校) the sheet lacks; the village cadre, on a 390 × 844 phone, opens 我的任务 and
types the schools — some people first (partial progress), then the rest through the same
page — until the task is done; the town sees it done on /progress; the department
downloads the report XLSX with one click and the typed schools are in the children's rows.
The same cadre asking for another village's person or report gets 403, page and API.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import create_engine, text

from tests.web.conftest import (
    ServedEnv,
    add_county_users,
    county_of,
    sign_in,
    villages_of,
)

SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
LEFT_BEHIND = Path(__file__).parents[1] / "forms" / "files" / "jiaoyu_left_behind.xlsx"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
EDUCATION_USER = "jy1"
REVIEWER_USER = "rev-loop"


@pytest.fixture(scope="session")
def loop_users(served_env: ServedEnv, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An education-department user and a reviewer (county-wide); the county's villages."""
    users = (
        (EDUCATION_USER, "department", "--department", "education"),
        (REVIEWER_USER, "reviewer"),
    )
    units = add_county_users(served_env, tmp_path_factory.mktemp("loop-users"), users)
    villages = villages_of(units)
    return {"county": county_of(units), "village": villages[0], "other_village": villages[1]}


def _someone_in(served_env: ServedEnv, village: str) -> int:
    """A person of ``village`` (read straight from the served database)."""
    engine = create_engine(served_env.url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text("SELECT min(entity_id) FROM sheet_person WHERE org_code LIKE :v"),
                    {"v": village + "%"},
                ).scalar_one()
            )
    finally:
        engine.dispose()


def _signed_in(browser, base: str, username: str, viewport: dict[str, int]):
    page = browser.new_context(viewport=viewport, accept_downloads=True).new_page()
    sign_in(page, base, username)
    assert "/login" not in page.url, f"{username} could not sign in"
    return page


def _shot(page, name: str, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page)


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _upload_map_submit(page, base: str, twins: Twins) -> str:
    page.goto(base + "/forms")
    page.set_input_files("input[name=file]", str(LEFT_BEHIND))
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    template_id = page.url.rsplit("/", 1)[1]
    assert page.locator("#form-status").inner_text() == "草稿"
    name_col = page.locator("#col-B")  # 儿童姓名: the child's own name, read without help
    assert name_col.get_attribute("data-status") == "matched"
    assert name_col.get_attribute("data-field") == "person.name"
    assert page.locator("#col-F").get_attribute("data-field") == "person.school"
    _shot(page, "loop-mapping-desktop.png")
    twins.shot(EDUCATION_USER, f"/forms/{template_id}", "loop-mapping-phone.png", PHONE)
    with page.expect_navigation():
        page.click("#submit-gate")
    assert page.locator("#form-status").inner_text() == "待审核"
    return template_id


def _approve(page, base: str, template_id: str, twins: Twins) -> None:
    page.goto(base + "/gate")
    card = page.locator(f"#gate-{template_id}")
    assert "一表通已能回答" in card.inner_text()
    _shot(page, "loop-gate-desktop.png")
    twins.shot(REVIEWER_USER, "/gate", "loop-gate-phone.png", PHONE)
    card.locator("textarea[name=reason]").fill("留守儿童关爱：姓名、学校由一表通提供，缺的由村补采")
    with page.expect_navigation():
        card.locator("button[value=approve]").click()
    assert page.locator(f"#gate-{template_id}").count() == 0


def _progress(page) -> tuple[int, int]:
    bar = page.locator(".progress").first
    return int(bar.get_attribute("data-filled")), int(bar.get_attribute("data-total"))


def _fill(page, people, school_of) -> dict[str, str]:
    """Type a school for each of ``people`` (section locators); name → the school typed."""
    typed = {}
    for who in people:
        name = who.locator("h3").inner_text().strip()
        inputs = who.locator("input[name^='v:'], select[name^='v:']")
        assert inputs.count() == 1  # only what the sheet lacks: the school
        assert inputs.first.get_attribute("name").endswith(":person.school")
        typed[name] = school_of(who.get_attribute("data-entity-id"))
        inputs.first.fill(typed[name])
    with page.expect_navigation():
        page.click("main button[type=submit]")
    return typed


def _cadre_fills(page, base: str, title: str) -> tuple[dict[str, str], str]:
    page.goto(base + "/tasks")
    task = page.locator("a.task", has_text=title)
    assert task.count() == 1
    assert "0/" in task.inner_text()
    _fits(page)
    _shot(page, "loop-tasks-phone.png")
    with page.expect_navigation():
        task.click()
    task_url = page.url
    filled, total = _progress(page)
    assert filled == 0 and total >= 2
    people = page.locator("section.who")
    assert "*" in people.first.inner_text()  # masked ID number as context

    def school(eid: str) -> str:
        return f"县城关第{eid}小学"

    # some people first: the task stays open and shows how far it has come
    first = [people.nth(i) for i in range(min(2, people.count() - 1))]
    typed = _fill(page, first, school)
    assert f"已保存 {len(first)} 项" in page.locator(".ok").first.inner_text()
    assert _progress(page) == (len(first), total)
    _fits(page)
    _shot(page, "loop-task-partial-phone.png", full_page=False)
    page.goto(base + "/tasks")
    assert f"{len(first)}/{total}" in page.locator("a.task", has_text=title).inner_text()
    # the rest, through the same page (a page holds 20 people; follow it until empty)
    while True:
        page.goto(task_url)
        left = page.locator("section.who")
        if left.count() == 0:
            break
        typed |= _fill(page, [left.nth(i) for i in range(left.count())], school)
    assert _progress(page) == (total, total)
    assert page.locator(".ok", has_text="本任务已全部填完").count() == 1
    _fits(page)
    _shot(page, "loop-task-done-phone.png", full_page=False)
    page.goto(base + "/tasks")
    assert "已完成" in page.locator("a.task", has_text=title).inner_text()
    return typed, task_url.rsplit("/", 1)[1]


class Twins:
    """The same page at the other size: one signed-in page per (user, size), reused."""

    def __init__(self, browser, base: str) -> None:
        self.browser, self.base, self.pages = browser, base, {}

    def shot(
        self, user: str, path: str, name: str, viewport: dict[str, int], fits: bool = False
    ) -> None:
        """``fits``: a village or town page, which must fit the phone's width."""
        key = (user, viewport["width"])
        if key not in self.pages:
            self.pages[key] = _signed_in(self.browser, self.base, user, viewport)
        page = self.pages[key]
        page.goto(self.base + path)
        if fits:
            _fits(page)
        _shot(page, name)

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


def test_form_to_gate_to_village_to_report(served_county, served_env, browser, loop_users):
    base = served_county
    dept = _signed_in(browser, base, EDUCATION_USER, DESKTOP)
    twins = Twins(browser, base)
    template_id = _upload_map_submit(dept, base, twins)
    title = dept.locator("main h2").first.inner_text().strip()
    reviewer = _signed_in(browser, base, REVIEWER_USER, DESKTOP)
    _approve(reviewer, base, template_id, twins)
    reviewer.context.close()

    cadre = _signed_in(browser, base, "cadre1", PHONE)
    typed, task_id = _cadre_fills(cadre, base, title)
    twins.shot("cadre1", f"/tasks/{task_id}", "loop-task-done-desktop.png", DESKTOP)
    twins.shot("cadre1", "/tasks", "loop-tasks-desktop.png", DESKTOP)

    town = _signed_in(browser, base, "town1", PHONE)
    town.goto(base + "/progress")
    row = town.locator(f"#progress tr[data-org='{loop_users['village']}']")
    row.locator("summary").click()
    line = row.locator("li", has_text=title)
    assert "已完成" in line.inner_text() and f"{len(typed)}/{len(typed)}" in line.inner_text()
    _fits(town)
    _shot(town, "loop-progress-phone.png")
    town.context.close()
    twins.shot("town1", "/progress", "loop-progress-desktop.png", DESKTOP)

    dept.goto(f"{base}/forms/{template_id}")
    assert dept.locator("#form-status").inner_text() == "已准入"
    _shot(dept, "loop-form-approved-desktop.png")
    twins.shot(EDUCATION_USER, f"/forms/{template_id}", "loop-form-approved-phone.png", PHONE)
    with dept.expect_download() as download:
        dept.click("#downloads a:has-text('XLSX')")
    book = openpyxl.load_workbook(BytesIO(Path(download.value.path()).read_bytes()))
    rows = [
        [("" if c is None else str(c)) for c in r] for r in book.active.iter_rows(values_only=True)
    ]
    heading = next(r for r in rows if "就读学校" in r and any("姓名" in c for c in r))
    school_col, name_col = (
        heading.index("就读学校"),
        next(i for i, c in enumerate(heading) if "姓名" in c),
    )
    found = {r[name_col]: r[school_col] for r in rows if r[school_col] in typed.values()}
    assert found == typed  # each typed school, in the row of the child it was typed for
    dept.context.close()

    theirs = _someone_in(served_env, loop_users["other_village"])
    _village_cannot_reach_another_village(
        cadre, base, template_id, loop_users, theirs, next(iter(typed))
    )
    twins.shot("cadre1", f"/people/{theirs}", "loop-forbidden-desktop.png", DESKTOP)
    twins.close()
    cadre.context.close()


def _village_cannot_reach_another_village(
    cadre, base: str, template_id: str, units: dict[str, str], theirs: int, name: str
) -> None:
    other, own = units["other_village"], units["village"]
    api = cadre.context.request
    hits = api.get(f"{base}/api/people", params={"q": name[:1]}).json()  # a surname
    assert hits and all(h["org_code"].startswith(own) for h in hits)
    assert cadre.goto(f"{base}/people/{theirs}").status == 403
    _shot(cadre, "loop-forbidden-phone.png")
    assert api.get(f"{base}/api/people/{theirs}").status == 403
    report = f"{base}/api/reports/{template_id}?org={other}&format=json"
    assert api.get(report).status == 403
    assert cadre.goto(report).status == 403
    assert api.get(f"{base}/api/reports/{template_id}?org={own}&format=json").status == 200
