"""``onesheet sheet show`` names the town beside the village, as the person card page does."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from onesheet.cli.main import app

runner = CliRunner()


def test_show_names_town_and_village(database_url):
    def cli(*args: str):
        return runner.invoke(app, ["--database-url", database_url, *args])

    assert cli("init").exit_code == 0
    assert cli("seed", "--people", "200", "--seed", "5").exit_code == 0
    orgs = {o["code"]: o for o in json.loads(cli("orgs", "list", "--json").stdout)}
    card = json.loads(cli("sheet", "show", "1", "--json").stdout)
    assert card["town_name"] and card["org_name"]
    town = next(o for o in orgs.values() if o["level"] == "town" and o["name"] == card["town_name"])
    assert card["org_code"].startswith(town["code"])
    shown = cli("sheet", "show", "1")
    assert shown.exit_code == 0, shown.output
    first = shown.stdout.splitlines()[0]
    assert f"{card['town_name']} · {card['org_name']}" in first
