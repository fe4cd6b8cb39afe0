"""Web benchmark: the browser's hot requests on PostgreSQL, closed-loop and open-loop.

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
- the load, on loopback, of four requests: person search by ID number and by name
  (``/api/people?q=``, the department, county-wide), the task page (``/api/tasks/{id}``,
  the cadre, a random page of the task) and the one-sheet page (``/sheet?q=``, the cadre,
  a name prefix from the village).

``--mode closed``: ``--clients`` concurrent clients (httpx, asyncio, one process) for
``--seconds``, each looping over the four requests and sending the next only when the last
has answered. This measures capacity, but hides queueing: a slow answer delays the next
request instead of being queued behind (coordinated omission).

``--mode open``: requests *arrive* at ``--rate`` per second (``--arrivals poisson``, the
default, or ``uniform`` spacing), each one of the four kinds at random, scheduled by the clock
and never by an earlier answer. Arrivals queue (FIFO, in the generator) for
``--connections`` keep-alive connections; every latency is measured from the request's
scheduled arrival, so time spent waiting for a free connection or for the server counts, and
nothing late is dropped (coordinated omission avoided). Reported: p50/p95/p99 per kind and
overall, errors (non-200, or no answer 30 s after arrival), the offered and achieved rates,
the queue wait and how late the scheduler itself was. The same run then repeats
with a large import (``--import-rows``, default 300,000 rows of existing people with a new
phone number, posted with the department user's API token to ``POST /api/import``) running:
the arrivals start once the upload is accepted and go on until the import has committed (at
least ``--seconds``), and the import's stages are logged so each latency can be put against the
stage it overlapped. ``--no-import`` skips that part; ``--mode both`` runs closed then open.

Prints the tables and updates ``bench/results/web.json``: closed-loop figures under
``closed_loop``, open-loop figures under ``open_loop``, each keyed by the county's size, so
earlier runs at other sizes or in the other mode are kept.

    .venv/bin/python bench/web.py                       # seed 1M into a new cluster, closed
    .venv/bin/python bench/web.py --people 20000        # a quick run
    .venv/bin/python bench/web.py --people 20000 --mode open --seconds 20 --import-rows 60000
    .venv/bin/python bench/web.py --pgdata /tmp/x/pg/data --database county_1000000 --mode open
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import create_engine, text

RESULTS = Path(__file__).parent / "results" / "web.json"
CLI = [sys.executable, "-m", "onesheet.cli.main"]
PASSWORD = "bench-web-pass-1"
TEMPLATE_ID = "BENCH-WEB-PHONES"
GOAL_MS = 100
GOAL_KINDS = ("search_id", "search_name", "task_page")
OPEN_GOAL_MS = 100  # open loop at --rate: p95 of all requests, and no errors
OPEN_IMPORT_GOAL_MS = 300  # the same with the import running
OPEN_TIMEOUT_S = 30
OPEN_CONNECTIONS = 64  # keep-alive connections the open loop's arrivals queue for
# Idle connections are dropped by the client before uvicorn's 5 s keep-alive timeout closes
# them, or a request sent just as the server closes one fails with a reset (ReadError) that
# browsers retry silently and that says nothing about the app.
KEEPALIVE_S = 3.0


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
        county, task_id, village, items = biggest_task(conn)
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
        "url": url,
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


def biggest_task(conn: Any) -> tuple[str, int, str, int]:
    """The county code and the bench template's largest village task: id, village, items."""
    county = conn.execute(text("SELECT code FROM org_unit WHERE level = 'county'")).scalar()
    task_id, village, items = conn.execute(
        text(
            "SELECT id, org_code, items_total FROM collection_task WHERE template_id = :t "
            "ORDER BY items_total DESC LIMIT 1"
        ),
        {"t": TEMPLATE_ID},
    ).one()
    return county, task_id, village, items


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
    deadline = time.monotonic() + 300  # two workers import the app; slow on a busy machine
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("server did not answer")


class WorkerWatch:
    """The uvicorn worker processes seen under the server, sampled twice a second.

    uvicorn's supervisor kills a worker that does not answer its health ping within 5 s and
    starts a new one; a new pid here is such a restart (and every request and import job of
    the old worker is lost with it)."""

    def __init__(self, server_pid: int) -> None:
        self.pid = server_pid
        self.seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def workers(self) -> set[int]:
        found = set()
        for children in Path(f"/proc/{self.pid}/task").glob("*/children"):
            for pid in children.read_text().split():
                try:
                    if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                        found.add(int(pid))
                except OSError:
                    pass
        return found

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.seen |= self.workers()

    def __enter__(self) -> WorkerWatch:
        self.load_before = os.getloadavg()[0]
        self.seen = self.workers()
        self._start = set(self.seen)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.load_after = os.getloadavg()[0]

    @property
    def machine(self) -> dict[str, object]:
        """What else the machine was doing: the 1-minute load average around the run (this
        benchmark's own server, PostgreSQL and generator included; 2 = both cores busy)."""
        return {
            "load_avg_1m_before": round(self.load_before, 2),
            "load_avg_1m_after": round(self.load_after, 2),
            "worker_restarts": self.restarts,
        }

    @property
    def restarts(self) -> int:
        return len(self.seen - self._start)


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
    limits = httpx.Limits(
        max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=KEEPALIVE_S
    )
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:

        async def client(n: int, deadline: float) -> None:
            rng = random.Random(n)
            while time.perf_counter() < deadline:
                for kind, path, role in requests_for(plan, rng, pages):
                    if time.perf_counter() >= deadline:
                        return
                    start = time.perf_counter()
                    try:
                        r = await http.get(path, headers={"cookie": cookies[role]})
                        failed = r.status_code != 200
                    except httpx.HTTPError:  # e.g. a worker restarted under the connection
                        failed = True
                    elapsed = (time.perf_counter() - start) * 1000
                    if failed:
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


# ----------------------------------------------------------------------------- open loop
def arrival_times(rng: random.Random, rate: float, arrivals: str):  # type: ignore[no-untyped-def]
    """Offsets (seconds from the start) of an endless stream of arrivals at ``rate``/s."""
    t = 0.0
    while True:
        t += rng.expovariate(rate) if arrivals == "poisson" else 1 / rate
        yield t


class RawConnection:
    """One keep-alive HTTP/1.1 connection for the open loop: GET only, nothing else.

    httpx's async pool spends quadratic time over its queue and connections once many
    requests wait or are cancelled, and on 2 cores the generator's CPU is taken from the
    server; a bare asyncio stream costs a fraction. Reconnects when the last use is older
    than ``KEEPALIVE_S`` (before uvicorn's 5 s keep-alive timeout closes it) or after any
    error."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.last = 0.0

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def get(self, path: str, headers: dict[str, str]) -> int:
        if self.writer is None or time.monotonic() - self.last > KEEPALIVE_S:
            self.close()
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        lines = [f"GET {quote(path, safe='/?=&%')} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        status = int(status_line.split()[1])
        length, chunked, close = None, False, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            key, _, value = line.decode("latin-1").partition(":")
            key, value = key.strip().lower(), value.strip().lower()
            if key == "content-length":
                length = int(value)
            elif key == "transfer-encoding":
                chunked = "chunked" in value
            elif key == "connection":
                close = value == "close"
        if chunked:
            while size := int((await self.reader.readline()).split(b";")[0], 16):
                await self.reader.readexactly(size + 2)
            while await self.reader.readline() not in (b"\r\n", b""):
                pass
        elif length is not None:
            await self.reader.readexactly(length)
        else:
            await self.reader.read()
            close = True
        self.last = time.monotonic()
        if close:
            self.close()
        return status


async def open_loop(
    base: str,
    cookies: dict[str, str],
    plan: dict[str, object],
    *,
    rate: float,
    seconds: float,
    arrivals: str,
    seed: int,
    connections: int = OPEN_CONNECTIONS,
    keep_going=None,  # type: ignore[no-untyped-def]
    max_seconds: float | None = None,
) -> dict[str, object]:
    """Requests arrive on the clock; latency counts from each request's scheduled time.

    A scheduler puts each request, at its arrival time, on a FIFO queue that ``connections``
    keep-alive connections take from (as browsers behind a proxy would): a request that
    finds every connection busy waits in the queue, and that wait is part of its latency.
    One still waiting ``OPEN_TIMEOUT_S`` after its arrival is not sent and counts as an
    error, as is an answer other than 200 or none within that time. Arrivals stop after
    ``seconds``, or later while ``keep_going()`` is true (up to ``max_seconds``). Returns
    the samples ``(kind, arrival offset s, latency ms, ok, queue wait ms)``, the scheduler's
    own lateness, and the failures by kind.
    """
    rng = random.Random(seed)
    pages = max(1, -(-int(plan["task_items"]) // 20))  # type: ignore[call-overload]
    samples: list[tuple[str, float, float, bool, float]] = []
    failures: dict[str, int] = {}
    late: list[float] = []  # how late the scheduler put each arrival on the queue, ms
    queue: asyncio.Queue[tuple[str, str, str, float] | None] = asyncio.Queue()

    def failed(kind: str, why: str) -> None:
        failures[f"{kind} {why}"] = failures.get(f"{kind} {why}", 0) + 1

    host, port = base.removeprefix("http://").split(":")

    async def connection() -> None:
        loop = asyncio.get_running_loop()
        conn = RawConnection(host, int(port))
        while (item := await queue.get()) is not None:
            kind, path, role, due = item
            waited = time.perf_counter() - due
            ok = False
            if waited >= OPEN_TIMEOUT_S:
                failed(kind, "gave up in queue")
            else:
                try:  # the 30 s run from the arrival, not from the send
                    async with asyncio.timeout_at(loop.time() + OPEN_TIMEOUT_S - waited):
                        status = await conn.get(path, {"Cookie": cookies[role]})
                    ok = status == 200
                    if not ok:
                        failed(kind, str(status))
                except (OSError, EOFError, ValueError, TimeoutError) as exc:
                    conn.close()  # whatever state it was left in
                    failed(kind, type(exc).__name__)
            elapsed = (time.perf_counter() - due) * 1000
            samples.append((kind, due - start, elapsed, ok, waited * 1000))
        conn.close()

    start = time.perf_counter() + 0.05
    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    limit = max(seconds, max_seconds or seconds)
    for offset in arrival_times(rng, rate, arrivals):
        if offset > limit or (offset > seconds and not (keep_going and keep_going())):
            break
        due = start + offset
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        late.append(max(0.0, time.perf_counter() - due) * 1000)
        kind, path, role = rng.choice(requests_for(plan, rng, pages))
        queue.put_nowait((kind, path, role, due))
    window = time.perf_counter() - start
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    drained = time.perf_counter() - start
    return {
        "samples": samples,
        "window": window,
        "drained": drained,
        "failures": failures,
        "scheduler_late": late,
        "connections": connections,
    }


def open_summary(run: dict[str, object], rate: float) -> dict[str, object]:
    """Percentiles per kind and overall, errors, offered and achieved rates, generator lag."""
    samples = run["samples"]  # type: ignore[assignment]
    window, drained = float(run["window"]), float(run["drained"])  # type: ignore[arg-type]

    def stats(rows: list[tuple[str, float, float, bool, float]]) -> dict[str, object]:
        lat = [r[2] for r in rows]
        return {
            "requests": len(rows),
            "errors": sum(1 for r in rows if not r[3]),
            "p50_ms": round(pct(lat, 50), 1),
            "p95_ms": round(pct(lat, 95), 1),
            "p99_ms": round(pct(lat, 99), 1),
            "max_ms": round(max(lat), 1),
        }

    kinds = sorted({r[0] for r in samples})  # type: ignore[union-attr]
    ok = sum(1 for r in samples if r[3])  # type: ignore[union-attr]
    waits = [r[4] for r in samples]  # type: ignore[union-attr]
    late = run["scheduler_late"] or [0.0]  # type: ignore[assignment]
    return {
        "rate_target_per_s": rate,
        "arrival_window_s": round(window, 1),
        "offered_per_s": round(len(samples) / window, 1),  # type: ignore[arg-type]
        "achieved_per_s": round(ok / drained, 1),
        "all": stats(samples),  # type: ignore[arg-type]
        "by_kind": {k: stats([r for r in samples if r[0] == k]) for k in kinds},  # type: ignore[union-attr]
        "failures": run["failures"],
        "connections": run["connections"],
        "queue_wait_ms": {"p95": round(pct(waits, 95), 1), "p99": round(pct(waits, 99), 1)},
        "scheduler_late_ms": {"p99": round(pct(late, 99), 1), "max": round(max(late), 1)},
    }


def import_csv(url: str, rows: int, tag: int) -> tuple[bytes, int]:
    """``rows`` rows of existing people (name, ID number) with a new phone each; ``tag``
    makes the file (and so its content hash) new for each run. Cycles when the county is
    smaller than ``rows``. Returns the bytes and the number of distinct people."""
    engine = create_engine(url)
    with engine.connect() as conn:
        people = conn.execute(
            text(
                "SELECT name, id_number FROM sheet_person WHERE id_number IS NOT NULL "
                "AND name IS NOT NULL AND merged_into IS NULL ORDER BY entity_id LIMIT :n"
            ),
            {"n": rows},
        ).all()
    engine.dispose()
    lines = ["姓名,公民身份号码,联系电话"]
    lines += [
        f"{name},{idn},1{3 + tag % 7}{tag % 100:02d}{i:07d}"
        for i, (name, idn) in zip(range(rows), itertools.cycle(people))
    ]
    return ("\n".join(lines) + "\n").encode("utf-8"), len(people)


def api_token(plan: dict[str, object], username: str) -> str:
    """An API token for ``username``, issued the way the CLI-side admin issues one."""
    from onesheet.domain.access import CLI_ADMIN
    from onesheet.services.auth import issue_api_token
    from onesheet.services.base import Store

    store = Store.from_url(str(plan["url"]))
    try:
        return issue_api_token(store, CLI_ADMIN, username, label="bench")
    finally:
        store.engine.dispose()


async def with_import(
    base: str,
    cookies: dict[str, str],
    plan: dict[str, object],
    data: bytes,
    *,
    rate: float,
    seconds: float,
    arrivals: str,
    seed: int,
    max_seconds: float,
    connections: int = OPEN_CONNECTIONS,
) -> tuple[dict[str, object], dict[str, object]]:
    """The open loop while ``data`` is imported; (load run, import record)."""
    stages: list[tuple[float, str, int, int, str]] = []
    state: dict[str, object] = {"status": "queued"}
    async with httpx.AsyncClient(base_url=base, timeout=600) as http:
        posted = time.perf_counter()
        files = {"file": ("民政导出.csv", data, "text/csv")}
        auth = {"authorization": f"Bearer {api_token(plan, 'bench_dept')}"}  # a department system
        r = await http.post(
            "/api/import", files=files, data={"department": "civil_affairs"}, headers=auth
        )
        assert r.status_code == 202, (r.status_code, r.text[:300])
        job = r.json()["url"]
        accepted = time.perf_counter()

        async def watch() -> None:
            while True:
                try:
                    r = await http.get(job, headers=auth)
                except httpx.HTTPError as exc:  # the worker running the job went away
                    r = None
                    why = type(exc).__name__
                if r is None or r.status_code != 200:  # 404: the worker was restarted
                    why = why if r is None else f"poll answered {r.status_code}"
                    state["status"] = f"lost ({why})"
                    stages.append((round(time.perf_counter() - accepted, 1), "-", 0, 0, "lost"))
                    return
                got = r.json()
                state.update(got)
                now = time.perf_counter() - accepted
                if not stages or stages[-1][1:] != (
                    got["stage"],
                    got["done"],
                    got["total"],
                    got["status"],
                ):
                    stages.append(
                        (round(now, 1), got["stage"], got["done"], got["total"], got["status"])
                    )
                if got["status"] in ("done", "failed"):
                    return
                await asyncio.sleep(0.5)

        watcher = asyncio.create_task(watch())
        run = await open_loop(
            base,
            cookies,
            plan,
            rate=rate,
            seconds=seconds,
            arrivals=arrivals,
            seed=seed,
            connections=connections,
            keep_going=lambda: state["status"] in ("queued", "running"),
            max_seconds=max_seconds,
        )
        await watcher
    summary = state.get("summary") or {}
    record = {
        "rows": data.count(b"\n") - 1,
        "upload_seconds": round(accepted - posted, 1),
        "status": state["status"],
        "error": state.get("error"),
        "import_seconds": round(stages[-1][0], 1) if stages else None,
        "observations": summary.get("observations"),  # type: ignore[union-attr]
        "linked": summary.get("linked"),  # type: ignore[union-attr]
        "stages": [
            {"at_s": t, "stage": st, "done": d, "total": n, "status": s_}
            for t, st, d, n, s_ in stages
        ],
        "import_ended_before_arrivals_stopped": bool(stages and stages[-1][0] <= run["window"]),  # type: ignore[operator]
    }
    return run, record


def stage_breakdown(run: dict[str, object], record: dict[str, object]) -> dict[str, object]:
    """p95 of the requests scheduled during each stage of the import (and after it)."""
    marks = [
        (s["at_s"], s["stage"] if s["status"] == "running" else s["status"])
        for s in record["stages"]
    ]  # type: ignore[index, union-attr]
    out: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    for _kind, at, ms, ok, _lag in run["samples"]:  # type: ignore[union-attr]
        label = "before first poll"
        for t, name in marks:
            if at >= t:
                label = name
        out.setdefault(label, []).append(ms)
        errors[label] = errors.get(label, 0) + (not ok)
    return {
        k: {
            "requests": len(v),
            "errors": errors.get(k, 0),
            "p95_ms": round(pct(v, 95), 1),
            "max_ms": round(max(v), 1),
        }
        for k, v in out.items()
    }


def print_open(title: str, table: dict[str, object]) -> None:
    print(f"\n{title}")
    print(f"{'request':<12} {'n':>7} {'err':>4} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}")
    rows = {**table["by_kind"], "all": table["all"]}  # type: ignore[dict-item]
    for kind, row in rows.items():
        print(
            f"{kind:<12} {row['requests']:>7} {row['errors']:>4} {row['p50_ms']:>8} "
            f"{row['p95_ms']:>8} {row['p99_ms']:>8} {row['max_ms']:>8}"
        )
    print(
        f"offered {table['offered_per_s']}/s, achieved {table['achieved_per_s']}/s; "
        f"queue wait p95 {table['queue_wait_ms']['p95']} ms; "  # type: ignore[index]
        f"scheduler late p99 {table['scheduler_late_ms']['p99']} ms; "  # type: ignore[index]
        f"failures {table['failures'] or 'none'}; "
        f"machine {table.get('machine_during_run')}"
    )


def update_results(section: str, key: str, doc: dict[str, object], note: str | None) -> None:
    """Put ``doc`` at ``results[section][key]``, keeping every other run in the file."""
    data: dict[str, object] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if "results" in data and "closed_loop" not in data:  # the older flat closed-loop file
        old = dict(data)
        data = {"closed_loop": {str(old.get("people")): old}}
    data["benchmark"] = "web"
    data["machine"] = (
        f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    data["backend"] = "postgresql"
    data.setdefault(section, {})[key] = doc  # type: ignore[index]
    if note:
        data["note"] = note
    ordered = {k: data[k] for k in ("benchmark", "machine", "backend", "note") if k in data}
    ordered |= {k: v for k, v in data.items() if k not in ordered}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(ordered, ensure_ascii=False, indent=2) + "\n")


# ---------------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--pgdata", type=Path, help="reuse this cluster's data folder")
    parser.add_argument("--pg-port", type=int, default=55441)
    parser.add_argument("--database", help="database in --pgdata (default county_<people>)")
    parser.add_argument("--mode", choices=("closed", "open", "both"), default="closed")
    parser.add_argument("--clients", type=int, default=50, help="closed loop: clients")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=100, help="open loop: arrivals per s")
    parser.add_argument("--arrivals", choices=("poisson", "uniform"), default="poisson")
    parser.add_argument("--connections", type=int, default=OPEN_CONNECTIONS)
    parser.add_argument(
        "--sweep", default="", help="open loop: also these rates, steady only (e.g. 25,50)"
    )
    parser.add_argument("--import-rows", type=int, default=300_000)
    parser.add_argument("--import-max-seconds", type=float, default=1200)
    parser.add_argument("--no-import", action="store_true", help="open loop without the import")
    parser.add_argument(
        "--import-sweep", default="", help="open loop: the import again at these rates too"
    )
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--note", help="replace the results file's note")
    parser.add_argument("--no-write", action="store_true", help="do not update web.json")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the server is stopped too

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
    common = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "people": plan["people"],
        "people_requested": args.people,
        "database": "reused (--pgdata)" if exists else "seeded by this run",
        "seed_seconds": plan.get("seed_seconds"),
        "task_creation_seconds": plan["task_creation_seconds"],
        "server": f"onesheet serve --workers {args.workers} (uvicorn)",
        "search_actor": "department user, county-wide (civil_affairs)",
        "task_and_sheet_actor": f"village cadre of {plan['village']} "
        f"({plan['village_people']} people; task of {plan['task_items']} values, "
        "20 people a page)",
    }
    closed_doc = open_doc = None
    server = serve(env, args.port, args.workers)
    try:
        base = f"http://127.0.0.1:{args.port}"
        cookies = {"dept": login(base, "bench_dept"), "cadre": login(base, "bench_cadre")}
        if args.mode in ("closed", "both"):
            closed_doc = run_closed(base, cookies, plan, args, common, server.pid)
        if args.mode in ("open", "both"):
            open_doc = run_open(base, cookies, plan, args, common, url, server.pid)
    finally:
        server.terminate()
        server.wait(20)
    if args.no_write:
        return
    key = str(plan["people"])
    if closed_doc:
        update_results("closed_loop", key, closed_doc, args.note)
    if open_doc:
        update_results("open_loop", key, open_doc, args.note)
    print(f"wrote {RESULTS}")


def run_closed(base, cookies, plan, args, common, pid):  # type: ignore[no-untyped-def]
    with WorkerWatch(pid) as workers:
        latencies, errors, wall = asyncio.run(load(base, cookies, plan, args.clients, args.seconds))
    table = summarise(latencies, errors, wall)
    print(f"\nclosed loop: {args.clients} clients, {wall:.1f} s, {args.workers} uvicorn workers")
    print(f"{'request':<12} {'n':>7} {'err':>4} {'p50':>8} {'p95':>8} {'p99':>8} {'req/s':>8}")
    for kind, row in table.items():
        print(
            f"{kind:<12} {row['requests']:>7} {row['errors']:>4} {row['p50_ms']:>8} "
            f"{row['p95_ms']:>8} {row['p99_ms']:>8} {row['requests_per_s']:>8}"
        )
    total = sum(r["requests"] for r in table.values()) / wall
    goal = {k: table[k]["p95_ms"] <= GOAL_MS for k in GOAL_KINDS if k in table}
    print(f"total {total:.0f} req/s; p95 ≤ {GOAL_MS} ms: {goal}")
    return {
        **common,
        "clients": args.clients,
        "seconds": round(wall, 1),
        "mix": "each client loops search_id, search_name, task_page, sheet_page",
        "results": table,
        "total_requests_per_s": round(total, 1),
        "machine_during_run": workers.machine,
        "goal_p95_ms": GOAL_MS,
        "goal_met": goal,
    }


def run_open(base, cookies, plan, args, common, url, pid):  # type: ignore[no-untyped-def]
    opts = {"rate": args.rate, "arrivals": args.arrivals, "connections": args.connections}
    asyncio.run(open_loop(base, cookies, plan, seconds=3, seed=0, **opts))  # warm-up, dropped
    with WorkerWatch(pid) as workers:
        run = asyncio.run(open_loop(base, cookies, plan, seconds=args.seconds, seed=1, **opts))
    steady = open_summary(run, args.rate)
    steady["machine_during_run"] = workers.machine
    print_open(f"open loop: {args.rate:g} req/s ({args.arrivals}), {args.seconds:g} s", steady)
    doc = {
        **common,
        "rate_per_s": args.rate,
        "arrivals": args.arrivals,
        "seconds": args.seconds,
        "mix": "each arrival is one of search_id, search_name (department), task_page, "
        "sheet_page (cadre), drawn uniformly at random",
        "generator": f"one asyncio process on the same machine: arrivals queue (FIFO) for "
        f"{args.connections} keep-alive HTTP/1.1 connections (bare asyncio streams)",
        "latency_from": "each request's scheduled arrival time (no coordinated omission); "
        f"a request unanswered after {OPEN_TIMEOUT_S} s is an error",
        "steady": steady,
        "goal": {"steady_p95_ms": OPEN_GOAL_MS, "with_import_p95_ms": OPEN_IMPORT_GOAL_MS},
    }
    met = {"steady": steady["all"]["p95_ms"] <= OPEN_GOAL_MS and steady["all"]["errors"] == 0}
    sweep = {}
    for rate in [float(r) for r in args.sweep.split(",") if r.strip()]:
        with WorkerWatch(pid) as workers:
            run = asyncio.run(
                open_loop(
                    base,
                    cookies,
                    plan,
                    rate=rate,
                    seconds=args.seconds,
                    arrivals=args.arrivals,
                    seed=3,
                    connections=args.connections,
                )
            )
        sweep[f"{rate:g}"] = open_summary(run, rate)
        sweep[f"{rate:g}"]["machine_during_run"] = workers.machine
        print_open(
            f"open loop: {rate:g} req/s ({args.arrivals}), {args.seconds:g} s", sweep[f"{rate:g}"]
        )
    if sweep:
        doc["steady_other_rates"] = sweep
    rates = [args.rate] + [float(r) for r in args.import_sweep.split(",") if r.strip()]
    for n, rate in enumerate([] if args.no_import else rates):
        tag = (int(time.time()) + n) % 1_000_000  # a new file each time: a real import
        data, distinct = import_csv(url, args.import_rows, tag=tag)
        print(f"\nimporting {args.import_rows:,} rows ({distinct:,} distinct people) ...")
        with WorkerWatch(pid) as workers:
            run, record = asyncio.run(
                with_import(
                    base,
                    cookies,
                    plan,
                    data,
                    seconds=args.seconds,
                    seed=2 + n,
                    max_seconds=args.import_max_seconds,
                    **{**opts, "rate": rate},
                )
            )
        loaded = open_summary(run, rate)
        loaded["machine_during_run"] = workers.machine
        loaded["by_import_stage"] = stage_breakdown(run, record)
        loaded["import"] = record
        print_open(f"open loop at {rate:g} req/s with the import running ({record['status']}, "
                   f"{record['import_seconds']} s)", loaded)  # fmt: skip
        print(f"p95 by import stage: {loaded['by_import_stage']}")
        if n == 0:
            doc["with_import"] = loaded
            met["with_import"] = (
                record["status"] == "done"
                and loaded["all"]["p95_ms"] <= OPEN_IMPORT_GOAL_MS
                and loaded["all"]["errors"] == 0
            )
        else:
            doc.setdefault("with_import_other_rates", {})[f"{rate:g}"] = loaded
    doc["goal_met"] = met
    print(f"goal met: {met}")
    return doc


if __name__ == "__main__":
    main()
