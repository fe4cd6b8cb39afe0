"""Report benchmark: one-click reports against their floors, on a seeded county.

Seeding a million people takes ~10 minutes per backend, so the seeded databases are kept in
``--data`` (default ``/tmp/onesheet-reports-bench``) and reused: a SQLite file per size and
a PostgreSQL cluster (started if stopped) with one database per size.

    .venv/bin/python bench/reports.py seed --backend sqlite --people 1000000
    .venv/bin/python bench/reports.py run --backend sqlite --people 1000000 [--rows 100000]

``run`` measures, for a 30-column roster of about ``--rows`` rows:
- OneSheet end to end (service: scope, masking, codes → names, layout, 待采集, report_run);
- the floor: the same SELECT on the current view + a bare XlsxWriter constant_memory write;
- a straightforward pandas + openpyxl script (read_sql → DataFrame.to_excel);
- peak RSS of a ``--rows`` and a 4× ``--rows`` report, each in its own subprocess;
- an aggregate report (all villages × 12 conditions) against a bare GROUP BY.
Results are merged into bench/results/reports.json under the backend's name.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pwd
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

RESULTS = Path(__file__).parent / "results" / "reports.json"
COUNTY = "330523"
PG_PORT = 55433
TODAY = date(2026, 11, 1)


# --------------------------------------------------------------------------- seeded data
def sqlite_url(data: Path, people: int) -> str:
    return f"sqlite:///{data}/county_{people}.db"


def pg_root(data: Path) -> Path:
    return data / "pg"


def pg_server_url() -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{PG_PORT}/postgres"


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def ensure_pg(data: Path) -> str:
    """Start (creating if needed) the bench's own PostgreSQL cluster; return its URL."""
    from onesheet.devtools.pg_cluster import _bin_dir

    bin_dir, root = _bin_dir(), pg_root(data)
    pgdata = root / "data"
    if os.geteuid() == 0:
        root.mkdir(parents=True, exist_ok=True)
        pg = pwd.getpwnam("postgres")
        os.chown(root, pg.pw_uid, pg.pw_gid)
    if not pgdata.exists():
        init = [str(bin_dir / "initdb"), "-D", str(pgdata), "-U", "postgres", "-A", "trust"]
        subprocess.run(_as_postgres([*init, "-E", "UTF8", "--no-locale"]), check=True)
    status = subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(pgdata), "status"]))
    if status.returncode != 0:
        opts = (
            f"-p {PG_PORT} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c shared_buffers=512MB "
            "-c work_mem=64MB -c max_wal_size=4GB"
        )
        start = [str(bin_dir / "pg_ctl"), "-D", str(pgdata), "-o", opts]
        subprocess.run(_as_postgres([*start, "-l", str(root / "log"), "-w", "start"]), check=True)
    return pg_server_url()


def pg_url(data: Path, people: int) -> str:
    return pg_server_url().rsplit("/", 1)[0] + f"/county_{people}"


def database_url(backend: str, data: Path, people: int) -> str:
    if backend == "sqlite":
        return sqlite_url(data, people)
    ensure_pg(data)
    return pg_url(data, people)


def seed(backend: str, data: Path, people: int) -> None:
    """Create and seed the database for ``people`` unless a finished one exists."""
    from onesheet.domain.access import CLI_ADMIN
    from onesheet.services import setup
    from onesheet.services.base import Store
    from onesheet.services.seed import seed_county
    from onesheet.store.engine import make_engine

    data.mkdir(parents=True, exist_ok=True)
    marker = data / f"{backend}_{people}.done"
    if marker.exists():
        print(f"{backend} {people:,}: already seeded ({marker})")
        return
    if backend == "sqlite":
        Path(sqlite_url(data, people).removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:
        admin = create_engine(ensure_pg(data), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "county_{people}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "county_{people}"'))
        admin.dispose()
    store = Store(make_engine(database_url(backend, data, people)))
    setup.init_database(store, CLI_ADMIN)
    start = time.perf_counter()
    seed_county(store, CLI_ADMIN, COUNTY, people=people, seed=1, today=TODAY)
    seconds = time.perf_counter() - start
    with store.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    store.engine.dispose()
    marker.write_text(json.dumps({"people": people, "seed_seconds": round(seconds, 1)}))
    print(f"{backend} {people:,}: seeded in {seconds:.0f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["seed", "run"])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/onesheet-reports-bench"))
    args = parser.parse_args()
    if args.command == "seed":
        seed(args.backend, args.data, args.people)
        return
    run(args)


def run(args: argparse.Namespace) -> None:
    raise SystemExit("run: not written yet")


if __name__ == "__main__":
    sys.exit(main())
