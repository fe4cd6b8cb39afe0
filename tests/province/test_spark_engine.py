"""``onesheet province link --engine …``: what is refused, and how (issue 18).

The Spark engine needs PySpark (the optional extra ``onesheet[spark]``) and a Java runtime.
Asked for without one of them, the command says which and how to get it — a catalogued
finding, exit code 2, no traceback — before any county is read, so nothing is queued. These
run everywhere (CI has no PySpark); the Spark runs themselves are in test_spark_linkage.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from onesheet.cli.main import app
from onesheet.domain.access import CLI_ADMIN
from onesheet.domain.findings import InvalidInput
from onesheet.linkage import spark as spark_engine
from onesheet.services import province
from onesheet.store.schema import table

runner = CliRunner()


def _link(database_url: str, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--database-url", database_url, "province", "link", *args])


def _queue_rows(store) -> int:  # type: ignore[no-untyped-def]
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table("link_queue"))).scalar_one())


def test_spark_without_pyspark_is_refused_with_the_extra_to_install(
    store, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as on an installation without the extra
    assert spark_engine.spark_missing() == "province.no_pyspark"

    result = _link(database_url, "--engine", "spark", "--json")

    assert result.exit_code == 2, result.output
    assert "onesheet[spark]" in result.output and "--engine duckdb" in result.output
    assert "PySpark" in result.output and "Traceback" not in result.output
    assert _queue_rows(store) == 0
    with pytest.raises(InvalidInput) as refused:  # the service refuses the same way
        province.link_counties(store, CLI_ADMIN, engine="spark")
    assert [f.code for f in refused.value.findings] == ["province.no_pyspark"]


def test_spark_without_java_is_refused_with_the_runtime_to_install(
    store, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("pyspark", reason="without PySpark the extra is what is missing first")
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))  # a JAVA_HOME with no bin/java in it
    assert spark_engine.spark_missing() == "province.no_java"

    result = _link(database_url, "--engine", "spark")

    assert result.exit_code == 2, result.output
    assert "openjdk-17-jre-headless" in result.output and "JAVA_HOME" in result.output
    assert "Traceback" not in result.output
    assert _queue_rows(store) == 0


def test_an_unknown_engine_is_refused_naming_the_engines(store, database_url: str) -> None:  # type: ignore[no-untyped-def]
    result = _link(database_url, "--engine", "hadoop")

    assert result.exit_code == 2, result.output
    assert "unknown linkage engine hadoop (one of: duckdb, spark)" in result.output
    assert "未知的关联引擎 hadoop" in result.output and "Traceback" not in result.output
