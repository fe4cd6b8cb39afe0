"""Web benchmark: the browser's hot requests under 50 concurrent clients, on PostgreSQL.

A county of ``--people`` (default 1,000,000) is seeded once with the real CLI
(``onesheet init`` + ``onesheet seed``) into a cluster started by
``onesheet.devtools.pg_cluster.Cluster``; seeding a million takes ~10-12 minutes on 2 cores,
so an existing cluster can be reused with ``--pgdata DIR`` (its ``data`` folder; started on
``--pg-port`` if stopped) and ``--database NAME``. Then:

- ``onesheet init`` (brings an older seeded database up to the current schema), two users
  (a county-wide department user who searches, the cadre of the village with most missing
  phone numbers), and an approved template asking for phones, whose collection tasks are
  created the way the Gate's approval creates them;
- ``onesheet serve --workers N`` (uvicorn; ``--workers``, default 2 = the machine's cores);
- ``--clients`` concurrent clients (httpx, asyncio, one process) for ``--seconds`` on
  loopback, each looping over four requests: person search by ID number and by name
  (``/api/people?q=``, the department, county-wide), the task page (``/api/tasks/{id}``,
  the cadre, a random page of the task) and the one-sheet page (``/sheet?q=``, the cadre,
  a name prefix from the village).

Prints p50/p95/p99 and requests/s per request kind and writes ``bench/results/web.json``.

    .venv/bin/python bench/web.py                       # seed 1M into a new cluster, run
    .venv/bin/python bench/web.py --people 20000        # a quick run
    .venv/bin/python bench/web.py --pgdata /tmp/x/pg/data --database county_1000000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

RESULTS = Path(__file__).parent / "results" / "web.json"
CLI = [sys.executable, "-m", "onesheet.cli.main"]
PASSWORD = "bench-web-pass-1"
TEMPLATE_ID = "BENCH-WEB-PHONES"
GOAL_MS = 100
GOAL_KINDS = ("search_id", "search_name", "task_page")


# ------------------------------------------------------------------------------ database
def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def reuse_cluster(pgdata: Path, port: int) -> str:
    """Start the cluster in ``pgdata`` unless it runs; return the superuser's server URL."""
    from onesheet.devtools.pg_cluster import _bin_dir

    bin_dir, root = _bin_dir(), pgdata.parent
    status = subprocess.run(
        _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(pgdata), "status"]), capture_output=True
    )
    if status.returncode != 0:
        opts = (
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c shared_buffers=512MB "
            "-c work_mem=64MB -c max_wal_size=4GB -c max_connections=200"
        )
        cmd = [str(bin_dir / "pg_ctl"), "-D", str(pgdata), "-o", opts, "-l", str(root / "log")]
        subprocess.run(_as_postgres([*cmd, "-w", "start"]), check=True)
    else:
        found = re.search(rb"-p\"? \"?(\d+)", status.stdout)
        port = int(found.group(1)) if found else port
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"


def new_cluster() -> tuple[str, Path]:
    from onesheet.devtools.pg_cluster import Cluster

    cluster = Cluster()
    cluster.start()  # left running so the seeded county can be reused (--pgdata)
    return cluster.url, cluster.data


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([*CLI, *args], env=env, check=True, capture_output=True, text=True)
    return done.stdout


def prepare(env: dict[str, str], url: str, people: int, seed: bool) -> dict[str, object]:
    """Schema, (seed), users and the task; returns what the clients ask for."""
    cli(env, "init")
    timings: dict[str, float] = {}
    if seed:
        start = time.perf_counter()
        cli(env, "seed", "--people", str(people))
        timings["seed_seconds"] = round(time.perf_counter() - start, 1)
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
        engine.dispose()
    start = time.perf_counter()
    created = _ensure_task(url)
    timings["task_creation_seconds"] = round(time.perf_counter() - start, 1)
    engine = create_engine(url)
    with engine.connect() as conn:
        county = conn.execute(text("SELECT code FROM org_unit WHERE level = 'county'")).scalar()
        task_id, village, items = conn.execute(
            text(
                "SELECT id, org_code, items_total FROM collection_task WHERE template_id = :t "
                "ORDER BY items_total DESC LIMIT 1"
            ),
            {"t": TEMPLATE_ID},
        ).one()
        ids = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT id_number FROM sheet_person TABLESAMPLE SYSTEM (1) "
                    "WHERE id_number IS NOT NULL LIMIT 2000"
                )
            )
        ]
        names = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT name FROM sheet_person TABLESAMPLE SYSTEM (1) "
                    "WHERE name IS NOT NULL LIMIT 2000"
                )
            )
        ]
        village_names = [
            r[0]
            for r in conn.execute(
                text("SELECT name FROM sheet_person WHERE org_code LIKE :v AND name IS NOT NULL"),
                {"v": village + "%"},
            )
        ]
        total = conn.execute(text("SELECT count(*) FROM sheet_person")).scalar()
    engine.dispose()
    password = Path(tempfile.mkdtemp(prefix="bench-web-")) / "password.txt"
    password.write_text(PASSWORD + "\n")
    engine = create_engine(url)
    with engine.connect() as conn:
        existing = set(conn.execute(text("SELECT username FROM app_user")).scalars())
    engine.dispose()
    for name, role, org, extra in (
        ("bench_dept", "department", county, ["--department", "civil_affairs"]),
        ("bench_cadre", "village", village, []),
    ):
        if name not in existing:
            cli(env, "users", "add", name, "--role", role, "--org", org,
                "--password-file", str(password), *extra)  # fmt: skip
    return {
        "people": total,
        "county": county,
        "task_id": task_id,
        "task_items": items,
        "village": village,
        "village_people": len(village_names),
        "ids": ids,
        "names": names,
        "village_names": village_names,
        "tasks_created": created,
        **timings,
    }


def _ensure_task(url: str) -> int:
    """An approved phone-number template with its tasks, as the Gate's approval makes them."""
    from onesheet.domain.template_spec import TemplateSpec
    from onesheet.services.base import Store, utcnow
    from onesheet.store import tasks as task_store
    from onesheet.store.templates import get_template, insert_template

    fields = ["person.name", "person.phone", "person.education"]
    spec = TemplateSpec.model_validate(
        {
            "id": TEMPLATE_ID,
            "title": "村民联系电话核对表（压测）",
            "department": "civil_affairs",
            "entity": "person",
            "columns": [
                {"letter": chr(65 + i), "heading": f, "field": f} for i, f in enumerate(fields)
            ],
            "layout": {"title": "村民联系电话核对表", "heading_rows": [["姓名"]]},
        }
    )
    store = Store.from_url(url)
    try:
        with store.transaction() as conn:
            if get_template(conn, TEMPLATE_ID) is not None:
                return 0
            insert_template(conn, spec, status="approved", actor="bench", at=utcnow())
            return task_store.create_for_template(conn, store.dictionary, spec, now=utcnow()).tasks
    finally:
        store.engine.dispose()


# -------------------------------------------------------------------------------- server
def serve(env: dict[str, str], port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("server did not answer")


def login(base: str, username: str) -> str:
    """The session cookie header for ``username`` (through the real login form)."""
    with httpx.Client(base_url=base) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, "login page without a CSRF token"
        r = client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
        )
        assert r.status_code == 303, (r.status_code, r.text[:300])
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


# ---------------------------------------------------------------------------------- load
def requests_for(plan: dict[str, object], rng: random.Random, pages: int):  # type: ignore[no-untyped-def]
    """(kind, path, role) for one request of each kind, drawn at random."""
    ids, names = plan["ids"], plan["names"]
    village_names = plan["village_names"] or names
    return [
        ("search_id", f"/api/people?q={rng.choice(ids)}", "dept"),  # type: ignore[arg-type]
        ("search_name", f"/api/people?q={rng.choice(names)}", "dept"),  # type: ignore[arg-type]
        ("task_page", f"/api/tasks/{plan['task_id']}?page={rng.randint(1, pages)}", "cadre"),
        ("sheet_page", f"/sheet?q={rng.choice(village_names)[:1]}", "cadre"),  # type: ignore[index]
    ]


async def load(
    base: str, cookies: dict[str, str], plan: dict[str, object], clients: int, seconds: float
) -> tuple[dict[str, list[float]], dict[str, int], float]:
    pages = max(1, -(-int(plan["task_items"]) // 20))  # type: ignore[call-overload]
    latencies: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:

        async def client(n: int, deadline: float) -> None:
            rng = random.Random(n)
            while time.perf_counter() < deadline:
                for kind, path, role in requests_for(plan, rng, pages):
                    if time.perf_counter() >= deadline:
                        return
                    start = time.perf_counter()
                    r = await http.get(path, headers={"cookie": cookies[role]})
                    elapsed = (time.perf_counter() - start) * 1000
                    if r.status_code != 200:
                        errors[kind] = errors.get(kind, 0) + 1
                    latencies.setdefault(kind, []).append(elapsed)

        # warm-up: a few rounds so the first-request costs (imports, pools) are not measured
        await asyncio.gather(*(client(n, time.perf_counter() + 2) for n in range(clients)))
        latencies.clear()
        errors.clear()
        start = time.perf_counter()
        await asyncio.gather(*(client(n, start + seconds) for n in range(clients)))
        wall = time.perf_counter() - start
    return latencies, errors, wall


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summarise(latencies: dict[str, list[float]], errors: dict[str, int], wall: float):  # type: ignore[no-untyped-def]
    table = {}
    for kind, values in latencies.items():
        table[kind] = {
            "requests": len(values),
            "errors": errors.get(kind, 0),
            "p50_ms": round(pct(values, 50), 1),
            "p95_ms": round(pct(values, 95), 1),
            "p99_ms": round(pct(values, 99), 1),
            "mean_ms": round(statistics.fmean(values), 1),
            "requests_per_s": round(len(values) / wall, 1),
        }
    return table


# ---------------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--pgdata", type=Path, help="reuse this cluster's data folder")
    parser.add_argument("--pg-port", type=int, default=55441)
    parser.add_argument("--database", help="database in --pgdata (default county_<people>)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--no-write", action="store_true", help="do not update web.json")
    args = parser.parse_args()

    database = args.database or f"county_{args.people}"
    if args.pgdata:
        server_url, pgdata = reuse_cluster(args.pgdata, args.pg_port), args.pgdata
    else:
        server_url, pgdata = new_cluster()
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database}
        ).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    url = server_url.rsplit("/", 1)[0] + f"/{database}"
    env = {**os.environ, "ONESHEET_DATABASE_URL": url}
    print(f"database {url} (cluster data {pgdata}); {'reusing' if exists else 'seeding'}")
    plan = prepare(env, url, args.people, seed=not exists)
    print(
        f"{plan['people']:,} people; task {plan['task_id']} of village {plan['village']} "
        f"({plan['village_people']:,} people, {plan['task_items']:,} values to collect)"
    )
    server = serve(env, args.port, args.workers)
    try:
        base = f"http://127.0.0.1:{args.port}"
        cookies = {"dept": login(base, "bench_dept"), "cadre": login(base, "bench_cadre")}
        latencies, errors, wall = asyncio.run(load(base, cookies, plan, args.clients, args.seconds))
    finally:
        server.terminate()
        server.wait(20)
    table = summarise(latencies, errors, wall)
    print(f"\n{args.clients} clients, {wall:.1f} s, {args.workers} uvicorn workers")
    print(f"{'request':<12} {'n':>7} {'err':>4} {'p50':>8} {'p95':>8} {'p99':>8} {'req/s':>8}")
    for kind, row in table.items():
        print(
            f"{kind:<12} {row['requests']:>7} {row['errors']:>4} {row['p50_ms']:>8} "
            f"{row['p95_ms']:>8} {row['p99_ms']:>8} {row['requests_per_s']:>8}"
        )
    total = sum(r["requests"] for r in table.values()) / wall
    goal = {k: table[k]["p95_ms"] <= GOAL_MS for k in GOAL_KINDS if k in table}
    print(f"total {total:.0f} req/s; p95 ≤ {GOAL_MS} ms: {goal}")
    if args.no_write:
        return
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "web",
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.machine()} {os.cpu_count()} cores, "
                f"Python {platform.python_version()}",
                "backend": "postgresql",
                "people": plan["people"],
                "people_requested": args.people,
                "database": "reused (--pgdata)" if exists else "seeded by this run",
                "seed_seconds": plan.get("seed_seconds"),
                "task_creation_seconds": plan["task_creation_seconds"],
                "server": f"onesheet serve --workers {args.workers} (uvicorn)",
                "clients": args.clients,
                "seconds": round(wall, 1),
                "mix": "each client loops search_id, search_name, task_page, sheet_page",
                "search_actor": "department user, county-wide (civil_affairs)",
                "task_and_sheet_actor": f"village cadre of {plan['village']} "
                f"({plan['village_people']} people; task of {plan['task_items']} values, "
                "20 people a page)",
                "results": table,
                "total_requests_per_s": round(total, 1),
                "goal_p95_ms": GOAL_MS,
                "goal_met": goal,
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
