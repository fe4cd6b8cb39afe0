"""The overview page answers in Chinese, with the seeded county's real counts."""

from __future__ import annotations

from pathlib import Path

import httpx

SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"


def test_home_page_shows_the_county_on_a_phone_and_a_desktop(served_county, browser):
    summary = httpx.get(f"{served_county}/api/summary").json()
    assert summary["counts"]["person"] == 2000
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, size in {"phone": (390, 844), "desktop": (1280, 800)}.items():
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        page.goto(served_county + "/")
        assert "安吉县" in page.locator("header h1").inner_text()
        person_card = page.locator('[data-entity="person"]').inner_text()
        assert "人口" in person_card and "2,000" in person_card
        # Nothing overflows the phone's width.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size[0]
        page.screenshot(path=str(SCREENSHOTS / f"home-{name}.png"), full_page=True)
        page.close()
