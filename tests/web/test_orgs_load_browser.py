"""The org-tree page on a phone in Chromium: the administrator uploads a later division
file (a rename and a merger), reads the diff, confirms, and sees the result; the page fits
a 390 px screen. The screenshot goes to docs/screenshots/admin-orgs-phone.png."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.integration.dayone_files import division_rows, write_divisions, write_households
from tests.web.conftest import ServedEnv, sign_in, start_server

SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
PASSWORD = "县管理员的密码2026"
OLD, SURVIVOR = "330523108207", "330523108204"  # 大溪村 → 余村村


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("orgs-web")
    url = f"sqlite:///{folder}/orgs.db"
    env = ServedEnv.at(url)
    env.run("init")
    env.run("orgs", "load", str(write_divisions(folder / "2023.csv")), "--effective", "2023-06-30")
    env.run("bootstrap", str(write_households(folder / "户籍.csv")))
    (folder / "pw").write_text(PASSWORD + "\n", encoding="utf-8")
    env.run("users", "add", "county_admin", "--role", "admin", "--org", "330523",
            "--password-file", str(folder / "pw"))  # fmt: skip
    later = folder / "安吉县2024.csv"
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["统计用区划代码", "城乡分类代码", "名称", "并入"])
    for code, name, klass in division_rows():
        name = "井村新村村委会" if code == "330523108201" else name
        w.writerow([code, klass, name, SURVIVOR if code == OLD else ""])
    later.write_bytes(buf.getvalue().encode("gbk"))
    server, base = start_server(env, folder / "server.log")
    try:
        yield base, later
    finally:
        server.terminate()
        server.wait(10)


def test_admin_uploads_sees_the_diff_and_applies_on_a_phone(served, browser):
    base, later = served
    page = browser.new_page(viewport=PHONE)
    try:
        sign_in(page, base, "county_admin", PASSWORD)
        page.goto(base + "/admin/orgs")
        assert "安吉县（330523）" in page.locator("#current").inner_text()
        page.set_input_files("input[name=file]", str(later))
        page.fill("input[name=effective]", "2024-01-01")
        with page.expect_navigation():
            page.click("#upload button[type=submit]")
        diff = page.locator("#diff").inner_text()
        assert f"撤并 {OLD} 大溪村 并入 {SURVIVOR} 余村村" in diff
        assert "名称 井村村 → 井村新村" in diff
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "admin-orgs-phone.png"), full_page=True)
        with page.expect_navigation():
            page.click("#diff button[type=submit]")
        applied = page.locator("#applied").inner_text()
        assert "更名 1" in applied and "撤并 1" in applied and "随迁" in applied
        events = page.locator("#events tbody tr").all_inner_texts()
        assert any("2024-01-01" in e and "撤并" in e and SURVIVOR in e for e in events), events
    finally:
        page.close()
