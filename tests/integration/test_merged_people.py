"""A person merged into another by record linkage keeps their history but leaves rosters and
counts: the report lists each real person once."""

from __future__ import annotations

import io

from onesheet.domain.access import CLI_ADMIN
from onesheet.services.reports import run_report
from onesheet.services.sheet_write import Change, record_changes
from tests.integration.helpers import COUNTY, seed_small
from tests.reports.support import REPORT_DATE, add_template, sheet_rows


def _roster_rows(store) -> int:
    return run_report(
        store, CLI_ADMIN, "people_roster", COUNTY, REPORT_DATE, "csv", io.BytesIO()
    ).rows


def test_a_merged_duplicate_leaves_the_roster(store):
    seed_small(store, people=150)
    add_template(store, "people_roster")
    people = sheet_rows(store, "person")
    assert _roster_rows(store) == len(people)
    survivor, duplicate = people[0]["entity_id"], people[1]["entity_id"]
    record_changes(
        store,
        CLI_ADMIN,
        duplicate,
        [Change("person.merged_into", survivor, reason=f"merged_into={survivor}")],
    )
    assert _roster_rows(store) == len(people) - 1
    assert {r["entity_id"] for r in sheet_rows(store, "person")} >= {survivor, duplicate}
