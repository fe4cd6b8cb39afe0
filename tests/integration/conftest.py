"""Fixtures the integration tests share (the backends come from ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result
from typer.testing import CliRunner

from onesheet.cli.main import app

_runner = CliRunner()


@pytest.fixture
def cli(database_url: str) -> Callable[..., Result]:
    """``onesheet --database-url <the test's database> ARGS…`` in process, as an operator
    would type it; the result keeps the exit code and the output for the test to judge."""

    def run(*args: str) -> Result:
        return _runner.invoke(app, ["--database-url", database_url, *args])

    return run
