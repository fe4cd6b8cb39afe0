"""Seed benchmark: OneSheet's seed against a bare bulk write of the same observation rows.

For each backend: seed N people through the real service (log + current view + entities, one
transaction), then write the same observation rows to a bare table with the backend's
fastest bulk path (``executemany`` on SQLite, ``COPY`` on PostgreSQL). Prints observations/s
and the ratios; writes bench/results/seed.json.

    .venv/bin/python bench/seed.py [--people 100000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path

from sqlalchemy import create_engine, text

from onesheet.devtools.pg_cluster import Cluster
from onesheet.domain.access import CLI_ADMIN
from onesheet.domain.synth import generate_county
from onesheet.services import setup
from onesheet.services.base import Store
from onesheet.services.seed import seed_county
from onesheet.store.engine import make_engine

RESULTS = Path(__file__).parent / "results" / "seed.json"
COUNTY = "330523"
BARE_DDL = (
    "CREATE TABLE bare_observation (county_code VARCHAR(6), entity_id BIGINT, entity_type "
    "VARCHAR(20), field_key VARCHAR(80), value TEXT, kind VARCHAR(10), valid_from TIMESTAMP, "
    "recorded_at TIMESTAMP, source VARCHAR(40), actor VARCHAR(80), batch_id BIGINT, reason TEXT)"
)


def generation_seconds(people: int, seed: int) -> float:
    """Seconds the synthetic generator alone takes (the part of a seed that is not storage)."""
    start = time.perf_counter()
    for village in generate_county(COUNTY, people, seed, today=date(2026, 11, 1)).villages():
        len(village.entities)
    return time.perf_counter() - start


def synth_rows(people: int, seed: int) -> list[tuple]:  # type: ignore[type-arg]
    """The observation rows a seed writes, as plain tuples (the floor's input)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    rows, next_id = [], 1
    for village in generate_county(COUNTY, people, seed, today=date(2026, 11, 1)).villages():
        for e in village.entities:
            for key, value, source, valid_from in e.values:
                rows.append(
                    (
                        COUNTY,
                        next_id,
                        e.entity_type,
                        key,
                        value,
                        "value",
                        datetime.combine(valid_from, dtime()),
                        now,
                        source,
                        "bench",
                        1,
                        None,
                    )
                )
            next_id += 1
    return rows


# The same table with the log's own key and index: shows how much of the gap to the bare
# floor is index maintenance that any indexed log pays (reported, not the goal's floor).
INDEXED_DDL = (
    BARE_DDL.replace("CREATE TABLE bare_observation (", "CREATE TABLE bare_observation (id {id}, "),
    "CREATE INDEX ix_bare_entity_field ON bare_observation (entity_id, field_key)",
)
COLUMNS = (
    "county_code, entity_id, entity_type, field_key, value, kind, valid_from, recorded_at, "
    "source, actor, batch_id, reason"
)


def floor_write(url: str, rows: list[tuple], indexed: bool = False) -> float:  # type: ignore[type-arg]
    """Seconds to write ``rows`` to a bare table by the backend's fastest bulk path."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS bare_observation")
        if indexed:
            pg = engine.dialect.name == "postgresql"
            key = "BIGSERIAL PRIMARY KEY" if pg else "INTEGER PRIMARY KEY"
            conn.exec_driver_sql(INDEXED_DDL[0].format(id=key))
            conn.exec_driver_sql(INDEXED_DDL[1])
        else:
            conn.exec_driver_sql(BARE_DDL)
    start = time.perf_counter()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            raw = conn.connection.driver_connection
            sql = f"COPY bare_observation ({COLUMNS}) FROM STDIN"
            with raw.cursor() as cur, cur.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            conn.exec_driver_sql(
                f"INSERT INTO bare_observation ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows
            )
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def onesheet_seed(url: str, people: int, seed: int) -> tuple[float, int]:
    store = Store(make_engine(url))
    setup.init_database(store, CLI_ADMIN)
    start = time.perf_counter()
    result = seed_county(
        store, CLI_ADMIN, COUNTY, people=people, seed=seed, today=date(2026, 11, 1)
    )
    elapsed = time.perf_counter() - start
    store.engine.dispose()
    return elapsed, result.observations


def fresh_pg_database(server_url: str, name: str) -> str:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server_url.rsplit("/", 1)[0] + "/" + name


def run_backend(backend: str, people: int, seed: int, rows, gen_seconds, workdir, pg_url):  # type: ignore[no-untyped-def]
    if backend == "sqlite":
        url_onesheet = f"sqlite:///{workdir}/onesheet.db"
        url_floor = f"sqlite:///{workdir}/floor.db"
    else:
        url_onesheet = fresh_pg_database(pg_url, "bench_onesheet")
        url_floor = fresh_pg_database(pg_url, "bench_floor")
    seconds, observations = onesheet_seed(url_onesheet, people, seed)
    floor = floor_write(url_floor, rows)
    floor_indexed = floor_write(url_floor, rows, indexed=True)
    store_only = max(seconds - gen_seconds, 1e-9)
    out = {
        "backend": backend,
        "people": people,
        "observations": observations,
        "onesheet_seconds": round(seconds, 2),
        "generation_seconds": round(gen_seconds, 2),
        "floor_seconds": round(floor, 2),
        "onesheet_observations_per_s": round(observations / seconds),
        "floor_observations_per_s": round(len(rows) / floor),
        "ratio_end_to_end": round(seconds / floor, 2),
        "ratio_store_only": round(store_only / floor, 2),
        "floor_indexed_seconds": round(floor_indexed, 2),
        "ratio_store_only_vs_indexed_floor": round(store_only / floor_indexed, 2),
    }
    print(
        f"{backend:>10}: onesheet {seconds:6.1f}s ({out['onesheet_observations_per_s']:,} obs/s)"
        f" | generation {gen_seconds:5.1f}s | floor {floor:5.1f}s "
        f"({out['floor_observations_per_s']:,} obs/s) | ratio end-to-end "
        f"{out['ratio_end_to_end']}x, store-only {out['ratio_store_only']}x (goal ≤ 3x)"
        f" | indexed floor {floor_indexed:5.1f}s → store-only "
        f"{out['ratio_store_only_vs_indexed_floor']}x"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    backends = args.backends.split(",")
    rows = synth_rows(args.people, args.seed)
    gen_seconds = generation_seconds(args.people, args.seed)
    print(
        f"{len(rows):,} observation rows for {args.people:,} people "
        f"(generated in {gen_seconds:.1f}s)"
    )
    results = []
    cluster = None
    pg_url = os.environ.get("ONESHEET_BENCH_POSTGRES_URL")
    try:
        if "postgresql" in backends and not pg_url:
            cluster = Cluster()
            cluster.start()
            pg_url = cluster.url
        with tempfile.TemporaryDirectory() as workdir:
            for backend in backends:
                results.append(
                    run_backend(backend, args.people, args.seed, rows, gen_seconds, workdir, pg_url)
                )
    finally:
        if cluster:
            cluster.stop()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "seed",
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.machine()} {os.cpu_count()} cores, "
                f"Python {platform.python_version()}",
                "results": results,
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )
    print(f"results → {RESULTS}")


if __name__ == "__main__":
    main()
