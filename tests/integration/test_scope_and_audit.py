"""Every read goes through the actor's scope and fields, and personal reads are audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from onesheet.domain.access import CLI_ADMIN, AccessDenied, Actor
from onesheet.services.sheet_read import read_entity, search_people
from onesheet.services.sheet_write import Change, record_changes
from onesheet.services.users import add_user, verify_password
from onesheet.store.schema import table
from tests.integration.helpers import first_person, seed_small


def _two_villages(store):
    t = table("sheet_person")
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.c.entity_id, t.c.org_code).order_by(t.c.entity_id)).all()
    first = rows[0]
    other = next(r for r in rows if r.org_code[:12] != first.org_code[:12])
    return first, other


def _audit(store):
    t = table("audit_event")
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(t).order_by(t.c.id))]


def test_village_cadre_sees_own_village_masked_and_nothing_else(store):
    seed_small(store, people=400)
    mine, theirs = _two_villages(store)
    cadre = Actor("cadre", "village", mine.org_code[:12])
    card = read_entity(store, cadre, mine.entity_id)
    full = read_entity(store, CLI_ADMIN, mine.entity_id)
    id_number = full.value("person.id_number")
    masked = card.value("person.id_number")
    assert masked == id_number[:14] + "****"  # area + birth date; sequence and check hidden
    with pytest.raises(AccessDenied):
        read_entity(store, cadre, theirs.entity_id)
    with pytest.raises(AccessDenied):
        record_changes(store, cadre, theirs.entity_id, [Change("person.phone", "13900005555")])
    hits = search_people(store, cadre, id_number)
    assert [h.entity_id for h in hits] == [mine.entity_id]
    other_id = read_entity(store, CLI_ADMIN, theirs.entity_id).value("person.id_number")
    assert search_people(store, cadre, other_id) == []


def test_department_sees_only_granted_fields(store):
    seed_small(store)
    eid = first_person(store)["entity_id"]
    health = Actor("wj", "department", "330523", department="health")
    civil = Actor("mz", "department", "330523", department="civil_affairs")
    health_keys = {v.key for v in read_entity(store, health, eid).values}
    civil_keys = {v.key for v in read_entity(store, civil, eid).values}
    assert "person.chronic_disease" in health_keys
    assert "person.chronic_disease" not in civil_keys
    assert "person.bank_account" in civil_keys
    assert "person.bank_account" not in health_keys


def test_reviewer_may_not_read_people(store):
    seed_small(store)
    eid = first_person(store)["entity_id"]
    with pytest.raises(AccessDenied):
        read_entity(store, Actor("r", "reviewer", "330523"), eid)


def test_personal_reads_are_audited_with_actor_and_fields(store):
    seed_small(store)
    eid = first_person(store)["entity_id"]
    cadre = Actor("cadre", "village", first_person(store)["org_code"][:12])
    before = len(_audit(store))
    read_entity(store, cadre, eid)
    search_people(store, cadre, "王")
    events = _audit(store)[before:]
    assert [e["action"] for e in events] == ["sheet.read", "sheet.search"]
    assert events[0]["actor"] == "cadre" and events[0]["entity_ids"] == str(eid)
    assert "person.id_number" in events[0]["fields"]


def test_users_are_stored_with_argon2_and_verified(store):
    seed_small(store, people=50)
    village = first_person(store)["org_code"][:12]
    add_user(
        store, CLI_ADMIN, "li_cadre", role="village", org_code=village, password="correct horse"
    )
    t = table("app_user")
    with store.engine.connect() as conn:
        stored = conn.execute(select(t.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    actor = verify_password(store, "li_cadre", "correct horse")
    assert actor is not None and actor.org_code == village and actor.role == "village"
    assert verify_password(store, "li_cadre", "wrong password") is None
