"""The link queue speaks of the row's own kind: a queued place offers "新建场所" (not "新建人员"),
creating it makes a place, and the audit events of reading and deciding it name a place —
as a person's entry still offers "新建人员" and is audited as a person. And the refusal of an
entity that cannot be imported names every kind that can (places too).
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from onesheet.domain.access import CLI_ADMIN, Actor
from onesheet.domain.findings import InvalidInput
from onesheet.services import data_import
from onesheet.services.reference import list_orgs
from onesheet.services.users import add_user
from onesheet.store.schema import sheet_table, table
from tests.forms.forms_places import export_xlsx, hazards_export
from tests.integration.helpers import COUNTY, seed_small
from tests.integration.test_link_pages import PASSWORD, _client, _queued, _set_entry_org

EMERGENCY = Actor("emergency-clerk", "department", COUNTY, "emergency")


def _entry_id(client: TestClient) -> str:
    listing = client.get("/link")
    assert listing.status_code == 200
    return re.search(r'href="/link/(\d+)"', listing.text).group(1)  # type: ignore[union-attr]


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def _count(store, entity_type: str) -> int:  # type: ignore[no-untyped-def]
    e = table("entity")
    q = select(func.count()).where(e.c.entity_type == entity_type)
    with store.engine.connect() as conn:
        return int(conn.execute(q).scalar_one())


def _audited(store, action: str, entity_id: int | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    """The entity types of ``action`` events, oldest first (of those naming ``entity_id``)."""
    a = table("audit_event")
    q = select(a.c.entity_type, a.c.entity_ids).where(a.c.action == action).order_by(a.c.id)
    with store.engine.connect() as conn:
        rows = conn.execute(q).all()
    return [t for t, ids in rows if entity_id is None or str(entity_id) in str(ids)]


def _decide_by_creating(client: TestClient, entry_id: str) -> None:
    page = client.get(f"/link/{entry_id}")
    done = client.post(
        f"/link/{entry_id}",
        data={"csrf_token": _csrf(page.text), "action": "create"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def test_a_queued_place_is_created_as_a_place_and_audited_as_one(store):
    seed_small(store, people=20)
    village = next(u for u in list_orgs(store, CLI_ADMIN) if u.level == "village")
    town = next(u for u in list_orgs(store, CLI_ADMIN) if u.code == village.parent_code)
    head, rows = hazards_export((town.name, village.name))
    data_import.import_file(
        store, EMERGENCY, export_xlsx(head, rows), department="emergency",
        filename="重大危险源.xlsx", entity="place",
    )  # fmt: skip
    rows[0][0] = "天成化工储灌区"  # a mistyped name waits for a person instead of a new place
    again = data_import.import_file(
        store, EMERGENCY, export_xlsx(head, rows), department="emergency",
        filename="重大危险源（更新）.xlsx", entity="place",
    )  # fmt: skip
    assert (again.created, again.queued) == (0, 1)
    add_user(store, CLI_ADMIN, "cadre", role="village", org_code=village.code, password=PASSWORD)
    places, people = _count(store, "place"), _count(store, "person")

    with _client(store, "cadre") as client:
        entry_id = _entry_id(client)
        page = client.get(f"/link/{entry_id}")
        assert page.status_code == 200 and "天成化工储灌区" in page.text
        assert "新建场所" in page.text and "关联到此场所" in page.text
        assert "新建人员" not in page.text and "关联到此人" not in page.text
        english = client.get(f"/link/{entry_id}?lang=en")
        assert "Create a new place" in english.text and "new person" not in english.text
        _decide_by_creating(client, entry_id)

    assert (_count(store, "place"), _count(store, "person")) == (places + 1, people)
    t = sheet_table("place")
    with store.engine.connect() as conn:
        created = conn.execute(select(t.c.entity_id).where(t.c.name == "天成化工储灌区")).scalar()
    assert created is not None
    assert _audited(store, "link.decide", created) == ["place"]
    assert _audited(store, "link.queue")[-4:] == ["place"] * 4  # the list, the entry (3 times)


def test_a_queued_person_is_still_offered_and_audited_as_a_person(store):
    person, entry = _queued(store)
    village = person["org_code"][:12]  # her org unit may be a grid below the village
    _set_entry_org(store, entry["id"], village)  # the row names her village
    add_user(store, CLI_ADMIN, "cadre", role="village", org_code=village, password=PASSWORD)
    people = _count(store, "person")
    with _client(store, "cadre") as client:
        entry_id = _entry_id(client)
        page = client.get(f"/link/{entry_id}")
        assert "新建人员" in page.text and "关联到此人" in page.text
        assert "新建场所" not in page.text and "新建企业" not in page.text
        _decide_by_creating(client, entry_id)
    assert _count(store, "person") == people + 1
    assert _audited(store, "link.decide")[-1] == "person"


@pytest.mark.parametrize("entity", ["household", "thing"])
def test_an_entity_that_cannot_be_imported_is_refused_naming_those_that_can(store, entity):
    with pytest.raises(InvalidInput) as refused:
        data_import.import_file(
            store, CLI_ADMIN, b"a,b\n1,2\n", filename="x.csv", department="health", entity=entity
        )
    (found,) = refused.value.findings
    assert found.code == "import.entity"
    assert found.message_zh == "目前仅支持导入人员、企业和场所数据"
    assert found.message_en == "only person, enterprise and place imports for now"
