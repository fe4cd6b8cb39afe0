"""Bootstrap benchmark: ``onesheet bootstrap`` against a bare COPY of the same export rows.

On PostgreSQL (and SQLite for reference): load the 安吉县 sample org tree, write a
public-security household export of N people (1–4 a household, valid ID numbers), then time

* the bootstrap service: read + check every row + place + build households + write entities,
  observations (COPY) and the current view, one transaction;
* the floor: the same CSV bytes into a bare 7-column text table with one ``COPY … FROM STDIN
  (FORMAT csv)`` (SQLite: ``executemany`` of the parsed rows).

The machine is shared (2 cores, other sessions' tests), so besides wall time each phase is
measured in CPU seconds: this process plus every process of the benchmark's own PostgreSQL
cluster (postmaster, backends, WAL writer, checkpointer; read from /proc), and the ratios
are given for both. Writes bench/results/bootstrap.json.

    .venv/bin/python bench/bootstrap.py [--people 100000] [--backends postgresql,sqlite]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from onesheet.devtools.pg_cluster import Cluster
from onesheet.domain.access import CLI_ADMIN
from onesheet.domain.synth.orgs import village_name
from onesheet.domain.synth.reference import divisions
from onesheet.domain.values.idnumber import make_id_number
from onesheet.services import bootstrap, org_tree, setup
from onesheet.services.base import Store
from onesheet.store.engine import make_engine

RESULTS = Path(__file__).parent / "results" / "bootstrap.json"
COUNTY = "330523"
HEADER = ["户号", "户主", "与户主关系", "姓名", "身份证号", "住址", "所属村/社区"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂"
RELATIONS = ("配偶", "长子", "长女", "次子", "母亲", "孙子")


def orgs_csv() -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["统计用区划代码", "名称"])
    for code, d in divisions().items():
        if code.startswith(COUNTY):
            w.writerow([code.ljust(12, "0"), d.name])
    return buf.getvalue().encode()


def export_csv(people: int) -> bytes:
    vs = [(c, d.name) for c, d in divisions().items() if c.startswith(COUNTY) and len(c) == 12]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    n = h = 0
    first = date(1940, 1, 1)
    while n < people:
        _code, committee = vs[h % len(vs)]
        place, _ = village_name(committee)
        size = min(1 + h % 4, people - n)
        head = ""
        for m in range(size):
            birth = first + timedelta(days=n // 900)  # ≤ 900 people share a birth date
            number = make_id_number(COUNTY, birth, n % 900 + 1)
            name = SURNAMES[h % 20] + GIVEN[(h + m) % len(GIVEN)] + GIVEN[(h * 7 + m) % len(GIVEN)]
            head = head or name
            rel = "户主" if m == 0 else RELATIONS[(m - 1) % 6]
            w.writerow(
                [f"{COUNTY}{h:08d}", head, rel, name, number, f"安吉县{place}{h}号", committee]
            )
            n += 1
        h += 1
    return buf.getvalue().encode()


class Clock:
    """Wall and CPU seconds of a phase: this process, plus the PostgreSQL cluster's
    processes when one is given (its postmaster's children)."""

    def __init__(self, cluster_data: Path | None = None) -> None:
        self.cluster_data = cluster_data
        self.tick = os.sysconf("SC_CLK_TCK")

    def _server_cpu(self) -> float:
        if self.cluster_data is None:
            return 0.0
        master = int((self.cluster_data / "postmaster.pid").read_text().split()[0])
        total = 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(entry) == master or int(fields[1]) == master:
                total += int(fields[11]) + int(fields[12])  # utime + stime
        return total / self.tick

    def __enter__(self) -> Clock:
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        self.server0 = self._server_cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.client_cpu = time.process_time() - self.cpu0
        self.server_cpu = self._server_cpu() - self.server0
        self.cpu = self.client_cpu + self.server_cpu


def run(url: str, people: int, data: bytes, cluster_data: Path | None = None) -> dict:  # type: ignore[type-arg]
    store = Store(make_engine(url))
    setup.init_database(store, CLI_ADMIN)
    org_tree.load_org_tree(store, CLI_ADMIN, orgs_csv(), "orgs.csv")
    stages: dict[str, float] = {}
    stage_cpu: dict[str, float] = {}  # this process's CPU at each stage's start
    start, cpu_start = time.perf_counter(), time.process_time()

    def tell(stage: str, done: int, total: int) -> None:
        stages.setdefault(stage, round(time.perf_counter() - start, 2))
        stage_cpu.setdefault(stage, round(time.process_time() - cpu_start, 2))

    with Clock(cluster_data) as ours_clock:
        result = bootstrap.bootstrap_population(store, CLI_ADMIN, data, "export.csv", progress=tell)
    ours = ours_clock.wall
    assert result.people_new == people, result
    ddl = "CREATE TABLE bare_export (" + ", ".join(f"c{i} TEXT" for i in range(7)) + ")"
    with store.engine.begin() as conn:
        conn.exec_driver_sql(ddl)
    with Clock(cluster_data) as bare_clock, store.engine.begin() as conn:
        if store.engine.dialect.name == "postgresql":
            raw = conn.connection.driver_connection
            sql = "COPY bare_export FROM STDIN (FORMAT csv, HEADER true)"
            with raw.cursor() as cur, cur.copy(sql) as copy:  # type: ignore[union-attr]
                copy.write(data)
        else:
            rows = [tuple(r) for r in csv.reader(io.StringIO(data.decode()))][1:]
            conn.exec_driver_sql("INSERT INTO bare_export VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    obs_clock = _bare_observations(store, cluster_data)
    written = _written_rows_floor(store, cluster_data)
    store.engine.dispose()
    bare, obs_seconds = bare_clock.wall, obs_clock.wall
    return {
        "people": people,
        "households": result.households_new,
        "observations": result.observations,
        "bootstrap_seconds": round(ours, 2),
        "bare_copy_seconds": round(bare, 3),
        "ratio": round(ours / bare, 1),
        "bootstrap_cpu_seconds": round(ours_clock.cpu, 2),
        "bootstrap_cpu_client_server": [
            round(ours_clock.client_cpu, 2),
            round(ours_clock.server_cpu, 2),
        ],
        "bare_copy_cpu_seconds": round(bare_clock.cpu, 3),
        "cpu_ratio": round(ours_clock.cpu / max(bare_clock.cpu, 0.01), 1),
        "stage_starts_seconds": stages,
        "stage_starts_client_cpu_seconds": stage_cpu,
        "bare_copy_of_written_observations_seconds": round(obs_seconds, 3),
        "ratio_to_observation_copy": round(ours / obs_seconds, 1),
        "cpu_ratio_to_observation_copy": round(ours_clock.cpu / max(obs_clock.cpu, 0.01), 1),
        "people_per_second": round(people / ours),
        "written_rows_floor_seconds": round(written.wall, 2) if written else None,
        "written_rows_floor_cpu_seconds": round(written.cpu, 2) if written else None,
        "cpu_ratio_to_written_rows_floor": (
            round(ours_clock.cpu / max(written.cpu, 0.01), 1) if written else None
        ),
        "load_average_after": os.getloadavg()[0],
    }


WRITTEN = ("entity", "observation", "sheet_person", "sheet_household")


def _written_rows_floor(store: Store, cluster_data: Path | None) -> Clock | None:
    """PostgreSQL: every row the bootstrap wrote (entities, observations, both sheet
    tables), COPYed in one transaction into copies of those tables *with their indexes*
    (``LIKE … INCLUDING ALL``) — the same writes without any reading, checking or placing:
    what the schema itself costs, the floor of any bulk path."""
    if store.engine.dialect.name != "postgresql":
        return None
    blobs: dict[str, bytes] = {}
    with store.engine.begin() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:  # type: ignore[union-attr]
            for name in WRITTEN:
                cur.execute(f"CREATE TABLE floor_{name} (LIKE {name} INCLUDING ALL)")
                with cur.copy(f"COPY {name} TO STDOUT (FORMAT csv)") as copy:
                    blobs[name] = b"".join(bytes(chunk) for chunk in copy)
    with Clock(cluster_data) as clock, store.engine.begin() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:  # type: ignore[union-attr]
            for name in WRITTEN:
                with cur.copy(f"COPY floor_{name} FROM STDIN (FORMAT csv)") as copy:
                    copy.write(blobs[name])
    return clock


def _bare_observations(store: Store, cluster_data: Path | None) -> Clock:
    """Time to bulk-write the observation rows the bootstrap wrote to a bare table, as the
    CSV text COPY the bootstrap itself sends (one ``COPY … (FORMAT csv)`` of the whole
    log; SQLite: ``executemany``)."""
    cols = "entity_id, entity_type, field_key, value, kind, valid_from, source, actor, batch_id"
    with store.engine.begin() as conn:
        rows = [tuple(r) for r in conn.exec_driver_sql(f"SELECT {cols} FROM observation")]
        conn.exec_driver_sql(
            "CREATE TABLE bare_obs (entity_id BIGINT, entity_type TEXT, field_key TEXT, "
            "value TEXT, kind TEXT, valid_from TIMESTAMP, source TEXT, actor TEXT, batch_id BIGINT)"
        )
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    blob = buf.getvalue().encode()
    with Clock(cluster_data) as clock, store.engine.begin() as conn:
        if store.engine.dialect.name == "postgresql":
            raw = conn.connection.driver_connection
            sql = f"COPY bare_obs ({cols}) FROM STDIN (FORMAT csv)"
            with raw.cursor() as cur, cur.copy(sql) as copy:  # type: ignore[union-attr]
                copy.write(blob)
        else:
            conn.exec_driver_sql("INSERT INTO bare_obs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return clock


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--backends", default="postgresql,sqlite")
    ap.add_argument("--merge", action="store_true", help="add to the results file")
    args = ap.parse_args()
    data = export_csv(args.people)
    out: dict = {  # type: ignore[type-arg]
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "export_bytes": len(data),
        "goal": "bootstrap ≤ 3× a bare COPY of the same rows",
        "floors": "ratio: the export's CSV bytes COPYed into a 7-column text table; "
        "ratio_to_observation_copy: the observation rows the bootstrap wrote, COPYed into a "
        "bare table without indexes (what seed.json compares against); "
        "written_rows_floor: every row the bootstrap wrote, COPYed into copies of the same "
        "tables with their indexes (PostgreSQL) — what the schema alone costs",
        "results": {},
    }
    if args.merge and RESULTS.exists():  # keep earlier results and notes beside the new run
        kept = json.loads(RESULTS.read_text())
        out = {**kept, **{k: v for k, v in out.items() if k != "results"}}
        out["results"] = kept.get("results", {})
    for backend in args.backends.split(","):
        if backend == "postgresql":
            cluster = Cluster()
            cluster.start()
            try:
                admin = create_engine(cluster.url, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text('CREATE DATABASE "bench_bootstrap"'))
                admin.dispose()
                url = cluster.url.rsplit("/", 1)[0] + "/bench_bootstrap"
                out["results"][f"postgresql_{args.people}"] = run(
                    url, args.people, data, cluster.data
                )
            finally:
                cluster.stop()
        else:
            with tempfile.TemporaryDirectory() as tmp:
                out["results"][f"sqlite_{args.people}"] = run(
                    f"sqlite:///{tmp}/b.db", args.people, data
                )
        print(backend, out["results"][f"{backend}_{args.people}"], flush=True)
    RESULTS.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
