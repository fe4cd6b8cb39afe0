"""The link queue as a page (issue 13 item 3): a village cadre decides a row a keyless import
could not place — masked as the person card is, one POST to link, CSRF checked first.
"""

from __future__ import annotations

import csv
import io
import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from onesheet.domain.access import CLI_ADMIN
from onesheet.domain.masking import mask_value
from onesheet.services import linkage_queue
from onesheet.services.data_import import import_file
from onesheet.services.users import add_user
from onesheet.store import link_store
from onesheet.store.schema import sheet_table, table
from tests.integration.helpers import COUNTY, seed_small, sign_in

PASSWORD = "correct horse 9"
NEW_PHONE = "13765432109"


def _client(store, username: str) -> TestClient:  # type: ignore[no-untyped-def]
    from onesheet.web.app import create_app

    client = TestClient(create_app(store))
    assert sign_in(client, username, PASSWORD).status_code == 303
    return client


def _queued(store):  # type: ignore[no-untyped-def]
    """A keyless row naming a resident of a village: it waits with her as a candidate."""
    seed_small(store, people=120)
    with store.engine.connect() as conn:
        people = link_store.sheet_people(conn, COUNTY)
    p = next(x for x in people if x["id_number"] and x["name"] and x["org_code"])
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["姓名", "公民身份号码", "联系电话"])
    w.writerow([p["name"], "", NEW_PHONE])  # no ID number at all
    summary = import_file(
        store, CLI_ADMIN, buf.getvalue().encode(), filename="kl.csv", department="health"
    )
    assert summary.created == 0 and summary.queued == 1, summary
    (entry,) = linkage_queue.list_entries(store, CLI_ADMIN)
    assert p["entity_id"] in [c[0] for c in entry["candidates"]]
    return p, entry


def _set_entry_org(store, entry_id: int, org_code: str) -> None:  # type: ignore[no-untyped-def]
    q = table("link_queue")
    with store.engine.begin() as conn:
        conn.execute(q.update().where(q.c.id == entry_id).values(org_code=org_code))


def _phone(store, entity_id: int) -> str | None:  # type: ignore[no-untyped-def]
    t = sheet_table("person")
    with store.engine.connect() as conn:
        return conn.execute(select(t.c.phone).where(t.c.entity_id == entity_id)).scalar()


def _observations(store) -> int:  # type: ignore[no-untyped-def]
    o = table("observation")
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(o)).scalar_one())


def _villages(store) -> list[str]:  # type: ignore[no-untyped-def]
    t = sheet_table("person")
    with store.engine.connect() as conn:
        codes = conn.execute(select(t.c.org_code).distinct()).scalars().all()
    return sorted({c[:12] for c in codes})


def test_village_cadre_links_a_queued_row_from_the_page(store):
    p, entry = _queued(store)
    village = p["org_code"][:12]
    _set_entry_org(store, entry["id"], village)  # the row names her village
    other = next(v for v in _villages(store) if v != village)
    add_user(store, CLI_ADMIN, "cadre", role="village", org_code=village, password=PASSWORD)
    add_user(store, CLI_ADMIN, "cadre_b", role="village", org_code=other, password=PASSWORD)
    cadre = _client(store, "cadre")

    listing = cadre.get("/link")
    assert listing.status_code == 200 and f'href="/link/{entry["id"]}"' in listing.text
    assert 'href="/link"' in listing.text  # the nav link

    page = cadre.get(f"/link/{entry['id']}")
    assert page.status_code == 200, page.text
    assert p["id_number"] not in page.text
    assert mask_value("id_number", p["id_number"]) in page.text  # the candidate, masked
    assert p["name"] in page.text and NEW_PHONE[:3] in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]

    # another village's cadre sees neither the entry nor its decision
    other_cadre = _client(store, "cadre_b")
    assert other_cadre.get(f"/link/{entry['id']}").status_code == 403
    assert f"/link/{entry['id']}" not in other_cadre.get("/link").text
    assert other_cadre.get("/link/999999").status_code == 404

    # without CSRF: refused first, nothing written
    before = _observations(store)
    refused = cadre.post(
        f"/link/{entry['id']}",
        data={"action": "link", "entity_id": str(p["entity_id"])},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert _observations(store) == before
    assert linkage_queue.list_entries(store, CLI_ADMIN)[0]["status"] == "open"

    done = cadre.post(
        f"/link/{entry['id']}",
        data={"csrf_token": csrf, "action": "link", "entity_id": str(p["entity_id"])},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"/link?done={entry['id']}"
    assert _phone(store, p["entity_id"]) == NEW_PHONE
    (closed,) = linkage_queue.list_entries(store, CLI_ADMIN, status=None)
    assert closed["status"] == "linked" and closed["decided_by"] == "cadre"
    assert f'href="/link/{entry["id"]}"' not in cadre.get("/link").text

    # a second decision on the closed entry is refused, not applied twice
    again = cadre.post(
        f"/link/{entry['id']}",
        data={"csrf_token": csrf, "action": "reject"},
        follow_redirects=False,
    )
    assert again.status_code == 400
