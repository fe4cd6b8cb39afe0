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


def test_fast_and_exact_readers_agree(county, tmp_path):
    """A clean CSV goes through Arrow; the same rows under a title line go through the exact
    row reader: same cells. A lower-case x and a spaced number take the Python ID parser."""
    rows = household_rows(40)
    with_x = next(i for i, r in enumerate(rows) if r[4].endswith("X"))
    rows[with_x][4] = rows[with_x][4][:17] + "x"
    rows[1][4] = " " + rows[1][4] + " "
    clean = write_households(tmp_path / "clean.csv", rows)
    titled = tmp_path / "titled.csv"
    titled.write_bytes("安吉县户籍人口导出,,,\n".encode() + clean.read_bytes())
    assert bootstrap._read_clean_csv(clean.read_bytes(), clean.name) is not None
    assert bootstrap._read_clean_csv(titled.read_bytes(), titled.name) is None
    fast, _ = bootstrap._read(clean.read_bytes(), clean.name)
    exact, _ = bootstrap._read(titled.read_bytes(), titled.name)
    assert exact["row"].to_pylist() == [r + 1 for r in fast["row"].to_pylist()]
    for key in bootstrap.HEADINGS:
        assert [v.strip() for v in fast[key].to_pylist()] == exact[key].to_pylist(), key
    result = bootstrap.bootstrap_population(county, CLI_ADMIN, clean.read_bytes(), clean.name)
    assert result.people_new == len(rows) and not result.skipped
    people = _people(county)
    assert people[rows[with_x][4][:17] + "X"].name == rows[with_x][3]
    assert people[rows[1][4].strip()].name == rows[1][3]


def test_progress_reports_every_stage_up_to_its_total(county, tmp_path):
    f = write_households(tmp_path / "h.csv", household_rows(20))
    seen: dict[str, list[tuple[int, int]]] = {}
    result = bootstrap.bootstrap_population(
        county, CLI_ADMIN, f.read_bytes(), f.name,
        progress=lambda stage, done, total: seen.setdefault(stage, []).append((done, total)),
    )  # fmt: skip
    assert list(seen) == ["read", "check", "place", "write"]
    assert seen["read"][-1] == (len(f.read_bytes()), len(f.read_bytes()))
    rows = len(household_rows(20))
    assert seen["check"][-1] == (rows, rows) and seen["place"][-1] == (rows, rows)
    written = result.people_new + result.households_new
    assert seen["write"][-1] == (written, written)
    assert all(d <= t for points in seen.values() for d, t in points)


def test_households_without_one_head_or_in_two_villages_are_refused(county, tmp_path):
    rows = household_rows(6)
    # household 1 (two people): the head's relationship blanked and the 户主 column names
    # nobody in it → no head; household 3 (four people): one member in another village
    rows[1][2], rows[1][1], rows[2][1] = "", "某某", "某某"
    h3 = [i for i, r in enumerate(rows) if r[0] == rows[-1][0]]
    rows[h3[1]][6] = rows[0][6]
    f = write_households(tmp_path / "hh.csv", rows)
    with pytest.raises(InvalidInput) as err:
        bootstrap.bootstrap_population(county, CLI_ADMIN, f.read_bytes(), f.name)
    reasons = {(x.row, x.message_en) for x in err.value.findings}
    assert (3, f"household {rows[1][0]}: no head") in reasons
    assert {(i + 2, f"household {rows[-1][0]}: members in two villages") for i in h3} <= reasons
    assert _people(county) == {}


def test_a_partial_county_keeps_its_people_and_adds_the_rest(county, tmp_path):
    rows = household_rows(10)
    part = write_households(tmp_path / "part.csv", rows[:8])
    bootstrap.bootstrap_population(county, CLI_ADMIN, part.read_bytes(), part.name)
    before = _people(county)
    full = write_households(tmp_path / "full.csv", rows)
    result = bootstrap.bootstrap_population(county, CLI_ADMIN, full.read_bytes(), full.name)
    assert result.people_existing == 8 and result.people_new == len(rows) - 8
    after = _people(county)
    assert len(after) == len(rows)
    assert all(after[k].entity_id == before[k].entity_id for k in before)
    assert {r.household for r in after.values() if r.id_number in before} == {
        r.household for r in before.values()
    }


def test_an_xlsx_export_goes_through_the_exact_reader(county, tmp_path):
    """A spreadsheet export (户号 kept as numbers by Excel, ID numbers as text) loads the
    same people and households as the CSV."""
    from openpyxl import Workbook

    rows = household_rows(15)
    wb = Workbook()
    ws = wb.active
    ws.append(["户号", "户主", "与户主关系", "姓名", "身份证号", "住址", "所属村/社区"])
    for r in rows:
        ws.append([int(r[0]), *r[1:]])
    path = tmp_path / "户籍.xlsx"
    wb.save(path)
    assert bootstrap._read_clean_csv(path.read_bytes(), path.name) is None
    result = bootstrap.bootstrap_population(county, CLI_ADMIN, path.read_bytes(), path.name)
    assert result.people_new == len(rows) and result.households_new == 15
    people = _people(county)
    hh = sheet_table("household")
    with county.engine.connect() as conn:
        numbers = set(conn.execute(select(hh.c.household_no)).scalars())
    assert numbers == {r[0] for r in rows}  # 3305230000001.0 read back as its digits
    assert people[rows[0][4]].name == rows[0][3]


def test_a_write_failing_mid_file_leaves_nothing_and_no_builder_thread(
    county, tmp_path, monkeypatch
):
    """Chunks are built ahead on a thread: a write failing in the second chunk rolls the
    whole batch back, and the builder is waited for before the DuckDB connection closes."""
    import threading

    from onesheet.store import population

    f = write_households(tmp_path / "户籍.csv")
    monkeypatch.setattr(bootstrap, "CHUNK", 40)  # 150 people: four chunks, then households
    real, calls = population.write_new, []

    def failing_second(conn, **rows):
        calls.append(rows["entities"].num_rows)
        if len(calls) == 2:
            raise RuntimeError("disk full (injected)")
        real(conn, **rows)

    monkeypatch.setattr(population, "write_new", failing_second)
    with pytest.raises(RuntimeError, match="injected"):
        bootstrap.bootstrap_population(county, CLI_ADMIN, f.read_bytes(), f.name)
    assert calls == [40, 40]
    assert _people(county) == {}
    with county.engine.connect() as conn:
        assert conn.execute(select(table("observation").c.id)).first() is None
        assert conn.execute(select(table("entity").c.id)).first() is None
    assert not [t for t in threading.enumerate() if t.name.startswith("bootstrap-build")]
