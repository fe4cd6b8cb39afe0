"""A viewer who sees ID numbers masked cannot guess a hidden number by writing guesses.

Each guess written onto a person of one's own village either goes through (a real change)
or is refused as "held by another person" - which marks the right guess. So every ID-number
write by a masked viewer, done or refused, is audited under one detail and rationed per day
(``services/sheet_write.ID_WRITES_A_DAY``); whoever sees ID numbers in full is not rationed.
On SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest

from onesheet.domain.access import AccessDenied, Actor
from onesheet.domain.findings import InvalidInput
from onesheet.services.base import Store
from onesheet.services.sheet_write import (
    ID_WRITE_DETAIL,
    ID_WRITES_A_DAY,
    Change,
    record_changes,
)
from tests.integration.helpers import COUNTY, seed_small
from tests.integration.test_probe_2026_11_30 import _events, _unused_numbers, _village_people


def _write(store: Store, actor: Actor, entity_id: int, number: str) -> None:
    record_changes(store, actor, entity_id, [Change("person.id_number", number)])


def test_id_number_guesses_by_a_masked_viewer_are_audited_and_rationed(store: Store) -> None:
    seed_small(store, people=60)
    village, people = _village_people(store)
    cadre = Actor("cadre", "village", village)
    mine, neighbour = people[0], people[1]
    guesses = _unused_numbers(store, ID_WRITES_A_DAY)
    for guess in guesses[: ID_WRITES_A_DAY - 1]:
        _write(store, cadre, mine["entity_id"], guess)  # a wrong guess: a real change
    with pytest.raises(InvalidInput) as held:  # the right guess: refused, rolled back
        _write(store, cadre, mine["entity_id"], neighbour["id_number"])
    assert held.value.findings[0].code == "id_number.duplicate"
    tries = [
        e for e in _events(store, "sheet.write") if str(e["detail"]).startswith(ID_WRITE_DETAIL)
    ]
    assert len(tries) == ID_WRITES_A_DAY  # 19 writes and the refusal, each with the person
    assert {e["actor"] for e in tries} == {"cadre"}
    assert {e["entity_ids"] for e in tries} == {str(mine["entity_id"])}
    assert "refused" in str(tries[-1]["detail"])
    with pytest.raises(AccessDenied) as spent:  # the day's guesses are spent
        _write(store, cadre, mine["entity_id"], guesses[-1])
    assert "身份证号" in spent.value.message_zh
    other = Actor("cadre2", "village", village)  # the ration is the actor's own
    _write(store, other, mine["entity_id"], guesses[-1])


def test_a_viewer_who_sees_id_numbers_in_full_is_not_rationed(store: Store) -> None:
    seed_small(store, people=60)
    _, people = _village_people(store)
    admin = Actor("boss", "admin", COUNTY)  # sees ID numbers in full
    for guess in _unused_numbers(store, ID_WRITES_A_DAY + 2):
        _write(store, admin, people[0]["entity_id"], guess)
    details = [str(e["detail"]) for e in _events(store, "sheet.write")]
    assert len(details) == ID_WRITES_A_DAY + 2
    assert not any(d.startswith(ID_WRITE_DETAIL) for d in details)
