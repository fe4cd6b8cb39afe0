"""Eligibility run vs a bare SQL query with the same conditions, on a seeded county.

    python bench/eligibility.py --people 100000 [--url postgresql+psycopg://…] [--db FILE]

Seeds a county (SQLite in a temp dir unless --url; ``--db`` keeps the SQLite file and reuses
it when it is already seeded; a --url database that already holds the county with
``--people`` people and the approved rule is reused too), approves the 高龄津贴 rule, then
times, in the same run and alternately:

* ``bare``: the bare SELECT counting the people who meet the conditions (the floor);
* ``run``: the whole ``run_rule`` — the rule compiled to one statement over the current
  view deciding the conditions and the tier and writing every selected person as the run's
  item inside the database (``store.eligibility.decide_into_run``), the people the answer
  alone does not settle judged and explained from the observation log, the figures counted
  in SQL, the run and its audit event stored. No listed person comes to Python: the lists
  are read from the stored items when shown (``RunResult.lists`` / ``page``), each read
  audited with the people it returns;
* ``explained``: ``run_rule`` and then reading every list and every listed person's
  explanation (what the run page or a roster download costs: each person's name and ID
  number, each input value, its source and date, each verdict, and the read's audit event
  naming every one of them).

Each is timed on the wall clock and, because the machine is shared, on the CPU clock: this
process's CPU plus, on PostgreSQL, the server processes' (the postmaster's children, from
/proc), so a ratio compares all the work done on both sides. Garbage left by one timing is
collected before the next (a full collection costs the same whatever was timed). Best of
``--repeat``. Writes bench/results/eligibility.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from onesheet.domain.access import CLI_ADMIN, Actor
from onesheet.domain.report_filters import birth_cutoff
from onesheet.services import eligibility, setup
from onesheet.services.base import Store
from onesheet.services.seed import seed_county
from onesheet.store import audit, migrate
from onesheet.store import eligibility as es
from onesheet.store.engine import make_engine
from onesheet.store.schema import sheet_table
from web_profile import postgres_cpu_s  # bench/web_profile.py: the cluster's processes

COUNTY = "330523"
MONTH = "2026-11"
RULE = {
    "key": "gaoling_jintie",
    "benefit": "高龄津贴",
    "department": "civil_affairs",
    "conditions": {
        "and": [
            {"field": "person.birth_date", "op": "age_ge", "value": 80},
            {"field": "person.death_date", "op": "is_null"},
            {"field": "person.residence_status", "op": "not_in", "value": ["3", "4"]},
        ]
    },
    "tiers": [
        {
            "label": "80-89岁",
            "when": {"field": "person.age", "op": "lt", "value": 90},
            "amount": "100",
        },
        {
            "label": "90-99岁",
            "when": {"field": "person.age", "op": "lt", "value": 100},
            "amount": "200",
        },
        {"label": "100岁以上", "amount": "500"},
    ],
    "effective_from": "2026-01-01",
}


def bare(store: Store) -> int:
    t = sheet_table("person")
    cutoff = birth_cutoff(date(2026, 11, 30), 80)
    q = select(func.count()).where(
        t.c.county_code == COUNTY,
        t.c.merged_into.is_(None),
        t.c.birth_date <= cutoff,
        t.c.death_date.is_(None),
        (t.c.residence_status.is_(None)) | (t.c.residence_status.not_in(["3", "4"])),
    )
    with store.engine.connect() as conn:
        return int(conn.execute(q).scalar_one())


def seeded(store: Store, people: int) -> bool:
    """Whether the database already holds the county with ``people`` live people and the
    approved rule (then it is reused: seeding a million people takes many minutes)."""
    try:
        n = live_people(store)
    except DBAPIError:
        return False
    if n != people:
        return False
    with store.transaction() as conn:
        return es.approved_rule(conn, COUNTY, RULE["key"]) is not None  # type: ignore[arg-type]


def live_people(store: Store) -> int:
    """How many unmerged people the county holds (a reused county is taken as it is)."""
    with store.engine.connect() as conn:
        t = sheet_table("person")
        return int(
            conn.execute(
                select(func.count()).where(t.c.county_code == COUNTY, t.c.merged_into.is_(None))
            ).scalar_one()
        )


def define_rule_once(store: Store) -> None:
    """The benchmark's rule, defined by civil affairs and approved, unless it already is."""
    with store.transaction() as conn:
        if es.approved_rule(conn, COUNTY, RULE["key"]) is not None:  # type: ignore[arg-type]
            return
    dept = Actor("mz", "department", COUNTY, "civil_affairs")
    row = eligibility.define_rule(store, dept, RULE)
    eligibility.submit_rule(store, dept, row.id)
    eligibility.decide_rule(
        store, Actor("rv", "reviewer", COUNTY), row.id, approve=True, reason="bench"
    )


def server_clock(store: Store) -> Callable[[], float]:
    """CPU seconds the PostgreSQL server spent so far: its processes (``postgres_cpu_s``)
    plus what exited children — a query's parallel workers — left in the postmaster's
    cutime/cstime. Always 0 on SQLite, where the database works inside this process."""
    if store.engine.dialect.name != "postgresql":
        return lambda: 0.0
    with store.engine.connect() as conn:
        folder = conn.exec_driver_sql("SHOW data_directory").scalar_one()
    pid = int((Path(folder) / "postmaster.pid").read_text().split()[0])
    tick = os.sysconf("SC_CLK_TCK")

    def clock() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return postgres_cpu_s(pid) + (int(fields[13]) + int(fields[14])) / tick

    return clock


class Stages:
    """Seconds of a run's parts on ``clock``, taken by wrapping the store calls ``run_rule``
    makes: the deciding statement writing the items (with the figures counted from them),
    the audit event; the rest (the rule, the roster, the conflicts, the run's row, the
    commit) is what is left of the run's time on that clock."""

    PARTS = (("decide_into_run", es), ("write_event", audit))

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.now: dict[str, float] = {}
        self.seen: dict[str, list[float]] = {}
        for name, module in self.PARTS:
            setattr(module, name, self._timed(name, getattr(module, name)))

    def _timed(self, name: str, fn: Callable[..., object]) -> Callable[..., object]:
        def wrapped(*args: object, **kwargs: object) -> object:
            t0 = self.clock()
            try:
                return fn(*args, **kwargs)
            finally:
                self.now[name] = self.now.get(name, 0.0) + self.clock() - t0

        return wrapped

    def keep(self, total: float) -> None:
        self.now["rest"] = total - sum(self.now.values())
        for k, v in self.now.items():
            self.seen.setdefault(k, []).append(v)
        self.now = {}

    def medians(self) -> dict[str, float]:
        return {k: round(statistics.median(v), 4) for k, v in self.seen.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--url")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--db", type=Path, help="SQLite file to keep and reuse once seeded")
    ap.add_argument("--label", help="kept with the figures (e.g. which code was measured)")
    ap.add_argument(
        "--reuse-county",
        action="store_true",
        help="use the county already in --url as it is (e.g. bench/web.py's 1,000,000-person "
        "cluster): never seed; define and approve the rule if it is missing",
    )
    ap.add_argument(
        "--results",
        type=Path,
        default=Path(__file__).parent / "results" / "eligibility.json",
        help="the JSON file the figures are added to",
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{args.db or Path(tmp) / 'bench.db'}"
        store = Store(make_engine(url))
        reuse = (args.url is not None or args.db is not None) and seeded(store, args.people)
        if args.reuse_county and not reuse:
            args.people = live_people(store)
            define_rule_once(store)
            reuse = True
        if reuse:
            migrate.upgrade(store.engine)  # a county seeded by older code gets new tables
        dept = Actor("mz", "department", COUNTY, "civil_affairs")
        seconds_seeding = 0.0
        if not reuse:
            setup.init_database(store, CLI_ADMIN)
            t0 = time.perf_counter()
            seed_county(
                store, CLI_ADMIN, COUNTY, people=args.people, seed=1, today=date(2026, 11, 1)
            )
            seconds_seeding = time.perf_counter() - t0
            define_rule_once(store)
        server = server_clock(store)
        postgres = store.engine.dialect.name == "postgresql"
        names = ("bare", "run", "explained")
        wall: dict[str, list[float]] = {k: [] for k in names}
        cpu: dict[str, list[float]] = {k: [] for k in names}
        server_cpu: dict[str, list[float]] = {k: [] for k in names}

        stages = Stages(time.perf_counter)
        stages_cpu = Stages(time.process_time)

        def timed(name: str, fn):  # type: ignore[no-untyped-def]
            gc.collect()
            stages.now, stages_cpu.now = {}, {}
            s0, c0, t0 = server(), time.process_time(), time.perf_counter()
            got = fn()
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
            server_cpu[name].append(server() - s0)
            if name == "run":
                stages.keep(wall[name][-1])
                stages_cpu.keep(cpu[name][-1])
            return got

        def run() -> eligibility.RunResult:
            return eligibility.run_rule(store, dept, RULE["key"], COUNTY, MONTH)  # type: ignore[arg-type]

        def explained() -> tuple[eligibility.RunResult, int]:
            result = run()
            shown = sum(len(e.tests) for items in result.lists.values() for e in items)
            assert {k: len(v) for k, v in result.lists.items()} == result.counts()
            return result, shown

        load = [os.getloadavg()[0]]
        n_bare = n_run = tests_shown = 0
        result = None
        for _ in range(args.repeat):
            n_bare = timed("bare", lambda: bare(store))
            result = timed("run", run)
            full, tests_shown = timed("explained", explained)
            n_run = sum(result.counts()[k] for k in ("new", "kept", "unknown"))
            assert full.counts() == result.counts()
            load.append(os.getloadavg()[0])
        assert result is not None and n_bare == n_run, (n_bare, n_run)
        best = {k: min(v) for k, v in wall.items()}
        # CPU: the mean (the server's clock ticks 100 times a second: a single bare count is
        # a few ticks, the mean of several is steadier than the least)
        both = {
            k: statistics.mean(c + s for c, s in zip(cpu[k], server_cpu[k], strict=True))
            for k in names
        }

        def ratio(a: float, b: float) -> float:
            return round(a / max(b, 1e-9), 2)

        out = {
            "label": args.label,
            "people": args.people,
            "backend": url.split(":", 1)[0].split("+", 1)[0],
            "seed_seconds": round(seconds_seeding, 2) if not reuse else None,  # None: reused
            "eligible_bare_sql": n_bare,
            "eligible_rule": n_run,
            "listed": sum(result.counts().values()),
            "bare_sql_seconds": round(best["bare"], 4),
            "rule_run_seconds": round(best["run"], 4),
            "ratio": ratio(best["run"], best["bare"]),
            "explained_run_seconds": round(best["explained"], 4),
            "ratio_explained": ratio(best["explained"], best["bare"]),
            "bare_sql_cpu_seconds": round(both["bare"], 4),
            "rule_run_cpu_seconds": round(both["run"], 4),
            "cpu_ratio": ratio(both["run"], both["bare"]),
            "explained_run_cpu_seconds": round(both["explained"], 4),
            "cpu_ratio_explained": ratio(both["explained"], both["bare"]),
            "cpu_counts_server": postgres,
            "server_cpu_seconds": (
                {k: round(statistics.mean(v), 4) for k, v in server_cpu.items()}
                if postgres
                else None
            ),
            "run_parts_seconds": stages.medians(),
            "run_parts_cpu_seconds": stages_cpu.medians(),
            "repeat": args.repeat,
            "load_average": [round(min(load), 1), round(max(load), 1)],
            "values_read": result.values_read,
            "tests_shown": tests_shown,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": platform.platform(),
            "note": "ratio: the whole run_rule (one statement deciding every condition and "
            "tier and writing the listed people as the run's items inside the database - "
            "CREATE TEMPORARY TABLE AS, planned in parallel, then INSERT from it on "
            "PostgreSQL; INSERT ... SELECT on SQLite -, the people that answer does not "
            "settle judged from the log, the figures counted in SQL, the run row and its "
            "audit event; no listed person read) against the bare SQL that only counts. "
            "ratio_explained: run_rule and then every list read from the stored items with "
            "each person's name and ID number and explanation (each input's value, source "
            "and date as of the run from the observation log, each condition's verdict) and "
            "the read's audit event naming every person shown: what the run page or a "
            "roster costs. Wall: best of --repeat; CPU: mean of --repeat, this process plus "
            "(PostgreSQL) the server's processes; garbage collected before each timing. "
            "run_parts_seconds: median wall of the run's parts (decide_into_run: the "
            "deciding statement with the items written and the figures counted; "
            "write_event: the audit event; the rest - the rule, roster, conflicts, run row "
            "and, on SQLite, the commit); run_parts_cpu_seconds: the same on this "
            "process's CPU clock (on SQLite all of the work; on PostgreSQL the client's "
            "part).",
        }
        print(json.dumps(out, ensure_ascii=False, indent=2))
        # one entry per backend and size, so a PostgreSQL run keeps the SQLite one
        path = args.results
        kept = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        kept = kept if isinstance(kept, dict) and "runs" in kept else {"runs": {}}
        label = f"-{args.label}" if args.label else ""
        kept["runs"][f"{out['backend']}-{args.people}{label}"] = out
        text = json.dumps(kept, ensure_ascii=False, indent=2)
        path.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
