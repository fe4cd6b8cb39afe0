"""Province linkage on Spark in local mode (issue 18, item 2 — a first step, not the pipeline).

Two counties' person tables are exported as Parquet; people registered in both (the same ID
number, living in the second county now) must be found. The model is trained as a county
import trains it (DuckDB, m from key-confirmed pairs) and then scored twice: by
``linkage/model.score`` on DuckDB, and by Splink's ``SparkAPI`` on a local Spark session
reading the Parquet files, with the comparison SQL put into Spark's dialect
(``spark_model``: ``linkage/comparisons.py`` writes DuckDB SQL, see docs/province.md). Both
must find the same pairs with the same probabilities.

Skipped when PySpark or a JRE is missing (neither is a project dependency yet).
"""

from __future__ import annotations

import copy
import re
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from onesheet.domain.values.idnumber import make_id_number
from onesheet.linkage import model as lm
from onesheet.linkage.records import PersonRecord, to_arrow

pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("no JRE (apt-get install openjdk-17-jre-headless)", allow_module_level=True)

A, B = "330523", "330522"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟"]
GIVEN += ["涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "文"]
SHARED = 12
FLOOR = 0.0  # every blocked pair, so non-matches reach the other levels too


def _people(county: str, n: int, uid0: int, salt: int) -> list[PersonRecord]:
    out = []
    for i in range(n):
        k = i * 7 + salt
        birth = date(1950, 1, 1) + timedelta(days=(k * 379) % 20000)
        seq = 100 + i * 2 + (i % 2)
        out.append(
            PersonRecord(
                uid=uid0 + i,
                name=SURNAMES[k % len(SURNAMES)] + GIVEN[(k // 3) % len(GIVEN)],
                id_text=make_id_number(county, birth, seq),
                birth_date=birth.isoformat(),
                sex="1" if seq % 2 else "2",
                phone=f"139{(k * 7919) % 10**8:08d}",
                address=f"浙江省湖州市{county}某镇{(k % 9) + 1}村{i + 1}号",
            )
        )
    return out


def _counties() -> tuple[list[PersonRecord], list[PersonRecord], set[tuple[int, int]]]:
    a = _people(A, 80, 1, salt=1)
    b = _people(B, 80, 10_001, salt=5)
    truth = set()
    for j, p in enumerate(a[:SHARED]):
        moved = PersonRecord(
            uid=20_001 + j,
            name=p.name,
            id_text=p.id_text,
            birth_date=p.birth_date,
            sex=p.sex,
            phone=p.phone if j % 3 else f"137{j:08d}",  # a third changed phone too
            address=f"浙江省湖州市{B}新区{j + 1}幢",  # lives in county B now
        )
        b.append(moved)
        truth.add((p.uid, moved.uid))
    # other people who share something with someone in county A (blocked, not matches):
    # namesakes, a name one character off, the same birthday
    for j, p in enumerate(a[SHARED : SHARED + 30]):
        q = b[j]
        name = (p.name, str(p.name)[0] + "晓" + str(p.name)[1:], q.name)[j % 3]
        birth = p.birth_date if j % 3 == 2 else q.birth_date
        b[j] = PersonRecord(q.uid, name, q.id_text, birth, q.sex, q.phone, q.address)
    return a, b, truth


def spark_model(model: dict[str, Any]) -> dict[str, Any]:
    """The trained model with its DuckDB comparison SQL in Spark's dialect."""
    out = copy.deepcopy(model)
    out["sql_dialect"] = "spark"
    swaps = [
        (r'"(\w+)"', r"`\1`"),  # "col" is a string literal in Spark SQL, not a column
        (r"\blist_intersect\(", "array_intersect("),
        (r"\bstring_split\(", "split("),
        (r"\blen\(", "size("),
        (r"\bjaro_winkler_similarity\(", "jaro_winkler("),
    ]
    for comparison in out["comparisons"]:
        for level in comparison["comparison_levels"]:
            sql = level["sql_condition"]
            for pattern, repl in swaps:
                sql = re.sub(pattern, repl, sql)
            level["sql_condition"] = sql
    return out


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from pyspark.sql import SparkSession
    from splink.internals.spark.jar_location import similarity_jar_location

    session = (
        SparkSession.builder.master("local[1]")
        .appName("onesheet-province-linkage")
        .config("spark.jars", similarity_jar_location())
        .config("spark.ui.enabled", "false")
        .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_people_in_two_counties_found_on_spark_as_on_duckdb(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from splink import Linker, SparkAPI

    a, b, truth = _counties()
    ta, tb = to_arrow(a), to_arrow(b)
    pq.write_table(ta, tmp_path / f"person_{A}.parquet")
    pq.write_table(tb, tmp_path / f"person_{B}.parquet")

    by_id = {p.id_text: p.uid for p in b}
    labels = [(p.uid, by_id[p.id_text]) for p in a if p.id_text in by_id]
    cfg = lm.ModelConfig(u_max_pairs=2e4, min_labels=5)
    model = lm.train(ta, tb, cfg, labels=labels)

    duck = {(p.left, p.right): p.probability for p in lm.score(ta, tb, model, floor=FLOOR)}

    db = SparkAPI(spark_session=spark, break_lineage_method="persist")
    left = db.register(
        spark.read.parquet(str(tmp_path / f"person_{A}.parquet")), table_name="import_rows"
    )
    right = db.register(
        spark.read.parquet(str(tmp_path / f"person_{B}.parquet")), table_name="sheet"
    )
    linker = Linker([left, right], spark_model(model))
    found = linker.inference.predict(threshold_match_probability=FLOOR).as_spark_dataframe()
    sparked = {}
    for row in found.select("source_dataset_l", "uid_l", "uid_r", "match_probability").collect():
        a_uid, b_uid = (
            (row.uid_l, row.uid_r)
            if row.source_dataset_l == "import_rows"
            else (row.uid_r, row.uid_l)
        )
        sparked[(int(a_uid), int(b_uid))] = float(row.match_probability)

    assert truth <= {pair for pair, p in duck.items() if p > 0.99}, sorted(truth - set(duck))
    assert len(duck) >= 2 * len(truth)  # non-matches too, reaching the other levels
    assert set(sparked) == set(duck)
    for pair, p in duck.items():
        assert sparked[pair] == pytest.approx(p, abs=1e-6), pair
    assert pa.__version__  # pyarrow wrote the Parquet both engines read
