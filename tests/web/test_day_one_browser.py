"""Issue 14's acceptance in a browser: after a day-one setup done with the real CLI
(``init``, ``orgs load``, ``bootstrap --county``, ``users import --passwords-out``), one
imported village cadre signs in on a phone in Chromium with the one-time password, is sent
to the change-password page, sets a new one, searches the sheet, and sees that village's
people and none of the other village's.

The export is small (about 50 people in 2 villages) so the test stays well under a minute;
the files are written by the same helpers as ``tests/integration/test_day_one.py``.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from tests.integration.dayone_files import (
    COUNTY,
    household_rows,
    villages,
    write_accounts,
    write_divisions,
    write_grids,
    write_households,
)
from tests.web.conftest import ServedEnv, sign_in, start_server

SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
NEW_PASSWORD = "鲁家村干部的新密码2026"
ONE_TIME_COLUMN = "初始密码（首次登录须修改）"


def _two_village_export(own: str, other: str) -> tuple[list[list[str]], dict[str, Counter]]:
    """Household rows of the first 90 households that fall in ``own`` or ``other`` (the
    helper deals households round-robin over the county's 9 villages, so a village's rows
    either all carry the village column or all leave it empty and name the village only
    in the address), and each village's names."""
    vs = villages()
    keep = {vs.index(own): own, vs.index(other): other}
    rows, names = [], {own: Counter(), other: Counter()}
    for row in household_rows(households=90):
        h = int(row[0][-5:])
        village = keep.get(h % len(vs))
        if village is not None:
            rows.append(row)
            names[village][row[3]] += 1
    return rows, names


@pytest.fixture(scope="module")
def day_one(tmp_path_factory: pytest.TempPathFactory):
    """A county set up the day-one way, served: (base URL, cadre row, names by village)."""
    folder = tmp_path_factory.mktemp("dayone-web")
    url = f"sqlite:///{folder}/dayone.db"
    served = ServedEnv.at(url)
    # 鲁家村's rows name it only in the address; 阳光社区's carry the village column.
    own, other = villages()[2], villages()[0]
    rows, names = _two_village_export(own, other)
    served.run("init")
    orgs = write_divisions(folder / "安吉县2023.csv", encoding="gbk")
    loaded = served.run("orgs", "load", str(orgs), "--grids", str(write_grids(folder / "网格.csv")))
    assert "新增 31" in loaded, loaded
    export = write_households(folder / "户籍.csv", rows)
    boot = served.run("bootstrap", str(export), "--county", COUNTY)
    assert f"新增人口 {len(rows)}" in boot, boot
    passwords = folder / "初始密码.csv"
    accounts = write_accounts(folder / "账号.csv")
    imported = served.run("users", "import", str(accounts), "--passwords-out", str(passwords))
    assert "已创建 600 个账号" in imported, imported
    with passwords.open(encoding="utf-8-sig", newline="") as fh:
        cadre = next(r for r in csv.DictReader(fh) if r["机构代码"] == own)
    server, base = start_server(served, folder / "server.log")
    try:
        yield base, cadre, names[own], names[other]
    finally:
        server.terminate()
        server.wait(10)


def _listed(page, base: str, q: str) -> list[str]:
    page.goto(f"{base}/sheet")
    page.fill("input[name=q]", q)
    with page.expect_navigation():
        page.click("form.row button[type=submit]")
    return page.locator("table.results tbody tr td:first-child").all_inner_texts()


def test_imported_cadre_first_sign_in_sees_own_village_on_a_phone(day_one, browser):
    base, cadre, mine_counts, theirs_counts = day_one
    mine, theirs = set(mine_counts), set(theirs_counts)
    assert mine_counts.total() >= 15 and theirs_counts.total() >= 15
    only_mine, only_theirs = mine - theirs, theirs - mine
    assert only_mine and only_theirs
    page = browser.new_page(viewport=PHONE)
    try:
        sign_in(page, base, cadre["用户名"], cadre[ONE_TIME_COLUMN])
        assert page.url.endswith("/account/password"), page.url
        assert page.locator("#forced").is_visible()
        page.goto(base + "/sheet")  # any page sends a one-time password back here
        assert page.url.endswith("/account/password"), page.url

        page.fill("input[name=old]", cadre[ONE_TIME_COLUMN])
        page.fill("input[name=new]", NEW_PASSWORD)
        page.fill("input[name=again]", NEW_PASSWORD)
        with page.expect_navigation():
            page.click("main button[type=submit]")
        assert page.url == base + "/", page.url

        seen: Counter = Counter()
        for surname in sorted({n[0] for n in mine | theirs}):
            listed = _listed(page, base, surname)
            assert page.url.startswith(base + "/sheet"), page.url  # no longer sent away
            assert all(n.startswith(surname) for n in listed), (surname, listed)
            seen.update(listed)
        assert seen == mine_counts  # each of the village's people once, found by surname
        assert not set(seen) & only_theirs  # and none of the other village's
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        surname = max(sorted({n[0] for n in mine}), key=lambda s: sum(n[0] == s for n in mine))
        listed = _listed(page, base, surname)
        assert listed and set(listed) <= mine
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "dayone-phone.png"), full_page=True)
    finally:
        page.close()
