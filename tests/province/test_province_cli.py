"""``onesheet province``: the commands are a shell over ``services/province`` (issue 18).

On a single database (both backends) the province counts and the cross-county run work as
on the province layout; the layout steps refuse SQLite with one clear message, no traceback.
The two-cluster layout itself is exercised in ``test_partitions.py``.
"""

from __future__ import annotations

import json
from datetime import date

from typer.testing import CliRunner

from onesheet.cli.main import app
from onesheet.domain.access import CLI_ADMIN
from onesheet.services.seed import seed_county

runner = CliRunner()
A, B = "330523", "330522"


def _run(database_url: str, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--database-url", database_url, "province", *args])


def test_counts_and_link_through_the_command(store, database_url: str) -> None:  # type: ignore[no-untyped-def]
    for county, seed, people in ((A, 7, 60), (B, 8, 40)):
        seed_county(store, CLI_ADMIN, county, people=people, seed=seed, today=date(2026, 11, 1))
    counts = _run(database_url, "counts", "--json")
    assert counts.exit_code == 0, counts.output
    by_county = {r["county_code"]: r for r in json.loads(counts.output)}
    assert by_county[A]["people"] == 60 and by_county[B]["people"] == 40
    assert by_county[A]["households"] > 0
    linked = _run(database_url, "link", "--county", A, "--county", B, "--json")
    assert linked.exit_code == 0, linked.output
    summary = json.loads(linked.output)
    assert summary["counties"] == sorted([A, B]) and summary["people"] == {A: 60, B: 40}
    assert summary["pairs_queued"] == 0  # two different seeds: nobody is in both counties


def test_layout_steps_refuse_sqlite_clearly(store, database_url: str) -> None:  # type: ignore[no-untyped-def]
    result = _run(database_url, "partition")
    if store.engine.dialect.name == "sqlite":
        assert result.exit_code == 2
        assert "PostgreSQL" in result.output and "Traceback" not in result.output
    else:  # an initialised, empty PostgreSQL database becomes a coordinator
        assert result.exit_code == 0, result.output
        assert "observation" in result.output
        again = _run(database_url, "layout", "--json")
        assert again.exit_code == 0 and json.loads(again.output) == {}
