"""Province benchmark (issue 18, item 3): 1, 2 and 4 counties on one and on two clusters.

    .venv/bin/python bench/province.py [--people 250000] [--counties 4] [--repeat 3]
        [--layouts one,two] [--linkage-at 2,4] [--engine duckdb|spark] [--spark-master M]

For each layout it starts throwaway clusters (``devtools/pg_cluster.Cluster``), makes the
coordinator database in the province layout (``store/province.py``) and adds counties one at a
time, each seeded with ``--people`` people through the coordinator:

* ``one``: one cluster, every county a local partition;
* ``two``: two clusters, counties 1 and 3 on the shard (postgres_fdw foreign partitions),
  2 and 4 local — so with one county the only county is remote.

After each county is added it measures (best of ``--repeat``):

* seed: seconds and observations/s of that county's seed (one transaction, as ``seed``);
* county report: ``run_report`` of the aggregate template for the first county (its cost
  must stay flat as counties are added), and its floor: the report's own SELECT (captured
  from the engine) executed bare and fetched;
* province aggregate: people per town across all counties through the parent, and its
  floor: the same GROUP BY on each county's physical table directly (local partition on the
  coordinator, the shard's own table), summed;
* cross-county linkage (after the county counts of ``--linkage-at``: two and four by default,
  none with ``--linkage-at ''``): ``services/province.link_counties`` over all counties so far
  — read every county's people (one pruned SELECT each), train each pair of counties on
  DuckDB and score it with ``--engine`` (``duckdb``, or ``spark`` — the optional extra
  ``onesheet[spark]`` and a JRE — on ``--spark-master``), queue pairs in both counties'
  queues; run once (a second run would find them queued), seconds and pairs.

Time at ``--people 250000`` (measured 2026-11-30, load 2.5–7; ``bench/results/province.json``,
``docs/province.md``): a county's seed 179–284 s into a local partition (31,000–49,000
observations/s) and 569–734 s into the shard through postgres_fdw; reports and aggregates a few
seconds a step; one DuckDB linkage of a pair of 250,000-person counties 392 s (training
dominates, about linear in the people). The whole run without linkage ~1 hour (one cluster
~20 minutes, two clusters ~30); with the default ``--linkage-at 2,4`` add ~7 pairs × ~6.5
minutes a layout. ``--engine spark`` (``local[2]``) scored the 718 pairs of a 5,000-person pair in
50 s after a 19 s session start (timed apart, as ``spark_session_start_seconds``): Spark's
per-stage overhead on two cores, not its scale.

The layout itself is set up through ``services/province`` (as ``onesheet province`` does).

Results go to bench/results/province.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import event, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.scratch_db import create_database

from onesheet.devtools.pg_cluster import Cluster
from onesheet.domain.access import CLI_ADMIN
from onesheet.domain.template_spec import TemplateSpec
from onesheet.linkage.spark import spark_missing, spark_session
from onesheet.services import province as province_service
from onesheet.services import setup
from onesheet.services.base import Store, utcnow
from onesheet.services.reports import run_report
from onesheet.services.seed import seed_county
from onesheet.store import province
from onesheet.store.engine import make_engine
from onesheet.store.templates import insert_template

RESULTS = Path(__file__).parent / "results" / "province.json"
SPEC = Path(__file__).resolve().parents[1] / "tests" / "reports" / "specs"
COUNTIES = ["330523", "330522", "330521", "330502"]
TODAY = date(2026, 11, 1)
REPORT_DATE = date(2026, 11, 30)
PROVINCE_AGG = (
    "SELECT county_code, substr(org_code, 1, 9) AS town, count(*) AS people, "
    "count(*) FILTER (WHERE birth_date < DATE '1966-11-30') AS over_60 "
    "FROM {t} GROUP BY 1, 2 ORDER BY 1, 2"
)


def _best(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _template(store: Store) -> str:
    import yaml

    spec = TemplateSpec.model_validate(
        yaml.safe_load((SPEC / "population_aggregate.yaml").read_text())
    )
    with store.transaction() as conn:
        insert_template(conn, spec, status="approved", actor="bench", at=utcnow())
    return spec.id


def _county_report(store: Store, template: str, county: str, out: Path, repeat: int) -> dict:
    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if "sheet_person" in statement and "county_code" in statement:
            captured.append((statement, params))

    def run() -> None:
        run_report(store, CLI_ADMIN, template, county, REPORT_DATE, "csv", out)

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    seconds = _best(run, repeat)
    sql, params = max(captured, key=lambda s: len(s[0]))  # the aggregate statement

    def floor() -> None:
        with store.engine.connect() as conn:
            conn.exec_driver_sql(sql, params).fetchall()  # type: ignore[arg-type]

    floor_s = _best(floor, repeat)
    with store.engine.connect() as conn:
        plan = "\n".join(
            r[0]
            for r in conn.exec_driver_sql("EXPLAIN (COSTS OFF) " + sql, params)  # type: ignore[arg-type]
        )
    return {
        "county": county,
        "seconds": round(seconds, 4),
        "floor_seconds": round(floor_s, 4),
        "ratio": round(seconds / floor_s, 2) if floor_s else None,
        "partitions_in_plan": sorted(province.partitions_in_plan(plan, "sheet_person")),
    }


def _province_aggregate(
    store: Store, shard_engine, placed: dict[str, str | None], repeat: int
) -> dict:  # type: ignore[no-untyped-def]
    def through_parent() -> int:
        with store.engine.connect() as conn:
            return len(conn.execute(text(PROVINCE_AGG.format(t="sheet_person"))).all())

    def direct() -> int:
        n = 0
        for county, server in placed.items():
            engine = store.engine if server is None else shard_engine
            t = f"sheet_person_c{county}" if server is None else f"c{county}.sheet_person"
            with engine.connect() as conn:
                n += len(conn.execute(text(PROVINCE_AGG.format(t=t))).all())
        return n

    rows = through_parent()
    assert rows == direct(), "parent and partitions disagree"
    seconds = _best(through_parent, repeat)
    floor_s = _best(direct, repeat)
    return {
        "groups": rows,
        "seconds": round(seconds, 4),
        "floor_seconds": round(floor_s, 4),
        "ratio": round(seconds / floor_s, 2) if floor_s else None,
        "seconds_per_county": round(seconds / len(placed), 4),
    }


def _linkage(
    store: Store, counties: list[str], engine: str, spark: province_service.SparkOptions
) -> dict:
    """One province linkage run over ``counties`` (every pair of them), timed. On Spark the
    session is started first and timed apart: a province run pays it once, not per pair."""
    started = 0.0
    if engine == "spark":
        t0 = time.perf_counter()
        spark_session(spark)
        started = time.perf_counter() - t0
    t0 = time.perf_counter()
    summary = province_service.link_counties(
        store, CLI_ADMIN, counties=counties, engine=engine, spark=spark
    )
    seconds = time.perf_counter() - t0
    people = sum(summary.people.values())
    pairs = len(counties) * (len(counties) - 1) // 2
    return {
        "engine": engine,
        "spark_session_start_seconds": round(started, 2),
        "counties": len(counties),
        "county_pairs": pairs,
        "people": people,
        "seconds": round(seconds, 2),
        "seconds_per_county_pair": round(seconds / pairs, 2),
        "people_per_s": round(people / seconds),
        "pairs_scored": summary.pairs_scored,
        "pairs_queued": summary.pairs_queued,
    }


def run_layout(
    layout: str, people: int, counties: int, repeat: int, work: Path, args
) -> list[dict]:  # type: ignore[no-untyped-def]
    clusters = [Cluster()] + ([Cluster()] if layout == "two" else [])
    for c in clusters:
        c.start()
    steps: list[dict] = []
    try:
        store = Store(make_engine(create_database(clusters[0].url, "province")))
        setup.init_database(store, CLI_ADMIN)
        province_service.partition(store, CLI_ADMIN)
        shard_engine, shard_url = None, None
        if layout == "two":
            shard_url = create_database(clusters[1].url, "shard")
            shard_engine = make_engine(shard_url)
            province_service.add_shard(
                store,
                CLI_ADMIN,
                province.Shard("shard_b", "127.0.0.1", clusters[1].port, "shard", "postgres"),
            )
        template = _template(store)
        placed: dict[str, str | None] = {}
        for i, county in enumerate(COUNTIES[:counties]):
            remote = layout == "two" and i % 2 == 0
            province_service.add_county(
                store,
                CLI_ADMIN,
                county,
                shard="shard_b" if remote else None,
                shard_url=shard_url if remote else None,
            )
            placed[county] = "shard_b" if remote else None
            t0 = time.perf_counter()
            result = seed_county(store, CLI_ADMIN, county, people=people, seed=7 + i, today=TODAY)
            seed_s = time.perf_counter() - t0
            with store.engine.connect() as conn:
                conn.execute(text("ANALYZE"))
            step = {
                "layout": layout,
                "counties": i + 1,
                "added": {
                    "county": county,
                    "where": "shard" if remote else "coordinator",
                    "seed_seconds": round(seed_s, 2),
                    "observations": result.observations,
                    "observations_per_s": round(result.observations / seed_s),
                    "people_per_s": round(people / seed_s),
                },
                "first_county_report": _county_report(
                    store, template, COUNTIES[0], work / "first.csv", repeat
                ),
                "newest_county_report": _county_report(
                    store, template, county, work / "newest.csv", repeat
                ),
                "province_aggregate": _province_aggregate(store, shard_engine, placed, repeat),
            }
            if i + 1 in args.linkage_at:  # two and four: one pair of counties, then six
                spark = province_service.SparkOptions(args.spark_master)
                step["cross_county_linkage"] = _linkage(store, list(placed), args.engine, spark)
            print(json.dumps(step, ensure_ascii=False), flush=True)
            steps.append(step)
        store.engine.dispose()
        if shard_engine is not None:
            shard_engine.dispose()
    finally:
        for c in clusters:
            c.stop()
    return steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--people",
        type=int,
        default=20000,
        help="people per county (250000 takes hours: see the module docstring)",
    )
    ap.add_argument("--counties", type=int, default=4, choices=range(1, len(COUNTIES) + 1))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--layouts", default="one,two")
    ap.add_argument(
        "--linkage-at",
        type=lambda t: {int(x) for x in t.split(",") if x.strip()},
        default={2, 4},
        help="county counts after which cross-county linkage runs ('' for none)",
    )
    ap.add_argument("--engine", choices=province_service.ENGINES, default="duckdb")
    ap.add_argument("--spark-master", default="local[*]")
    ap.add_argument("--out", type=Path, default=RESULTS, help="where the JSON goes")
    args = ap.parse_args()
    if args.engine == "spark" and (missing := spark_missing()):
        ap.error(f"--engine spark: {missing} (pip install 'onesheet[spark]' and a JRE)")
    load = os.getloadavg()  # the machine is shared: a busy one moves single figures
    steps: list[dict] = []
    with tempfile.TemporaryDirectory() as work:
        for layout in args.layouts.split(","):
            steps += run_layout(layout, args.people, args.counties, args.repeat, Path(work), args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "benchmark": "province",
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.machine()} {os.cpu_count()} cores, "
                f"Python {platform.python_version()}",
                "people_per_county": args.people,
                "linkage_engine": args.engine,
                "linkage_at_counties": sorted(args.linkage_at),
                "load_average_at_start": [round(x, 2) for x in load],
                "note": "both clusters on the same machine (loopback); PostgreSQL "
                "fsync=off as in the test clusters",
                "steps": steps,
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
