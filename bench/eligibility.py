"""Eligibility run vs a bare SQL query with the same conditions, on a seeded county.

    python bench/eligibility.py --people 100000 [--url postgresql+psycopg://…] [--db FILE]

Seeds a county (SQLite in a temp dir unless --url; ``--db`` keeps the SQLite file and reuses
it when it is already seeded), approves the 高龄津贴 rule, then times (a) the bare SELECT
counting the people who meet the conditions (the floor) and (b) the whole ``run_rule`` — the
rule compiled to one SELECT over the current view deciding every condition, the listed
people's inputs resolved from the observation log for their explanations, the run record
with its items and the audit event. Both are timed on the wall clock and, because the
machine is shared, on this process's CPU clock (on SQLite the database works in-process, so
the CPU clock counts all of it; on PostgreSQL it counts the client side only). Writes
bench/results/eligibility.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select

from onesheet.domain.access import CLI_ADMIN, Actor
from onesheet.domain.report_filters import birth_cutoff
from onesheet.services import eligibility, setup
from onesheet.services.base import Store
from onesheet.services.seed import seed_county
from onesheet.store.engine import make_engine
from onesheet.store.schema import sheet_table

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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--url")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--db", type=Path, help="SQLite file to keep and reuse once seeded")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{args.db or Path(tmp) / 'bench.db'}"
        reuse = args.db is not None and args.db.exists()
        store = Store(make_engine(url))
        dept = Actor("mz", "department", COUNTY, "civil_affairs")
        seeded = 0.0
        if not reuse:
            setup.init_database(store, CLI_ADMIN)
            t0 = time.perf_counter()
            seed_county(
                store, CLI_ADMIN, COUNTY, people=args.people, seed=1, today=date(2026, 11, 1)
            )
            seeded = time.perf_counter() - t0
            row = eligibility.define_rule(store, dept, RULE)
            eligibility.submit_rule(store, dept, row.id)
            eligibility.decide_rule(
                store, Actor("rv", "reviewer", COUNTY), row.id, approve=True, reason="bench"
            )
        wall: dict[str, list[float]] = {"bare": [], "run": [], "plain": []}
        cpu: dict[str, list[float]] = {"bare": [], "run": [], "plain": []}
        n_bare = n_run = n_plain = 0

        def timed(name: str, fn):  # type: ignore[no-untyped-def]
            t0, c0 = time.perf_counter(), time.process_time()
            got = fn()
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
            return got

        for _ in range(args.repeat):
            n_bare = timed("bare", lambda: bare(store))
            result = timed(
                "run", lambda: eligibility.run_rule(store, dept, "gaoling_jintie", COUNTY, MONTH)
            )
            plain = timed(
                "plain",
                lambda: eligibility.run_rule(
                    store, dept, "gaoling_jintie", COUNTY, MONTH, explain=False
                ),
            )
            n_run = result.counts()["new"] + result.counts()["kept"] + result.counts()["unknown"]
            n_plain = sum(plain.counts()[k] for k in ("new", "kept", "unknown"))
        assert n_bare == n_run == n_plain, (n_bare, n_run, n_plain)
        best = {k: min(v) for k, v in wall.items()}
        best_cpu = {k: min(v) for k, v in cpu.items()}
        out = {
            "people": args.people,
            "backend": url.split(":", 1)[0].split("+", 1)[0],
            "seed_seconds": round(seeded, 2) if not reuse else None,  # None: --db reused
            "eligible_bare_sql": n_bare,
            "eligible_rule": n_run,
            "bare_sql_seconds": round(best["bare"], 4),
            "rule_run_seconds": round(best["run"], 4),
            "ratio": round(best["run"] / max(best["bare"], 1e-9), 1),
            "rule_run_unexplained_seconds": round(best["plain"], 4),
            "ratio_unexplained": round(best["plain"] / max(best["bare"], 1e-9), 1),
            "bare_sql_cpu_seconds": round(best_cpu["bare"], 4),
            "rule_run_cpu_seconds": round(best_cpu["run"], 4),
            "cpu_ratio": round(best_cpu["run"] / max(best_cpu["bare"], 1e-9), 1),
            "rule_run_unexplained_cpu_seconds": round(best_cpu["plain"], 4),
            "cpu_ratio_unexplained": round(best_cpu["plain"] / max(best_cpu["bare"], 1e-9), 1),
            "load_average": round(os.getloadavg()[0], 1),
            "values_read": result.values_read,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": platform.platform(),
            "note": "ratio: the whole run (one SELECT deciding every condition set-based, the "
            "listed people's inputs resolved from the log and every condition explained with "
            "value, source and date, the run and its items stored, the audit event) against the "
            "bare SQL that only counts. ratio_unexplained: run_rule(explain=False) - same lists, "
            "tiers and amounts, explanations only for the dropped and cannot-tell. Best of "
            "--repeat; CPU figures are this process's (on SQLite that includes the database).",
        }
        print(json.dumps(out, ensure_ascii=False, indent=2))
        # one entry per backend and size, so a PostgreSQL run keeps the SQLite one
        path = Path(__file__).parent / "results" / "eligibility.json"
        kept = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        kept = kept if isinstance(kept, dict) and "runs" in kept else {"runs": {}}
        kept["runs"][f"{out['backend']}-{args.people}"] = out
        text = json.dumps(kept, ensure_ascii=False, indent=2)
        path.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
