"""``onesheet doctor`` says what is wrong in plain words and fails only on real problems."""

from __future__ import annotations

from typer.testing import CliRunner

from onesheet.cli.main import app

runner = CliRunner()


def test_doctor_on_an_initialised_database(database_url, tmp_path):
    done = runner.invoke(app, ["--database-url", database_url, "doctor"])
    assert done.exit_code == 0, done.output
    assert "数据库结构：版本" in done.output
    assert "尚未装入机构" in done.output and "从未用 onesheet backup 备份" in done.output
    assert "secret_key" in done.output


def test_doctor_on_an_empty_database_says_run_init(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    done = runner.invoke(app, ["--database-url", url, "doctor"])
    assert done.exit_code == 1
    assert "请运行 onesheet init" in done.output
