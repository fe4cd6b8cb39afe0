"""CPU cost of one request of each kind of the web bench, measured in process.

``bench/web.py`` measures latency and throughput through uvicorn on a shared machine, where
other jobs change wall times run to run. This harness measures what one request *costs*:
the app (``create_app``) is driven in this process through httpx's ASGI transport with every
sync route and dependency run inline on the event loop's thread (``anyio.to_thread`` is
replaced while it runs), so ``time.thread_time()`` is the app's CPU for the request and
cProfile sees every frame. PostgreSQL's CPU for it is read from ``/proc`` for the server
processes of the cluster (the backends this process talks to), and SQLAlchemy events count
the statements and pool checkouts.

The requests are those of ``bench/web.py``, as the same actors: ``search_id`` and
``search_name`` (``/api/people?q=``, the county-wide department user ``bench_dept``),
``task_page`` (``/api/tasks/{id}?page=``) and ``sheet_page`` (``/sheet?q=``) as the village
cadre ``bench_cadre``; the database is the one ``bench/web.py`` prepared (its users, task).

    .venv/bin/python bench/web_profile.py --url postgresql+psycopg://postgres@127.0.0.1:43605/county_1000000
    .venv/bin/python bench/web_profile.py --url ... --n 200 --profile 25 --statements
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import random
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import anyio.to_thread
import httpx
import psycopg
from sqlalchemy import event, text

from web import PASSWORD, biggest_task, requests_for  # bench/web.py: same users, task, requests

KINDS = ("search_id", "search_name", "task_page", "sheet_page")


async def _inline(func, *args, **_kwargs):  # type: ignore[no-untyped-def]
    """``anyio.to_thread.run_sync`` run on the calling thread (profiling only)."""
    return func(*args)


def plan_of(engine) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The task, the ids, names and village names the bench draws from (read, not made)."""
    with engine.connect() as conn:
        _, task_id, village, items = biggest_task(conn)
        ids = list(
            conn.execute(
                text(
                    "SELECT id_number FROM sheet_person TABLESAMPLE SYSTEM (1) REPEATABLE (7) "
                    "WHERE id_number IS NOT NULL LIMIT 2000"
                )
            ).scalars()
        )
        names = list(
            conn.execute(
                text(
                    "SELECT name FROM sheet_person TABLESAMPLE SYSTEM (1) REPEATABLE (8) "
                    "WHERE name IS NOT NULL LIMIT 2000"
                )
            ).scalars()
        )
        village_names = list(
            conn.execute(
                text("SELECT name FROM sheet_person WHERE org_code LIKE :v AND name IS NOT NULL"),
                {"v": village + "%"},
            ).scalars()
        )
    return {
        "task_id": task_id,
        "pages": max(1, -(-int(items) // 20)),
        "ids": ids,
        "names": names,
        "village_names": village_names or names,
    }


def path_of(kind: str, plan: dict[str, object], rng: random.Random) -> tuple[str, str]:
    """(path, role) of one request of ``kind``, drawn as bench/web.py draws it."""
    drawn = {k: (path, role) for k, path, role in requests_for(plan, rng, plan["pages"])}  # type: ignore[arg-type]
    return drawn[kind]


class Counters:
    """Statements (by their first words), pool checkouts and new DB connections."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.statements: Counter[str] = Counter()
        self.checkouts = 0
        self.connects = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        # COPY (store/bulk.py) goes to psycopg directly, past SQLAlchemy's events
        copy = psycopg.Cursor.copy

        def counted_copy(cursor, statement, *args, **kwargs):  # type: ignore[no-untyped-def]
            self._statement(None, cursor, str(statement))
            return copy(cursor, statement, *args, **kwargs)

        psycopg.Cursor.copy = counted_copy  # type: ignore[method-assign]
        event.listen(engine.pool, "checkout", self._checkout)
        event.listen(engine.pool, "connect", self._connect)

    def _statement(self, _conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        self.statements[" ".join(statement.split())[:90]] += 1

    def _checkout(self, *_args) -> None:  # type: ignore[no-untyped-def]
        self.checkouts += 1

    def _connect(self, *_args) -> None:  # type: ignore[no-untyped-def]
        self.connects += 1

    def reset(self) -> None:
        self.statements.clear()
        self.checkouts = self.connects = 0


def postgres_cpu_s(postmaster: int | None) -> float:
    """CPU seconds (user + system) of the cluster's server processes, from /proc."""
    if postmaster is None:
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster or stat.parent.name == str(postmaster):
            total += int(fields[11]) + int(fields[12])  # utime, stime (children excluded)
    return total / tick


async def sign_in(client: httpx.AsyncClient, username: str) -> str:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "login page without a CSRF token"
    cookies = dict(page.cookies)
    r = await client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
        cookies=cookies,
    )
    assert r.status_code == 303, (r.status_code, r.text[:300])
    return "; ".join(f"{k}={v}" for k, v in r.cookies.items())


async def run(args: argparse.Namespace) -> None:
    from onesheet.services.base import Store
    from onesheet.web.app import create_app

    store = Store.from_url(args.url)
    app = create_app(store)
    plan = plan_of(store.engine)
    counters = Counters(store.engine)
    postmaster = args.postmaster
    transport = httpx.ASGITransport(app=app)
    rng = random.Random(1)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        cookies = {"dept": await sign_in(client, "bench_dept")}
        cookies["cadre"] = await sign_in(client, "bench_cadre")
        for kind in KINDS:  # warm-up: imports, templates, pool, caches
            for _ in range(5):
                path, role = path_of(kind, plan, rng)
                r = await client.get(path, headers={"cookie": cookies[role]})
                assert r.status_code == 200, (path, r.status_code, r.text[:300])
        print(
            f"{args.n} requests of each kind; app CPU (this thread) and PostgreSQL CPU per request"
        )
        print(
            f"{'kind':<12} {'app ms':>8} {'p50':>7} {'pg ms':>7} {'wall ms':>8} "
            f"{'stmts':>6} {'checkouts':>9}"
        )
        results = {}
        summary: dict[str, dict[str, float]] = {}
        for kind in KINDS:
            counters.reset()
            cpu: list[float] = []
            wall0, pg0 = time.perf_counter(), postgres_cpu_s(postmaster)
            for _ in range(args.n):
                path, role = path_of(kind, plan, rng)
                t0 = time.thread_time()
                r = await client.get(path, headers={"cookie": cookies[role]})
                cpu.append((time.thread_time() - t0) * 1000)
                assert r.status_code == 200, (path, r.status_code)
            wall = (time.perf_counter() - wall0) * 1000 / args.n
            pg = (postgres_cpu_s(postmaster) - pg0) * 1000 / args.n
            stmts = sum(counters.statements.values()) / args.n
            results[kind] = (statistics.fmean(cpu), counters.statements.copy(), counters.checkouts)
            summary[kind] = {
                "app_cpu_ms": round(statistics.fmean(cpu), 2),
                "app_cpu_p50_ms": round(statistics.median(cpu), 2),
                "pg_cpu_ms": round(pg, 2),
                "statements": stmts,
                "checkouts": counters.checkouts / args.n,
            }
            print(
                f"{kind:<12} {statistics.fmean(cpu):>8.2f} {statistics.median(cpu):>7.2f} "
                f"{pg:>7.2f} {wall:>8.2f} {stmts:>6.1f} {counters.checkouts / args.n:>9.1f}"
            )
        if args.json:
            print("JSON " + json.dumps(summary))
        if args.record:
            record(args.record, summary, args.n)
        if args.statements:
            for kind, (_, statements, _) in results.items():
                print(f"\n{kind}: statements per request")
                for sql, n in statements.most_common(25):
                    print(f"  {n / args.n:6.2f}  {sql}")
        if args.profile:
            for kind in KINDS:
                profiler = cProfile.Profile(time.thread_time)
                for _ in range(args.profile):
                    path, role = path_of(kind, plan, rng)
                    profiler.enable()
                    await client.get(path, headers={"cookie": cookies[role]})
                    profiler.disable()
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats("cumulative").print_stats(args.top)
                print(f"\n===== {kind}: cumulative CPU over {args.profile} requests =====")
                print(_trim(out.getvalue()))
    store.engine.dispose()


RESULTS = Path(__file__).parent / "results" / "web_profile.json"


def record(label: str, summary: dict[str, dict[str, float]], n: int) -> None:
    """Keep ``summary`` under ``label`` in bench/results/web_profile.json (other labels
    kept), with the code's commit and the machine's load average around it."""
    import subprocess
    from datetime import UTC, datetime

    import onesheet

    src = Path(onesheet.__file__).resolve().parents[1]
    commit = subprocess.run(
        ["git", "-C", str(src), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data.setdefault("runs", {})[label] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": f"{commit} ({src})",
        "load_avg_1m_after": round(os.getloadavg()[0], 2),
        "requests_per_kind": n,
        "per_request": summary,
    }
    data["note"] = (
        "bench/web_profile.py: CPU per request of bench/web.py's four requests, app in "
        "process (ASGI transport, sync code inline: thread CPU), PostgreSQL backends' CPU "
        "from /proc, statements (COPY included) and pool checkouts per request; 1,000,000 "
        "people. The machine is shared: compare runs taken together, not across load."
    )
    RESULTS.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _trim(report: str) -> str:
    lines = report.splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    return "\n".join(
        re.sub(r"/\S*/(site-packages|src)/", "", line) for line in lines[start:] if line.strip()
    )


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_server(args: argparse.Namespace) -> None:
    """The same requests through a real ``onesheet serve --workers 1`` (uvicorn, its HTTP
    parser, threadpool and middleware included), one at a time on a keep-alive connection:
    the server process's CPU per request, read from /proc around each kind."""

    from sqlalchemy import create_engine

    from web import login, serve

    env = {**os.environ, "ONESHEET_DATABASE_URL": args.url}
    server = serve(env, args.port, workers=1)
    engine = create_engine(args.url)
    plan = plan_of(engine)
    engine.dispose()
    try:
        base = f"http://127.0.0.1:{args.port}"
        cookies = {"dept": login(base, "bench_dept"), "cadre": login(base, "bench_cadre")}
        rng = random.Random(1)
        print(f"{args.n} requests of each kind through onesheet serve (1 worker), one at a time")
        print(f"{'kind':<12} {'server ms':>10} {'pg ms':>7} {'wall ms':>8}")
        summary = {}
        with httpx.Client(base_url=base, timeout=60) as http:
            for kind in KINDS:
                for _ in range(5):  # warm-up
                    path, role = path_of(kind, plan, rng)
                    http.get(path, headers={"cookie": cookies[role]})
                cpu0, pg0, wall0 = (
                    process_cpu_s(server.pid),
                    postgres_cpu_s(args.postmaster),
                    time.perf_counter(),
                )
                for _ in range(args.n):
                    path, role = path_of(kind, plan, rng)
                    r = http.get(path, headers={"cookie": cookies[role]})
                    assert r.status_code == 200, (path, r.status_code)
                cpu = (process_cpu_s(server.pid) - cpu0) * 1000 / args.n
                pg = (postgres_cpu_s(args.postmaster) - pg0) * 1000 / args.n
                wall = (time.perf_counter() - wall0) * 1000 / args.n
                summary[kind] = {"server_cpu_ms": round(cpu, 2), "pg_cpu_ms": round(pg, 2)}
                print(f"{kind:<12} {cpu:>10.2f} {pg:>7.2f} {wall:>8.2f}")
        print("JSON " + json.dumps(summary))
    finally:
        server.terminate()
        server.wait(20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="the bench database (bench/web.py's)")
    parser.add_argument("--n", type=int, default=200, help="requests of each kind")
    parser.add_argument("--profile", type=int, default=0, help="cProfile this many of each")
    parser.add_argument("--top", type=int, default=45, help="functions shown per profile")
    parser.add_argument("--statements", action="store_true", help="list statements per kind")
    parser.add_argument("--json", action="store_true", help="also one JSON line of the figures")
    parser.add_argument("--record", help="keep the figures under this label in results")
    parser.add_argument(
        "--server", action="store_true", help="through onesheet serve (1 worker) instead"
    )
    parser.add_argument("--port", type=int, default=18799, help="--server: its port")
    parser.add_argument(
        "--postmaster", type=int, help="PostgreSQL postmaster pid (its CPU is then reported)"
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    anyio.to_thread.run_sync = _inline  # type: ignore[assignment]
    if args.server:
        run_server(args)
        return
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
