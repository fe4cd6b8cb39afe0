"""The person card read as of a day shows the village and town the person was in on that
day, named as they were then — not today's — on the service, the web page and the API; read
today it shows where the person is now. A village merged into another, then that town merged
into a third: three days, three answers."""

from __future__ import annotations

import csv
import re
from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from onesheet.domain.access import CLI_ADMIN
from onesheet.services import org_tree
from onesheet.services.sheet_read import read_entity
from onesheet.services.users import add_user
from onesheet.store.schema import sheet_table
from tests.integration.helpers import load_day_one
from tests.integration.test_orgs_load_page import PASSWORD, _client

OLD, SURVIVOR = "330523108207", "330523108204"  # 大溪村 → 余村村 (天荒坪镇) on 2024-01-01
# then 天荒坪镇 → 梅溪镇 on 2025-01-01, 余村村 published as 330523110208
NEW_CODE = "330523110208"


def _end(day: date) -> datetime:
    return datetime.combine(day, time.max)


@pytest.fixture
def merged(store, tmp_path):
    load_day_one(store, tmp_path, as_of=date(2023, 7, 1))
    add_user(store, CLI_ADMIN, "county_admin", role="admin", org_code="330523",
             password=PASSWORD)  # fmt: skip
    county = store
    t = sheet_table("person")
    with county.engine.connect() as conn:
        someone = min(conn.execute(select(t.c.entity_id).where(t.c.org_code == OLD)).scalars())
    org_tree.merge_org(county, CLI_ADMIN, OLD, SURVIVOR, effective=date(2024, 1, 1))
    codes = tmp_path / "codes.csv"
    with codes.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["统计用区划代码", "名称"])
        w.writerows(
            [
                ("330523110200", "白水湾村委会"),
                ("330523110201", "井村村委会"),
                (NEW_CODE, "余村村委会"),
            ]
        )
    org_tree.merge_org(
        county, CLI_ADMIN, "330523108", "330523110", effective=date(2025, 1, 1),
        codes=codes.read_bytes(), codes_filename=codes.name,
    )  # fmt: skip
    return county, someone


EXPECTED = [  # (day, village code, village, town code, town)
    (date(2023, 12, 31), OLD, "大溪村", "330523108", "天荒坪镇"),
    (date(2024, 6, 1), SURVIVOR, "余村村", "330523108", "天荒坪镇"),
    (None, NEW_CODE, "余村村", "330523110", "梅溪镇"),  # today
]


def test_the_card_as_of_a_day_shows_that_days_village_and_town(merged):
    store, someone = merged
    for day, code, village, town_code, town in EXPECTED:
        card = read_entity(store, CLI_ADMIN, someone, as_of=_end(day) if day else None)
        assert (card.org_code, card.org_name, card.town_code, card.town_name) == (
            code, village, town_code, town,
        ), day  # fmt: skip
        if day is None:  # (values are read as recorded by then: this test records them now)
            assert card.value("person.name")


def test_the_page_and_the_api_as_of_a_day(merged):
    store, someone = merged
    admin = _client(store, "county_admin")
    for day, code, village, town_code, town in EXPECTED:
        query = f"?as_of={day.isoformat()}" if day else ""
        page = admin.get(f"/people/{someone}{query}")
        assert page.status_code == 200, page.text
        heading = re.search(r'<h2>.*?data-org="(\d+)">([^<]*)</span></h2>', page.text)
        assert heading.groups() == (code, f"{town} · {village}")
        if day:
            assert f'data-as-of="{day.isoformat()}"' in page.text
            assert 'action="/people/' not in page.text  # history offers no changes
        else:
            assert "data-as-of" not in page.text
        api = admin.get(f"/api/people/{someone}{query}").json()
        assert (api["org_code"], api["org_name"], api["town_code"], api["town_name"]) == (
            code, village, town_code, town,
        )  # fmt: skip
        assert api["as_of"] == (day.isoformat() if day else None)
    bad = admin.get(f"/api/people/{someone}?as_of=2024-13-45")
    assert bad.status_code == 422
