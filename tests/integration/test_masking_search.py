"""Masked ID numbers hold together: search, the person card, lists and reports.

A viewer who sees ID numbers masked (a village cadre; a department without the unmasked
grant) must not learn the hidden digits from a search: a prefix — 17 digits, or area code +
birth date — finds nobody; only the whole number finds the person. Every place the number
is shown uses the same rule: area code and birth date, then ``****``.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from onesheet.domain.access import CLI_ADMIN, AccessDenied, Actor
from onesheet.domain.grants import DepartmentGrant
from onesheet.domain.values.idnumber import make_id_number
from onesheet.services.base import Store
from onesheet.services.reports import run_report
from onesheet.services.sheet_read import (
    ID_LOOKUP_MISSES,
    filter_people,
    read_entity,
    search_people,
)
from tests.integration.helpers import seed_small
from tests.reports.support import REPORT_DATE, add_template, children, sheet_rows

HEALTH = Actor("wj", "department", "330523", department="health")  # ID masked
CIVIL = Actor("mz", "department", "330523", department="civil_affairs")  # ID unmasked


def _masked(number: str) -> str:
    return number[:14] + "****"


def _setup(store: Store) -> tuple[Actor, dict, list[dict]]:  # type: ignore[type-arg]
    seed_small(store, people=300)
    town = children(store, "330523")[0]
    village = children(store, town)[0]
    people = [p for p in sheet_rows(store, "person") if p["org_code"].startswith(village)]
    person = next(p for p in people if p["id_number"] and p["name"])
    return Actor("cadre", "village", village), person, people


def test_masked_viewers_find_a_person_by_the_whole_number_only(store: Store) -> None:
    cadre, person, _ = _setup(store)
    number = person["id_number"]
    legacy15 = number[:6] + number[8:17]  # the same person's number before 1999
    for viewer in (cadre, HEALTH):
        for prefix in (number[:17], number[:14], number[:10], number[:6]):
            assert search_people(store, viewer, prefix) == [], (viewer.username, prefix)
        wrong_check = number[:17] + ("0" if number[17] != "0" else "1")
        assert search_people(store, viewer, wrong_check) == []
        for query in (number, number.lower(), f" {number[:6]} {number[6:14]} {number[14:]} "):
            hits = search_people(store, viewer, query)
            assert [h.entity_id for h in hits] == [person["entity_id"]]
            assert hits[0].id_number == _masked(number)
        if number[6:8] == "19":
            assert [h.entity_id for h in search_people(store, viewer, legacy15)] == [
                person["entity_id"]
            ]
    # the name search is unchanged, and its hits show the new mask
    numbers = {p["entity_id"]: p["id_number"] for p in sheet_rows(store, "person")}
    by_name = search_people(store, cadre, person["name"])
    assert person["entity_id"] in {h.entity_id for h in by_name}
    assert all(h.id_number == _masked(numbers[h.entity_id]) for h in by_name)


def test_full_viewers_keep_prefix_search(store: Store) -> None:
    _, person, _ = _setup(store)
    number = person["id_number"]
    for viewer in (CLI_ADMIN, CIVIL):
        for prefix in (number[:17], number[:14]):
            hits = search_people(store, viewer, prefix, limit=200)
            assert person["entity_id"] in {h.entity_id for h in hits}
            assert all(h.id_number and h.id_number.startswith(prefix) for h in hits)
        assert [h.id_number for h in search_people(store, viewer, number)] == [number]


def test_a_department_that_may_not_see_id_numbers_cannot_search_by_them(store: Store) -> None:
    _, person, _ = _setup(store)
    store.grants["nobody"] = DepartmentGrant(
        "nobody", frozenset({"person.name", "person.birth_date"}), frozenset()
    )
    blind = Actor("x", "department", "330523", department="nobody")
    assert search_people(store, blind, person["id_number"]) == []
    assert search_people(store, blind, person["id_number"][:14]) == []
    assert person["entity_id"] in {h.entity_id for h in search_people(store, blind, person["name"])}


def test_missed_lookups_are_rationed(store: Store) -> None:
    cadre, person, _ = _setup(store)
    taken = {p["id_number"] for p in sheet_rows(store, "person")}
    free = (make_id_number("330523", date(1950, 1, 1), n) for n in range(1000))
    unused = [n for n in free if n not in taken][: ID_LOOKUP_MISSES + 1]
    for guess in unused[:ID_LOOKUP_MISSES]:
        assert search_people(store, cadre, guess) == []
    with pytest.raises(AccessDenied) as refused:
        search_people(store, cadre, unused[-1])
    assert "身份证号" in refused.value.message_zh
    with pytest.raises(AccessDenied):  # even the right number, until the day has passed
        search_people(store, cadre, person["id_number"])
    assert search_people(store, cadre, person["name"])  # the name search still answers
    other = Actor("cadre2", "village", cadre.org_code)  # per user
    assert [h.entity_id for h in search_people(store, other, person["id_number"])] == [
        person["entity_id"]
    ]
    # a full viewer is not rationed: the whole number is shown to them anyway
    for guess in unused:
        assert search_people(store, CLI_ADMIN, guess) == []


def test_the_card_lists_and_reports_show_the_new_mask(store: Store, tmp_path: Path) -> None:
    cadre, person, people = _setup(store)
    number = person["id_number"]
    for viewer in (cadre, HEALTH):
        card = read_entity(store, viewer, person["entity_id"], with_history=True)
        assert card.value("person.id_number") == _masked(number)
        assert card.value("person.birth_date") == person["birth_date"].isoformat()
        history = [h["value"] for h in card.history if h["field_key"] == "person.id_number"]
        assert history and set(history) == {_masked(number)}
    assert read_entity(store, CIVIL, person["entity_id"]).value("person.id_number") == number

    by_id = {p["entity_id"]: p for p in sheet_rows(store, "person")}
    old = filter_people(store, cadre, ["over60"], today=date(2026, 11, 1))
    assert old
    assert all(h.id_number == _masked(by_id[h.entity_id]["id_number"]) for h in old)

    add_template(store, "people_roster")
    expected = sorted(_masked(p["id_number"]) for p in people if p["id_number"])
    full = [p["id_number"] for p in people if p["id_number"]]
    for viewer in (cadre, HEALTH):
        xlsx = tmp_path / f"{viewer.username}.xlsx"
        run_report(store, viewer, "people_roster", cadre.org_code, REPORT_DATE, "xlsx", xlsx)
        wb = openpyxl.load_workbook(xlsx, read_only=True)
        rows = [r for r in wb.worksheets[0].iter_rows(min_row=5, values_only=True) if r[1]]
        assert len(rows) == len(people)
        assert sorted(r[4] for r in rows if r[4]) == expected
        cells = {str(v) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for v in r}
        assert not any(n in c for n in full for c in cells)

        out = tmp_path / f"{viewer.username}.csv"
        run_report(store, viewer, "people_roster", cadre.org_code, REPORT_DATE, "csv", out)
        with out.open(encoding="utf-8-sig", newline="") as fh:
            body = [r for r in list(csv.reader(fh))[4:] if len(r) > 4 and r[0].isdigit()]
        assert len(body) == len(people)
        assert sorted(r[4] for r in body if r[4]) == expected
        text = out.read_text(encoding="utf-8-sig")
        assert not any(n in text for n in full)


def test_the_order_of_hits_does_not_follow_the_hidden_digits(store: Store) -> None:
    """Hits come in org-unit, then entity-id order — never by ID number — so a masked
    viewer cannot sort two people of the same birth date by their hidden sequence."""
    cadre, _, people = _setup(store)
    hits = search_people(store, cadre, people[0]["name"][:1], limit=200)
    keys = [(h.org_code, h.entity_id) for h in hits]
    assert keys == sorted(keys)
