"""The import and link commands end to end on SQLite (registered here until main.py has them)."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from onesheet.cli import common
from onesheet.cli.import_cmd import import_command
from onesheet.cli.link_cmd import link_app
from tests.integration.helpers import seed_small


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_import_command_writes_summary_and_rejected_report(store, database_url, tmp_path):
    seed_small(store, people=60)
    app = typer.Typer()
    app.command("import")(import_command)
    app.add_typer(link_app, name="link")
    common.set_database_url(database_url)
    try:
        f = tmp_path / "卫健.csv"
        f.write_bytes("姓名,出生日期\n张三,1990-13-40\n".encode("gbk"))
        runner = CliRunner()
        result = runner.invoke(app, ["import", str(f), "--department", "health", "--json"])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout[result.stdout.index("{") :])
        assert summary["rejected"] == 1 and summary["rows_read"] == 1
        report = (tmp_path / "卫健.rejected.csv").read_text("utf-8-sig")
        assert "B" in report and "person.birth_date" in report
        listed = runner.invoke(app, ["link", "queue", "--json"])
        assert listed.exit_code == 0 and json.loads(listed.stdout) == []
        found = runner.invoke(app, ["link", "dedupe", "--json"])
        assert found.exit_code == 0, found.output
        assert json.loads(found.stdout)["people"] == 60
        missing = runner.invoke(app, ["link", "merge", "999"])
        assert missing.exit_code != 0 and "999" in missing.output
    finally:
        common.set_database_url(None)
