"""The log is append-only and the current view follows it (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from onesheet.domain.access import CLI_ADMIN
from onesheet.domain.findings import InvalidInput
from onesheet.services.base import utcnow
from onesheet.services.sheet_admin import rebuild_view
from onesheet.services.sheet_read import list_conflicts, read_entity
from onesheet.services.sheet_write import Change, record_changes
from onesheet.store.schema import sheet_table, table
from onesheet.store.sheet_view import ConcurrentEdit
from tests.integration.helpers import first_person, log_rows, seed_small


def test_seed_then_rebuild_check_is_clean(store):
    result = seed_small(store)
    assert result.entities["person"] == 300
    report = rebuild_view(store, CLI_ADMIN, check_only=True)
    assert report.clean, report.examples
    assert report.entities["person"] == 300


def test_corrections_and_tombstones_never_touch_earlier_rows(store):
    seed_small(store)
    before = log_rows(store)
    person = first_person(store)
    eid = person["entity_id"]
    record_changes(store, CLI_ADMIN, eid, [Change("person.phone", "13900001111")])
    record_changes(store, CLI_ADMIN, eid, [Change("person.phone", "139 0000 2222")])
    record_changes(
        store, CLI_ADMIN, eid, [Change("person.phone", kind="tombstone", reason="号码已停用")]
    )
    after = log_rows(store)
    assert after[: len(before)] == before  # byte-identical earlier rows
    assert len(after) == len(before) + 3
    assert [r[5] for r in after[len(before) :]] == ["13900001111", "13900002222", None]
    assert first_person(store, entity_id=eid)["phone"] is None
    assert rebuild_view(store, CLI_ADMIN, check_only=True).clean


def test_as_of_returns_values_then_current(store):
    seed_small(store)
    eid = first_person(store)["entity_id"]
    old = read_entity(store, CLI_ADMIN, eid).value("person.current_address")
    moment = utcnow()
    record_changes(
        store,
        CLI_ADMIN,
        eid,
        [Change("person.current_address", "浙江省湖州市安吉县递铺街道新址1号")],
    )
    assert read_entity(store, CLI_ADMIN, eid).value("person.current_address") == (
        "浙江省湖州市安吉县递铺街道新址1号"
    )
    assert read_entity(store, CLI_ADMIN, eid, as_of=moment).value("person.current_address") == old
    before_seed = moment - timedelta(days=3650)
    assert read_entity(store, CLI_ADMIN, eid, as_of=before_seed).value("person.name") is None


def test_wrong_check_digit_is_refused_naming_expected_digit_and_nothing_written(store):
    seed_small(store)
    person = first_person(store)
    good = person["id_number"]
    digits = "0123456789X"
    wrong = good[:17] + next(c for c in digits if c != good[17])
    before = log_rows(store)
    with pytest.raises(InvalidInput) as caught:
        record_changes(store, CLI_ADMIN, person["entity_id"], [Change("person.id_number", wrong)])
    message = caught.value.message("zh")
    assert good[17] in message and "校验" in message
    assert log_rows(store) == before


def test_one_bad_value_refuses_the_whole_batch(store):
    seed_small(store)
    eid = first_person(store)["entity_id"]
    before = log_rows(store)
    with pytest.raises(InvalidInput) as caught:
        record_changes(
            store,
            CLI_ADMIN,
            eid,
            [
                Change("person.phone", "13900001111"),
                Change("person.birth_date", "1980-02-30"),
            ],
        )
    assert caught.value.findings[0].field == "person.birth_date"
    assert log_rows(store) == before


def test_authority_wins_and_disagreement_becomes_a_conflict_until_settled(store):
    seed_small(store)
    person = first_person(store)
    eid, name = person["entity_id"], person["name"]
    # A village cadre writes another name; 公安 is the authority for person.name.
    record_changes(store, CLI_ADMIN, eid, [Change("person.name", name + "某")], source="village")
    assert first_person(store, entity_id=eid)["name"] == name
    conflicts = [c for c in list_conflicts(store, CLI_ADMIN) if c.entity_id == eid]
    assert [c.field_key for c in conflicts] == ["person.name"]
    assert {v["source"] for v in conflicts[0].values} == {"public_security", "village"}
    # The village settles it: the settlement wins, the conflict closes.
    record_changes(store, CLI_ADMIN, eid, [Change("person.name", name + "某", kind="settle")])
    assert first_person(store, entity_id=eid)["name"] == name + "某"
    assert not [c for c in list_conflicts(store, CLI_ADMIN) if c.entity_id == eid]
    assert rebuild_view(store, CLI_ADMIN, check_only=True).clean


def test_concurrent_edit_is_refused_not_overwritten(store):
    seed_small(store)
    eid = first_person(store)["entity_id"]
    seen = read_entity(store, CLI_ADMIN, eid).version
    record_changes(
        store, CLI_ADMIN, eid, [Change("person.phone", "13900003333")], expected_version=seen
    )
    before = log_rows(store)
    with pytest.raises(ConcurrentEdit):
        record_changes(
            store, CLI_ADMIN, eid, [Change("person.phone", "13900004444")], expected_version=seen
        )
    assert log_rows(store) == before
    assert first_person(store, entity_id=eid)["phone"] == "13900003333"


def test_rebuild_check_detects_and_rebuild_repairs_a_tampered_view(store):
    seed_small(store)
    eid = first_person(store)["entity_id"]
    t = sheet_table("person")
    with store.transaction() as conn:
        conn.execute(update(t).where(t.c.entity_id == eid).values(name="篡改"))
    report = rebuild_view(store, CLI_ADMIN, check_only=True)
    assert report.differing_rows == 1 and not report.clean
    rebuild_view(store, CLI_ADMIN, check_only=False)
    assert first_person(store, entity_id=eid)["name"] != "篡改"
    assert rebuild_view(store, CLI_ADMIN, check_only=True).clean


def test_every_entity_table_carries_the_county_code(store):
    seed_small(store)
    for name in (
        "entity",
        "observation",
        "sheet_person",
        "sheet_household",
        "sheet_house",
        "sheet_enterprise",
        "conflict",
        "batch",
    ):
        t = table(name)
        assert "county_code" in t.c
        with store.engine.connect() as conn:
            bad = conn.execute(
                select(func.count()).select_from(t).where(t.c.county_code != "330523")
            ).scalar_one()
        assert bad == 0, name


def test_every_batch_counts_its_observations(store):
    from sqlalchemy import func, select

    from onesheet.store.schema import table

    seed_small(store, people=120)
    b, o = table("batch"), table("observation")
    with store.engine.connect() as conn:
        counted = dict(conn.execute(select(b.c.id, b.c.observation_count)).all())
        actual = dict(conn.execute(select(o.c.batch_id, func.count()).group_by(o.c.batch_id)).all())
    assert counted and counted == {k: actual.get(k, 0) for k in counted}
