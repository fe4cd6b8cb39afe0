"""Page reads while a 300,000-row import runs, on SQLite and PostgreSQL (issue 13: "while a
300,000-row import runs, a page read answers within 1 s on both backends").

Why a bench and not a test: the import's length is the machine's speed, and the suite keeps
no wall-clock assertions. ``tests/faults/test_kill.py`` proves the mechanism on both backends
without timing (a read answers while the import is paused inside its write transaction);
this measures it on the real thing: a county of ``--people`` (``onesheet init`` + ``seed``),
the cadre of the village with the biggest phone-number task, served by ``onesheet serve``, and
an import of ``--rows`` rows (existing people with a new phone each, cycled: ``bench/web.py``'s
file) posted with a department user's API token to ``POST /api/import``. From the upload's
acceptance to the job's end, one client asks, one request after another (a closed loop: a
slow answer shows as such, nothing is dropped), the cadre's pages in turn: the task list
(``/api/tasks``), a task page (``/api/tasks/{id}?page=k``, an audited read of personal data)
and a one-sheet search (``/sheet?q=``, audited). The file cycles the county's people, so
``--people`` at least ``--rows`` makes every row a person of its own (a write stage of
``3 x rows`` observations). Each answer is put against the job's stage
(read / check / link / write: the write stage holds SQLite's write lock). Reported per
backend and stage: requests, errors (non-200 or no answer in 30 s), p50, p95 and the
slowest; the goal is every answer 200 and the slowest < 1 s, during ``write`` too.

    .venv/bin/python bench/import_reads.py                   # both backends, 300,000 rows
    .venv/bin/python bench/import_reads.py --backend sqlite --rows 60000 --no-write
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).parent))
from web import (  # bench/web.py: the same county setup, server and import file
    PASSWORD,
    _ensure_task,
    api_token,
    biggest_task,
    cli,
    import_csv,
    login,
    new_cluster,
    serve,
)

RESULTS = Path(__file__).parent / "results" / "import_reads.json"
GOAL_S = 1.0
TIMEOUT_S = 30


def setup(env: dict[str, str], url: str, people: int) -> dict[str, object]:
    """Schema, seed, the task template and the two users; what the client asks for."""
    cli(env, "init")
    began = time.perf_counter()
    cli(env, "seed", "--people", str(people))
    seeded = round(time.perf_counter() - began, 1)
    _ensure_task(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        county, task_id, village, items = biggest_task(conn)
        names = list(
            conn.execute(
                text(
                    "SELECT DISTINCT substr(name, 1, 1) FROM sheet_person "
                    "WHERE org_code LIKE :v AND name IS NOT NULL"
                ),
                {"v": village + "%"},
            ).scalars()
        )
    engine.dispose()
    password = Path(tempfile.mkdtemp(prefix="bench-reads-")) / "password.txt"
    password.write_text(PASSWORD + "\n")
    for name, role, org, extra in (
        ("bench_dept", "department", county, ["--department", "civil_affairs"]),
        ("bench_cadre", "village", village, []),
    ):
        cli(env, "users", "add", name, "--role", role, "--org", org,
            "--password-file", str(password), *extra)  # fmt: skip
    return {"url": url, "task_id": task_id, "task_items": items, "village": village,
            "surnames": names[:20] or ["张"], "seed_seconds": seeded}  # fmt: skip


def run(backend: str, url: str, args: argparse.Namespace) -> dict[str, object]:
    env = {**os.environ, "ONESHEET_DATABASE_URL": url}
    plan = setup(env, url, args.people)
    print(f"{backend}: {args.people:,} people seeded in {plan['seed_seconds']} s; "
          f"task {plan['task_id']} ({plan['task_items']:,} values)")  # fmt: skip
    data, distinct = import_csv(url, args.rows, tag=int(time.time()) % 1000)
    server = serve(env, args.port, workers=1)
    base = f"http://127.0.0.1:{args.port}"
    token = api_token(plan, "bench_dept")
    cadre = httpx.Client(base_url=base, headers={"cookie": login(base, "bench_cadre")})
    dept = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    pages = itertools.cycle(
        [("tasks", "/api/tasks")]
        + [("task_page", f"/api/tasks/{plan['task_id']}?page={k}") for k in (1, 2, 3)]
        + [("sheet_search", f"/sheet?q={s}") for s in plan["surnames"][:3]]  # type: ignore[index]
    )
    answers: list[tuple[str, str, float, int]] = []  # stage, kind, seconds, status
    try:
        files = {"file": ("民政导出.csv", data, "text/csv")}
        began = time.perf_counter()
        job = dept.post("/api/import", files=files, data={"department": "civil_affairs"})
        assert job.status_code == 202, job.text
        job_url = job.json()["url"]
        stage, state, last_poll = "queued", {}, 0.0
        while True:
            now = time.perf_counter()
            if now - last_poll > 0.5:
                state = dept.get(job_url).json()
                last_poll = now
                if state["status"] in ("done", "failed"):
                    break
                stage = state.get("stage") or state["status"]
            kind, path = next(pages)
            t0 = time.perf_counter()
            try:
                status = cadre.get(path, timeout=TIMEOUT_S).status_code
            except httpx.HTTPError:
                status = 0
            answers.append((stage, kind, time.perf_counter() - t0, status))
            time.sleep(args.pause)
        import_seconds = round(time.perf_counter() - began, 1)
    finally:
        cadre.close()
        dept.close()
        server.terminate()
        server.wait(30)
    assert state["status"] == "done", state
    by_stage: dict[str, object] = {}
    for st in dict.fromkeys(s for s, _, _, _ in answers):
        got = [(k, sec, code) for s, k, sec, code in answers if s == st]
        secs = sorted(sec for _, sec, _ in got)
        by_stage[st] = {
            "requests": len(got),
            "errors": sum(code != 200 for _, _, code in got),
            "p50_ms": round(statistics.median(secs) * 1000, 1),
            "p95_ms": round(secs[min(len(secs) - 1, int(0.95 * len(secs)))] * 1000, 1),
            "max_ms": round(secs[-1] * 1000, 1),
            "slowest_kind": max(got, key=lambda g: g[1])[0],
        }
    slowest = max(sec for _, _, sec, _ in answers)
    errors = sum(code != 200 for *_, code in answers)
    doc = {
        "people": args.people,
        "rows": args.rows,
        "distinct_people_in_file": distinct,
        "import_seconds": import_seconds,
        "observations": state["summary"]["observations"],
        "requests": len(answers),
        "errors": errors,
        "max_ms": round(slowest * 1000, 1),
        "goal": f"every answer 200 and the slowest < {GOAL_S} s",
        "goal_met": errors == 0 and slowest < GOAL_S,
        "by_stage": by_stage,
    }
    print(json.dumps(doc, indent=1, ensure_ascii=False))
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--people", type=int, default=300_000)
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--pause", type=float, default=0.1, help="seconds between requests")
    parser.add_argument("--port", type=int, default=18775)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    out: dict[str, object] = {}
    folder = Path(tempfile.mkdtemp(prefix="bench-import-reads-"))
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        if backend == "sqlite":
            url = f"sqlite:///{folder}/county.db"
        else:
            server_url, _ = new_cluster()
            admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text('CREATE DATABASE "import_reads"'))
            admin.dispose()
            url = server_url.rsplit("/", 1)[0] + "/import_reads"
        out[backend] = run(backend, url, args)
    if args.no_write:
        return
    doc = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"benchmark": "import_reads"}
    doc.update(
        measured_at=datetime.now(UTC).isoformat(timespec="seconds"),
        machine=f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        load_average_at_start=os.getloadavg(),
    )
    doc.setdefault("results", {}).setdefault(f"{args.people} people", {}).update(out)
    RESULTS.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
