"""A run explains its plainly paid people when first read: what is read must be what the
run saw, the same words an explanation made during the run has, and the run's stored items
must be its lists.

The run decides from one SELECT and stores its items in bulk; each listed person's
explanation (every input's value, source and date, every verdict) is put together on first
read from the observation log up to the run's high-water mark. These tests change the data
after a run and read the explanation afterwards, compare the explanations read later with
those a roster download makes inside the run, and read the stored items back.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from onesheet.services import eligibility
from onesheet.services.base import Store
from onesheet.services.eligibility import RunResult, run_rule
from onesheet.services.sheet_write import Change, record_changes
from onesheet.store.schema import sheet_table, table
from tests.integration.helpers import COUNTY, seed_small
from tests.integration.test_eligibility import ADMIN, DEPT, MONTH, _approved, _latest

RULE_KEY = "gaoling_jintie"


def _by_id(result: RunResult) -> dict[int, object]:
    return {e.entity_id: e for items in result.lists.values() for e in items}


def _birth(entry) -> object:  # type: ignore[no-untyped-def]
    return next(t for t in entry.tests if t.field == "person.birth_date" and t.part == "conditions")


def test_explanation_read_after_a_change_shows_what_the_run_saw(store: Store) -> None:
    seed_small(store, people=400)
    _approved(store)
    first = run_rule(store, DEPT, RULE_KEY, COUNTY, MONTH)
    assert len(first.lists["new"]) >= 3
    person = first.lists["new"][1]
    before = _latest(store, person.entity_id, "person.birth_date")
    # after the run, public security corrects the birth date: the person is now too young
    record_changes(
        store,
        ADMIN,
        person.entity_id,
        [Change("person.birth_date", "1990-01-01")],
        source="public_security",
    )
    # the explanation, read only now, still shows the value, source and date the run read
    birth = _birth(person)
    assert birth.value == before.value != "1990-01-01"
    assert birth.source == before.source
    assert birth.valid_from == before.valid_from.date().isoformat()
    assert birth.outcome == "符合"
    assert person.reason.startswith("户籍在") and before.value in person.reason
    # the next run reads the correction: the person is no longer listed
    again = run_rule(store, DEPT, RULE_KEY, COUNTY, MONTH)
    assert person.entity_id not in _by_id(again)
    assert len(again.lists["new"]) == len(first.lists["new"]) - 1


def test_explanations_read_later_equal_those_made_during_the_run(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_small(store, people=500)
    _approved(store)
    monkeypatch.setattr(eligibility._Explainer, "CHUNK", 3)  # several chunks, either way
    # a roster download explains everyone inside the run's transaction
    during = run_rule(store, DEPT, RULE_KEY, COUNTY, MONTH, fmt="csv", out=io.BytesIO())
    later = run_rule(store, DEPT, RULE_KEY, COUNTY, MONTH)
    assert {k: [e.entity_id for e in v] for k, v in later.lists.items()} == {
        k: [e.entity_id for e in v] for k, v in during.lists.items()
    }
    listed = _by_id(during)
    assert len(listed) >= 5
    # read from the end of the list first: each read explains its own chunk
    for entry in reversed(later.lists["new"]):
        made = listed[entry.entity_id]
        assert entry.reason == made.reason and entry.reason  # type: ignore[attr-defined]
        assert entry.tests == made.tests  # type: ignore[attr-defined]
        assert entry == made
    # and read from the start: each read explains the next chunk of the list
    forward = run_rule(store, DEPT, RULE_KEY, COUNTY, MONTH)
    for entry in forward.lists["new"]:
        assert entry == listed[entry.entity_id]
    # every input value of every explanation is the person's current sheet value
    people = _people(store)
    for entry in later.lists["new"]:
        birth = _birth(entry)
        assert birth.value == people[entry.entity_id]["birth_date"].isoformat()
        assert sum(1 for t in entry.tests if t.part == "conditions") == 4  # area + 3


def test_stored_items_are_the_lists(store: Store) -> None:
    seed_small(store, people=500)
    _approved(store)
    result = run_rule(store, DEPT, RULE_KEY, COUNTY, MONTH)
    it = table("eligibility_run_entry")
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(it).where(it.c.run_id == result.run_id).order_by(it.c.entity_id)
        ).all()
    expected = sorted(
        (e.entity_id, k, e.org_code, e.tier, e.amount)
        for k, items in result.lists.items()
        for e in items
    )
    assert [(r.entity_id, r.list, r.org_code, r.tier, r.amount) for r in rows] == expected
    assert all(isinstance(r.amount, Decimal) for r in rows)
    assert {r.amount for r in rows} <= {Decimal("100"), Decimal("200.50"), Decimal("500")}
    assert Decimal("200.50") in {r.amount for r in rows}, "the seed needs someone aged 90-99"
    # nothing was explained yet, so the plainly paid were stored without a reason; the
    # no longer eligible and the cannot-tell always with theirs
    assert all((r.reason == "") == (r.list in ("new", "kept")) for r in rows)
    run = table("eligibility_run")
    with store.engine.connect() as conn:
        stored = conn.execute(select(run).where(run.c.id == result.run_id)).one()
    assert stored.new == len(result.lists["new"]) and stored.amount == result.amount


def _people(store: Store) -> dict[int, dict]:  # type: ignore[type-arg]
    t = sheet_table("person")
    with store.engine.connect() as conn:
        return {r.entity_id: dict(r._mapping) for r in conn.execute(select(t))}


def test_month_end_ages_count_from_the_log(store: Store) -> None:
    """A person whose 80th birthday falls after the month is not listed; the explanation of
    one just in shows the birth date the verdict read."""
    seed_small(store, people=300)
    _approved(store)
    result = run_rule(store, DEPT, RULE_KEY, COUNTY, MONTH)
    day = date(2026, 11, 30)
    for entry in result.lists["new"][:10]:
        born = date.fromisoformat(_birth(entry).value)
        years = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        assert years >= 80
        assert entry.tier == (
            "80-89岁" if years < 90 else "90-99岁" if years < 100 else "100岁以上"
        )
