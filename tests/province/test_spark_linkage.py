"""Province linkage on Spark in local mode (issue 18, item 2).

Two checks that the Spark engine (``services/province``: Splink's ``SparkAPI`` reading Parquet,
the model's SQL put into Spark's dialect by ``linkage/spark.py``) finds what the DuckDB
default finds:

* the scorer alone: two counties' person tables exported as Parquet, a model trained as a
  county import trains it, then scored by ``linkage/model.score`` on DuckDB and by Splink on
  a local Spark session — the same pairs with the same probabilities;
* the product path: ``onesheet province link --engine spark`` on two seeded counties with five
  people registered in both queues exactly the pairs the DuckDB run would (a DuckDB run
  afterwards finds every pair queued already and nothing new), with DuckDB's probabilities.

Skipped (with the reason) when PySpark — the optional extra ``onesheet[spark]`` — or a JRE is
missing; CI installs neither. Both tests share one Spark session, so one xdist group.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from onesheet.cli.main import app
from onesheet.domain.access import CLI_ADMIN
from onesheet.domain.findings import finding
from onesheet.domain.values.idnumber import make_id_number
from onesheet.linkage import model as lm
from onesheet.linkage import spark as spark_engine
from onesheet.linkage.link import LinkConfig
from onesheet.linkage.records import PersonRecord, to_arrow
from onesheet.services import linkage_queue, province
from onesheet.store import link_store
from tests.province.test_cross_county import _two_counties

if (missing := spark_engine.spark_missing()) is not None:  # say which, and how to get it
    pytest.skip(f"{missing}: {finding(missing).message_en}", allow_module_level=True)

pytestmark = pytest.mark.xdist_group("spark")
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


@pytest.fixture(scope="module")
def spark():  # type: ignore[no-untyped-def]
    """The service's Spark session, one core (the machine is shared), stopped afterwards."""
    session = spark_engine.spark_session(spark_engine.SparkOptions("local[1]", memory="1g"))
    yield session
    session.stop()


def test_people_in_two_counties_found_on_spark_as_on_duckdb(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, b, truth = _counties()
    ta, tb = to_arrow(a), to_arrow(b)
    by_id = {p.id_text: p.uid for p in b}
    labels = [(p.uid, by_id[p.id_text]) for p in a if p.id_text in by_id]
    cfg = lm.ModelConfig(u_max_pairs=2e4, min_labels=5)
    model = lm.train(ta, tb, cfg, labels=labels)

    duck = {(p.left, p.right): p.probability for p in lm.score(ta, tb, model, floor=FLOOR)}
    scorer = spark_engine.SparkScorer(
        spark_engine.SparkOptions("local[1]", work_dir=tmp_path / "x")
    )
    sparked = {(p.left, p.right): p.probability for p in scorer(ta, tb, model, FLOOR)}

    assert truth <= {pair for pair, p in duck.items() if p > 0.99}, sorted(truth - set(duck))
    assert len(duck) >= 2 * len(truth)  # non-matches too, reaching the other levels
    assert set(sparked) == set(duck)
    for pair, p in duck.items():
        assert sparked[pair] == pytest.approx(p, abs=1e-6), pair
    assert list((tmp_path / "x").iterdir()) == []  # the Parquet exports are gone afterwards
    # a second pair of counties in the same session (a run over three or more counties):
    # the sides swapped, the same pairs the other way round
    swapped = {(p.right, p.left): p.probability for p in scorer(tb, ta, model, FLOOR)}
    assert set(swapped) == set(duck)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # Spark reads no database
def test_link_command_on_spark_queues_what_duckdb_finds(spark, store, database_url: str) -> None:  # type: ignore[no-untyped-def]
    pairs = _two_counties(store)  # five of A's people registered in B too (no ID number)
    with store.engine.connect() as conn:
        people = {c: link_store.sheet_people(conn, c) for c in (A, B)}

    result = CliRunner().invoke(
        app,
        ["--database-url", database_url, "province", "link", "--engine", "spark",
         "--spark-master", "local[1]", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    on_spark = json.loads(result.output)
    assert on_spark["engine"] == "spark" and on_spark["counties"] == sorted([A, B])
    assert on_spark["pairs_queued"] >= len(pairs)
    entries = [e for e in linkage_queue.list_entries(store, CLI_ADMIN) if e["kind"] == "county"]
    # (county, its own person, the other county's person) → probability
    queued = {
        (e["county_code"], int(e["candidates"][0][0]), e["record"]["_other"]["entity_id"]): float(
            e["candidates"][0][1]
        )
        for e in entries
    }
    assert len(queued) == 2 * on_spark["pairs_queued"]
    for pa_, pb in pairs:  # each person in two counties waits in both queues
        assert (A, pa_["entity_id"], pb["entity_id"]) in queued
        assert (B, pb["entity_id"], pa_["entity_id"]) in queued

    # DuckDB, the default, scores the same pairs: all queued already, none new, same vetoes
    on_duck = province.link_counties(store, CLI_ADMIN, counties=[A, B])
    assert on_duck.engine == "duckdb"
    assert (on_duck.pairs_queued, on_duck.already_queued) == (0, on_spark["pairs_queued"])
    assert on_duck.pairs_scored == on_spark["pairs_scored"]
    assert on_duck.different_ids == on_spark["different_ids"]
    # ... with the same probabilities (the queue keeps four decimals)
    left, right = sorted([A, B])
    duck, _ = province._score_counties(people[left], people[right], LinkConfig())
    assert len(duck) == on_spark["pairs_queued"]
    for pair in duck:
        for key in ((left, pair.left, pair.right), (right, pair.right, pair.left)):
            assert queued[key] == pytest.approx(pair.probability, abs=1e-4), key
