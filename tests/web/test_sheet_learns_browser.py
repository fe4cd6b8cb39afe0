"""The sheet learns, in Chromium (issue 11): a department's own columns become county fields.

The veterans' department uploads its holiday-visit form (重要节日走访慰问登记表) with three
columns the built-in dictionary does not hold — 走访日期, 慰问形式, 慰问金（元） — and submits
it. A data steward (数据管理员) opens the catalogue, finds the form in the list waiting for
confirmation and, on its review page, sees each type proposed from the form's own values:
setting 慰问金 to a date is refused with the sample amounts that contradict it, so it is
confirmed as a decimal in 元; 慰问形式 gets a third option (电话). The reviewer approves the
form at the Gate. The village cadre, on a 390 × 844 phone, gets the right inputs in the task
— a choice of the three options, a date picker, a number with 元 beside it — is refused a
wrong amount (naming the person and the field, nothing saved), then saves; the values show
on the person's card, in the department's report, and as the town's fill rate in the
catalogue.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.forms.forms_county_fields import LegacyForm, xlsx
from tests.web.conftest import ServedEnv, add_county_users, county_of, villages_of
from tests.web.test_full_loop import DESKTOP, PHONE, _fits, _shot, _signed_in

FORM = LegacyForm(
    "jieri_weiwen",
    "veterans",
    "重要节日走访慰问登记表",
    ["走访日期", "慰问形式", "慰问金（元）"],
    [
        [dt.date(2026, 1, 10), "上门", 500],
        [dt.date(2026, 1, 12), "集中", 800],
        [dt.date(2026, 1, 15), "上门", 500],
        [dt.date(2026, 1, 18), "上门", 300],
    ],
)
DEPARTMENT_USER, STEWARD_USER, REVIEWER_USER = "vet-learn", "steward-learn", "rev-learn"


@pytest.fixture(scope="session")
def learn_users(served_env: ServedEnv, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A veterans' department user, a data steward and a reviewer (county-wide)."""
    users = (
        (DEPARTMENT_USER, "department", "--department", "veterans"),
        (STEWARD_USER, "steward"),
        (REVIEWER_USER, "reviewer"),
    )
    units = add_county_users(served_env, tmp_path_factory.mktemp("learn-users"), users)
    return {"county": county_of(units), "village": villages_of(units)[0]}


def _upload_and_submit(page, base: str, folder: Path) -> str:
    source = folder / "重要节日走访慰问登记表.xlsx"
    source.write_bytes(xlsx(FORM))
    page.goto(base + "/forms")
    page.set_input_files("input[name=file]", str(source))
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    template_id = page.url.rsplit("/", 1)[1]
    for letter in "DEF":  # the department's own columns: new fields, proposed as drafts
        assert page.locator(f"#col-{letter}").get_attribute("data-status") == "new"
    with page.expect_navigation():
        page.click("#submit-gate")
    assert page.locator("#form-status").inner_text() == "待审核"
    return template_id


def _column(page, heading: str):
    return page.locator("section.field-review", has_text=heading)


def _confirm(page, heading: str, **choices: str) -> None:
    card = _column(page, heading)
    for name, value in choices.items():
        if name == "value_type":
            card.locator("select[name=value_type]").select_option(value)
        else:
            card.locator(f"input[name={name}]").fill(value)
    with page.expect_navigation():
        card.locator("button[type=submit]").click()


def _steward_confirms(page, base: str, template_id: str) -> dict[str, str]:
    """The steward's decisions on the review page; heading → field key."""
    page.goto(base + "/fields")
    waiting = page.locator(f"#awaiting li[data-template-id='{template_id}']")
    assert "0/3 已确认" in waiting.inner_text()
    with page.expect_navigation():
        waiting.locator("a").click()
    assert page.url.endswith(f"/fields/review/{template_id}")
    money, how, day = (_column(page, h) for h in ("慰问金", "慰问形式", "走访日期"))
    assert money.get_attribute("data-proposed") == "decimal"
    assert money.locator("input[name=unit]").input_value() == "元"
    assert how.get_attribute("data-proposed") == "code" and "上门、集中" in how.inner_text()
    assert day.get_attribute("data-proposed") == "date"
    keys = {
        h: _column(page, h).get_attribute("data-key") for h in ("慰问金", "慰问形式", "走访日期")
    }
    _confirm(page, "慰问金", value_type="date")  # the form's own amounts contradict it
    refusal = _column(page, "慰问金").locator(".field-error").inner_text()
    assert "500" in refusal and "800" in refusal and "300" in refusal
    assert _column(page, "慰问金").get_attribute("data-status") == "draft"  # nothing saved
    _confirm(page, "慰问金", value_type="decimal", unit="元")
    assert "已确认：慰问金" in page.locator("#saved").inner_text()
    _confirm(page, "慰问形式", value_type="code", codes="上门,集中,电话")
    _confirm(page, "走访日期", value_type="date")
    for heading, kind in (("慰问金", "decimal"), ("慰问形式", "code"), ("走访日期", "date")):
        card = _column(page, heading)
        assert card.get_attribute("data-status") == "confirmed"
        assert card.locator(".confirmed").get_attribute("data-confirmed") == kind
    assert "上门、集中、电话" in _column(page, "慰问形式").locator(".confirmed").inner_text()
    assert "（元）" in _column(page, "慰问金").locator(".confirmed").inner_text()
    _shot(page, "sheet-learns-review-desktop.png")
    return keys  # type: ignore[return-value]


def _approve(page, base: str, template_id: str) -> None:
    page.goto(base + "/gate")
    card = page.locator(f"#gate-{template_id}")
    assert card.locator(f"a[href='/fields/review/{template_id}']").count() == 1
    card.locator("textarea[name=reason]").fill("走访慰问：新字段已由数据管理员确认")
    with page.expect_navigation():
        card.locator("button[value=approve]").click()
    assert page.locator(f"#gate-{template_id}").count() == 0


def _item(who, label: str):
    return who.locator(".item", has=who.page.locator("label", has_text=label))


def _cadre_fills(page, base: str, keys: dict[str, str]) -> tuple[int, str]:
    """On the phone: the inputs each type needs, a refusal, then a save; (entity, name)."""
    page.goto(base + "/tasks")
    task = page.locator("a.task", has_text=FORM.title)
    assert task.count() == 1
    with page.expect_navigation():
        task.click()
    who = page.locator("section.who").first
    eid, name = int(who.get_attribute("data-entity-id")), who.locator("h3").inner_text().strip()
    how = who.locator(f"select[name='v:{eid}:{keys['慰问形式']}']")
    assert how.locator("option").all_inner_texts() == ["请选择", "上门", "集中", "电话"]
    day = who.locator(f"input[name='v:{eid}:{keys['走访日期']}']")
    assert day.get_attribute("type") == "date"
    money = who.locator(f"input[name='v:{eid}:{keys['慰问金']}']")
    assert money.get_attribute("inputmode") == "decimal"
    assert _item(who, "慰问金").locator(".unit").inner_text() == "元"
    filled_before = page.locator(".progress").get_attribute("data-filled")
    how.select_option(label="电话")
    day.fill("2026-01-20")
    money.fill("六百")
    _fits(page)
    _shot(page, "sheet-learns-task-phone.png", full_page=False)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    error = _item(page.locator(f"section.who[data-entity-id='{eid}']"), "慰问金")
    message = error.locator(".field-error").inner_text()
    assert name in message and "慰问金" in message
    assert "有 1 项未通过校验，未保存任何内容" in page.locator(".error").first.inner_text()
    assert page.locator(".progress").get_attribute("data-filled") == filled_before
    page.locator(f"input[name='v:{eid}:{keys['慰问金']}']").fill("600")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "已保存 3 项" in page.locator(".ok").first.inner_text()
    assert page.locator(f"section.who[data-entity-id='{eid}']").count() == 0
    return eid, name


def _in_the_report(page, base: str, template_id: str, village: str, name: str) -> dict:
    answer = page.context.request.get(
        f"{base}/api/reports/{template_id}", params={"org": village, "format": "json"}
    )
    assert answer.status == 200
    report = answer.json()
    headings = [c["heading"] for c in report["columns"]]
    row = next(r for r in report["rows"] if name in r)
    return {h: row[i] for i, h in enumerate(headings)}


def test_steward_confirms_a_field_and_a_cadre_fills_it_on_a_phone(
    served_county, browser, learn_users, tmp_path
):
    base = served_county
    dept = _signed_in(browser, base, DEPARTMENT_USER, DESKTOP)
    template_id = _upload_and_submit(dept, base, tmp_path)
    steward = _signed_in(browser, base, STEWARD_USER, DESKTOP)
    keys = _steward_confirms(steward, base, template_id)
    reviewer = _signed_in(browser, base, REVIEWER_USER, DESKTOP)
    _approve(reviewer, base, template_id)
    reviewer.context.close()

    cadre = _signed_in(browser, base, "cadre1", PHONE)
    eid, name = _cadre_fills(cadre, base, keys)
    cadre.goto(f"{base}/people/{eid}")
    card = {k: cadre.locator(f"tr[data-field='{k}']").inner_text() for k in keys.values()}
    assert "电话" in card[keys["慰问形式"]] and "600" in card[keys["慰问金"]]
    assert "2026-01-20" in card[keys["走访日期"]]
    _fits(cadre)
    cadre.context.close()

    row = _in_the_report(dept, base, template_id, learn_users["village"], name)
    assert (row["慰问形式"], row["慰问金（元）"]) == ("电话", "600")
    assert str(row["走访日期"]).replace(".", "-").replace("/", "-").startswith("2026-01-20")
    dept.context.close()

    steward.goto(f"{base}/fields?q=慰问形式")  # the catalogue: the field and the town's fill
    entry = steward.locator(f"article[data-key='{keys['慰问形式']}']")
    assert "县级字段" in entry.inner_text() and FORM.title in entry.inner_text()
    town = steward.locator(f"article[data-key='{keys['慰问形式']}'] tr[data-unit]")
    rates = {r.get_attribute("data-unit"): float(r.get_attribute("data-rate")) for r in town.all()}
    assert rates[learn_users["village"][:9]] > 0
    steward.context.close()

    town_page = _signed_in(browser, base, "town1", PHONE)
    town_page.goto(f"{base}/fields?q=慰问")
    assert town_page.locator(f"article[data-key='{keys['慰问金']}']").count() == 1
    _fits(town_page)
    _shot(town_page, "sheet-learns-catalogue-phone.png")
    town_page.goto(f"{base}/fields?q=慰问&lang=en")
    assert "Field catalogue" in town_page.locator("main h2").inner_text()
    town_page.context.close()
