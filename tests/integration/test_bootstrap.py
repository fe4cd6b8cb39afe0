"""The population from the public-security household export: placed by village column or
address, households with heads and relationships, 公安 as source, bad rows listed."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from onesheet.cli.main import app
from onesheet.domain.access import CLI_ADMIN
from onesheet.domain.findings import InvalidInput
from onesheet.services import bootstrap, org_tree
from onesheet.store.schema import sheet_table, table
from tests.integration.dayone_files import household_rows, write_divisions, write_households

runner = CliRunner()


@pytest.fixture
def county(store, tmp_path):
    f = write_divisions(tmp_path / "orgs.csv")
    org_tree.load_org_tree(store, CLI_ADMIN, f.read_bytes(), f.name)
    return store


def _people(store):
    t = sheet_table("person")
    with store.engine.connect() as conn:
        return {r.id_number: r for r in conn.execute(select(t))}


def test_bootstrap_places_people_and_builds_households(county, database_url, tmp_path):
    f = write_households(tmp_path / "户籍.csv", encoding="gbk")
    done = runner.invoke(
        app, ["--database-url", database_url, "bootstrap", str(f), "--as-of", "2026-11-01"]
    )
    assert done.exit_code == 0, done.output
    assert "新增人口 150" in done.output and "新增户 60" in done.output
    people = _people(county)
    assert len(people) == 150
    rows = household_rows()
    head = people[rows[0][4]]
    assert head.name == "王伟" and head.org_code == "330523001030"
    assert head.relationship_to_head == "02" and head.gender == "2"
    by_address = people[rows[3][4]]  # no village column: placed by the address (鲁家村)
    assert by_address.org_code == "330523001211"
    spouse = people[rows[2][4]]
    hh = sheet_table("household")
    with county.engine.connect() as conn:
        household = conn.execute(select(hh).where(hh.c.entity_id == spouse.household)).one()
        sources = set(conn.execute(select(table("observation").c.source).distinct()).scalars())
    assert household.household_no == "3305230000001"
    assert household.head == people[rows[1][4]].entity_id
    assert spouse.relationship_to_head == "10"
    assert sources == {"public_security"}
    check = runner.invoke(app, ["--database-url", database_url, "sheet", "rebuild", "--check"])
    assert check.exit_code == 0, check.output


def test_bad_rows_listed_nothing_written_unless_the_rest_is_confirmed(county, tmp_path):
    rows = household_rows(12)
    rows[0][6], rows[0][5] = "桃花源村委会", "某地某号"  # unknown village, address no help
    rows[2][4] = rows[1][4]  # an ID number twice
    rows[4][4] = "330523199901011234"  # bad check digit
    f = write_households(tmp_path / "bad.csv", rows)
    with pytest.raises(InvalidInput) as err:
        bootstrap.bootstrap_population(county, CLI_ADMIN, f.read_bytes(), f.name)
    found = {(x.row, x.code) for x in err.value.findings}
    assert (2, "bootstrap.unplaced") in found
    assert (4, "bootstrap.repeated_id") in found
    assert any(row == 6 and code.startswith("id") for row, code in found), found
    assert _people(county) == {}
    result = bootstrap.bootstrap_population(
        county, CLI_ADMIN, f.read_bytes(), f.name, skip_bad=True
    )
    assert result.people_new == len(rows) - len({x.row for x in err.value.findings})
    assert len(_people(county)) == result.people_new
    again = bootstrap.bootstrap_population(county, CLI_ADMIN, f.read_bytes(), f.name, skip_bad=True)
    assert again.people_new == 0 and again.people_existing == result.people_new
