"""Cross-county linkage into each county's review queue (issue 18, item 2), on both backends.

Two counties are seeded; five people of county A are then registered in county B too: B's
health office imports them (name, sex, birth date, phone, a B address, no ID number — a
number belongs to one entity province-wide) and B's staff create them from the queue.
``services/province.link_counties`` scores the counties on DuckDB (the default; no Spark
needed) and must queue each of the five pairs in *both* counties' queues, each entry showing
the other county's person with the evidence, nothing merged. Each county's staff then
decide their own entry on the /link page and through the service, and cannot touch the
other county's.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from onesheet.domain.access import CLI_ADMIN, AccessDenied, Actor
from onesheet.domain.findings import InvalidInput
from onesheet.domain.masking import mask_value
from onesheet.linkage import model as lm
from onesheet.linkage.link import LinkConfig
from onesheet.services import linkage_queue, province
from onesheet.services.data_import import import_file
from onesheet.services.seed import seed_county
from onesheet.services.users import add_user
from onesheet.store import link_store
from onesheet.store.schema import table
from tests.integration.test_link_pages import PASSWORD, _client

A, B = "330523", "330522"
PEOPLE = 150
SHARED = 5
CONFIG = LinkConfig(model=lm.ModelConfig(u_max_pairs=2e4, min_labels=SHARED))


def _observations(store) -> int:  # type: ignore[no-untyped-def]
    o = table("observation")
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(o)).scalar_one())


def _two_counties(store) -> list[tuple[dict, dict]]:  # type: ignore[no-untyped-def, type-arg]
    """Seed A and B; then county B's health office registers SHARED of A's people, living in
    B now and without their ID number (a number belongs to one entity province-wide): the
    rows wait in B's queue and B's staff create them. Returns (A person, B person) pairs."""
    for county, seed in ((A, 7), (B, 8)):
        seed_county(store, CLI_ADMIN, county, people=PEOPLE, seed=seed, today=date(2026, 11, 1))
    with store.engine.connect() as conn:
        a = [p for p in link_store.sheet_people(conn, A) if p["phone"] and p["name"]]
        b = link_store.sheet_people(conn, B)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["姓名", "性别", "出生日期", "联系电话", "现住址"])
    for p, home in zip(a[:SHARED], b[-SHARED:], strict=True):
        sex = {"1": "男", "2": "女"}[p["gender"]]
        w.writerow([p["name"], sex, p["birth_date"], p["phone"], home["current_address"]])
    summary = import_file(
        store,
        CLI_ADMIN,
        buf.getvalue().encode(),
        filename="b_health.csv",
        department="health",
        county_code=B,
        config=LinkConfig(use_model=False),
    )
    assert (summary.created, summary.queued) == (0, SHARED), summary
    created = {}
    for entry in linkage_queue.list_entries(store, CLI_ADMIN):
        d = linkage_queue.decide(store, CLI_ADMIN, entry["id"], create=True)
        created[entry["record"]["person.name"]] = d.entity_id
    with store.engine.connect() as conn:
        now_b = {p["entity_id"]: p for p in link_store.sheet_people(conn, B)}
    return [(p, now_b[created[p["name"]]]) for p in a[:SHARED]]


def test_people_in_two_counties_wait_in_both_queues_and_each_county_decides(store) -> None:  # type: ignore[no-untyped-def]
    pairs = _two_counties(store)
    before = _observations(store)

    summary = province.link_counties(store, CLI_ADMIN, config=CONFIG)

    assert summary.counties == sorted([A, B])
    assert summary.people == {A: PEOPLE, B: PEOPLE + SHARED}
    assert _observations(store) == before  # queued, nothing written to anyone's sheet
    entries = [e for e in linkage_queue.list_entries(store, CLI_ADMIN) if e["kind"] == "county"]
    by_county: dict[str, dict[int, dict]] = {A: {}, B: {}}  # type: ignore[type-arg]
    for e in entries:
        by_county[e["county_code"]][int(e["candidates"][0][0])] = e
    for pa_, pb in pairs:
        ea, eb = by_county[A][pa_["entity_id"]], by_county[B][pb["entity_id"]]
        # A's entry: B's person as the record, A's own as the candidate, with the evidence
        assert ea["record"]["_other"] == {"county": B, "entity_id": pb["entity_id"]}
        assert eb["record"]["_other"] == {"county": A, "entity_id": pa_["entity_id"]}
        assert ea["record"]["person.current_address"] == pb["current_address"]
        assert eb["record"]["person.current_address"] == pa_["current_address"]
        assert ea["org_code"] == pa_["org_code"] and eb["org_code"] == pb["org_code"]
        for e in (ea, eb):
            _own, probability, evidence = e["candidates"][0]
            assert probability > 0.95, e
            assert evidence["name"] == evidence["birth"] == evidence["sex"] == "same"
            assert evidence["idn"] == "missing"  # B holds no number
            assert evidence["addr"] != "same"  # lives elsewhere: shown, not hidden
            assert e["status"] == "open" and e["source"] == "province"
    assert summary.pairs_queued >= SHARED
    assert summary.queued[A] == summary.queued[B] == summary.pairs_queued

    again = province.link_counties(store, CLI_ADMIN, config=CONFIG)
    assert again.pairs_queued == 0 and again.already_queued == summary.pairs_queued

    # each county's staff: town-level admins of their own county only
    pa_, pb = pairs[0]
    ea, eb = by_county[A][pa_["entity_id"]], by_county[B][pb["entity_id"]]
    staff_a = Actor("staff_a", "town", pa_["org_code"][:9])
    staff_b = Actor("staff_b", "town", pb["org_code"][:9])
    seen_a = {e["id"] for e in linkage_queue.list_entries(store, staff_a)}
    assert ea["id"] in seen_a and eb["id"] not in seen_a
    with pytest.raises(AccessDenied):
        linkage_queue.decide(store, staff_a, eb["id"], entity_id=pb["entity_id"])
    with pytest.raises(InvalidInput):  # no new person from another county's record
        linkage_queue.decide(store, staff_a, ea["id"], create=True)
    with pytest.raises(InvalidInput):  # only its own county's candidate
        linkage_queue.decide(store, staff_a, ea["id"], entity_id=pb["entity_id"])
    with pytest.raises(AccessDenied):  # the province-wide run is not a county's
        province.link_counties(store, staff_a, config=CONFIG)

    done = linkage_queue.decide(store, staff_a, ea["id"], entity_id=pa_["entity_id"])
    assert (done.status, done.entity_id, done.batch_id) == ("linked", pa_["entity_id"], None)
    rejected = linkage_queue.decide(store, staff_b, eb["id"], reject=True)
    assert rejected.status == "rejected"
    assert _observations(store) == before  # a decision merges nothing across counties
    closed = {e["id"]: e for e in linkage_queue.list_entries(store, CLI_ADMIN, status=None)}
    assert closed[ea["id"]]["decided_by"] == "staff_a"
    assert closed[ea["id"]]["decision_entity_id"] == pa_["entity_id"]
    assert closed[eb["id"]]["decided_by"] == "staff_b"
    with store.engine.connect() as conn:
        audit = table("audit_event")
        details = conn.execute(
            select(audit.c.detail).where(audit.c.action == "link.province")
        ).scalars()
        assert any('"queued"' in d for d in details)


def test_the_link_page_shows_the_other_county_and_offers_no_new_person(store) -> None:  # type: ignore[no-untyped-def]
    pairs = _two_counties(store)
    province.link_counties(store, CLI_ADMIN, config=CONFIG)
    pa_, pb = pairs[1]
    add_user(
        store, CLI_ADMIN, "town_a", role="town", org_code=pa_["org_code"][:9], password=PASSWORD
    )
    entries = linkage_queue.list_entries(store, CLI_ADMIN)
    ea = next(e for e in entries if e["kind"] == "county" and e["county_code"] == A
              and e["candidates"][0][0] == pa_["entity_id"])  # fmt: skip
    eb = next(e for e in entries if e["kind"] == "county" and e["county_code"] == B
              and e["candidates"][0][0] == pb["entity_id"])  # fmt: skip

    cadre = _client(store, "town_a")
    listing = cadre.get("/link")
    assert f'href="/link/{ea["id"]}"' in listing.text
    assert f'href="/link/{eb["id"]}"' not in listing.text
    assert "另一县也有登记" in listing.text
    page = cadre.get(f"/link/{ea['id']}")
    assert page.status_code == 200, page.text
    assert f"{B} 县登记的人员" in page.text  # the other county's person, named as such
    assert pb["current_address"] in page.text  # B's address beside A's own person
    assert pa_["id_number"] not in page.text  # masked on both sides, as the card is
    assert mask_value("id_number", pa_["id_number"]) in page.text
    assert "确认是同一人" in page.text and 'value="create"' not in page.text
    assert cadre.get(f"/link/{eb['id']}").status_code == 403  # the other county's entry
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    done = cadre.post(
        f"/link/{ea['id']}",
        data={"csrf_token": csrf, "action": "link", "entity_id": str(pa_["entity_id"])},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    after = {e["id"]: e for e in linkage_queue.list_entries(store, CLI_ADMIN, status=None)}
    assert after[ea["id"]]["status"] == "linked" and after[eb["id"]]["status"] == "open"
