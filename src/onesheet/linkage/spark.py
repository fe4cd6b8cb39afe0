"""Splink's Spark backend for the province's cross-county linkage (issue 18, item 2).

The county import trains and scores on DuckDB in process (``linkage/model``). A province's
counties hold tens of millions of people, past one process: here the same trained model
scores on Spark — each side written as Parquet (the export a cluster reads), registered with
Splink's ``SparkAPI``, the model's comparison SQL put into Spark's dialect — and gives the
pairs ``model.score`` gives. PySpark is the optional extra ``onesheet[spark]`` and needs a
Java runtime; ``require_spark`` refuses with a catalogued finding saying what to install.
``services/province.link_counties(engine="spark")`` is the way in.
"""

from __future__ import annotations

import copy
import importlib.util
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from onesheet.domain.findings import InvalidInput, refuse
from onesheet.linkage import model as lm


@dataclass(frozen=True)
class SparkOptions:
    """Where the Spark engine runs. ``master`` is any Spark master URL (``local[*]``: every
    core of this machine); ``work_dir`` holds the Parquet exports while a pair of counties is
    scored and must be storage every executor reads when the master is a cluster (default:
    the system's temporary directory); ``memory`` is the driver's heap, which in local mode is
    all of Spark's memory (only applied when this process starts the session)."""

    master: str = "local[*]"
    work_dir: Path | None = None
    memory: str = "2g"


_SPARK_SWAPS = (
    (r'"(\w+)"', r"`\1`"),  # "col" is a string literal in Spark SQL, not a column
    (r"\blist_intersect\(", "array_intersect("),
    (r"\bstring_split\(", "split("),
    (r"\blen\(", "size("),
    (r"\bjaro_winkler_similarity\(", "jaro_winkler("),  # Splink's similarity jar
)


def spark_model(model: dict[str, Any]) -> dict[str, Any]:
    """The trained model with its comparison SQL in Spark's dialect.

    ``linkage/comparisons.py`` writes DuckDB SQL and Splink does not translate a dict level's
    ``sql_condition`` (sqlglot's duckdb→spark transpile gets these functions wrong). Left in
    DuckDB's dialect, ``"col_l" IS NULL`` compares a string literal in Spark and every null
    level silently never matches — hence these swaps, checked by the Spark tests against the
    DuckDB scores of the same model."""
    out = copy.deepcopy(model)
    out["sql_dialect"] = "spark"
    for comparison in out["comparisons"]:
        for level in comparison["comparison_levels"]:
            sql = level["sql_condition"]
            for pattern, repl in _SPARK_SWAPS:
                sql = re.sub(pattern, repl, sql)
            level["sql_condition"] = sql
    return out


def require_spark() -> None:
    """Refuse (a catalogued finding saying what to install) when the Spark engine cannot start
    here: no PySpark, or no Java runtime — PySpark launches ``$JAVA_HOME/bin/java`` when
    JAVA_HOME is set, else ``java`` on PATH."""
    if importlib.util.find_spec("pyspark") is None:
        refuse("province.no_pyspark")
    java_home = os.environ.get("JAVA_HOME")
    java = Path(java_home, "bin", "java") if java_home else shutil.which("java")
    if java is None or not os.access(java, os.X_OK):
        refuse("province.no_java")


def spark_missing() -> str | None:
    """The code of what the Spark engine lacks here (None: it can start) — for the tests'
    and the bench's skip reasons."""
    try:
        require_spark()
    except InvalidInput as exc:
        return exc.findings[0].code
    return None


def spark_session(options: SparkOptions):  # type: ignore[no-untyped-def]
    """The process's Spark session (started once; a later call gets the same session, whatever
    its options — Spark allows one per process). Splink's similarity jar supplies
    ``jaro_winkler``; the UI and console progress bars stay off (CLI output stays clean)."""
    require_spark()
    try:
        from pyspark.sql import SparkSession
        from splink.internals.spark.jar_location import similarity_jar_location

        builder = (
            SparkSession.builder.master(options.master)
            .appName("onesheet-province-linkage")
            .config("spark.jars", similarity_jar_location())
            .config("spark.driver.memory", options.memory)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.warehouse.dir", str(Path(tempfile.gettempdir(), "onesheet-spark")))
        )
        if options.master.startswith("local"):
            builder = builder.config("spark.sql.shuffle.partitions", "8")
        session = builder.getOrCreate()
    except ImportError:
        refuse("province.no_pyspark")
    except Exception as exc:  # the JVM did not start: a broken JRE, no memory, a bad master
        refuse("province.spark_start", reason=str(exc).strip().splitlines()[0][:300])
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkScorer:
    """A ``Scorer`` on Splink's Spark backend: each county's prepared people written as Parquet
    (the export a province cluster reads), scored by Spark with the model trained on DuckDB,
    giving the pairs ``linkage/model.score`` gives (same blocking, same probabilities)."""

    def __init__(self, options: SparkOptions | None = None) -> None:
        self.options = options or SparkOptions()

    def __call__(
        self, left: pa.Table, right: pa.Table, model: dict[str, Any], floor: float
    ) -> list[lm.Pair]:
        from splink import Linker, SparkAPI

        spark = spark_session(self.options)
        logging.getLogger("splink").setLevel(logging.ERROR)
        work = self.options.work_dir
        if work is not None:
            work.mkdir(parents=True, exist_ok=True)
        names = ("import_rows", "sheet")  # model.score's names: left county, right county
        with tempfile.TemporaryDirectory(prefix="onesheet-province-", dir=work) as tmp:
            try:
                db = SparkAPI(spark_session=spark, break_lineage_method="persist")
                tables = []
                for name, side in zip(names, (left, right), strict=True):
                    path = str(Path(tmp, f"{name}.parquet"))
                    pq.write_table(side, path)
                    tables.append(db.register(spark.read.parquet(path), table_name=name))
                linker = Linker(tables, spark_model(model), log_level=None)
                found = linker.inference.predict(threshold_match_probability=floor)
                cols = ("source_dataset_l", "uid_l", "uid_r", "match_probability")
                rows = found.as_spark_dataframe().select(*cols).collect()
            finally:  # the next pair of counties registers the same names in this session
                for name in names:
                    spark.catalog.dropTempView(name)
                spark.catalog.clearCache()  # the persisted blocks of this pair
        out = []
        for src, a, b, p in rows:  # the left county's person first, as model.score does
            left_uid, right_uid = (a, b) if src == "import_rows" else (b, a)
            out.append(lm.Pair(int(left_uid), int(right_uid), float(p)))
        return out
