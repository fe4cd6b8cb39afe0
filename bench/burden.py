"""Burden benchmark (issue 11): legacy forms with department-specific columns, one round of
collection, and what share of their reports the sheet fills — before and after.

On a seeded county: import each form as its department, confirm its new fields as the data
steward (types from the forms' own evidence), approve at the Gate, run every report for the
county (fill share *before*), fill every collection task as the villages' cadres through the
task service, run every report again (fill share *after*). Also: values typed per village,
values asked twice (must be 0), and each report's run time against a floor measured in the
same run (the same compiled SELECT streamed into a bare constant_memory XlsxWriter).

    .venv/bin/python bench/burden.py [--people 100000] [--backend sqlite|postgresql]
                                      [--forms tests.forms.forms_county_fields]

Writes bench/results/burden.json.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parents[1]))  # the forms and the round live under tests/

from tests.integration.sheet_round import (
    COUNTY,
    COUNTY_STAFF,
    WHEN,
    bring_in,
    fill_everything,
)
from tests.scratch_db import create_database

from onesheet.domain.access import CLI_ADMIN
from onesheet.domain.report_columns import plan_roster
from onesheet.domain.report_filters import check_filter
from onesheet.services import forms, reports, setup
from onesheet.services.base import Store
from onesheet.services.seed import seed_county
from onesheet.store.engine import make_engine
from onesheet.store.report_query import roster_select, sources_for, stream_rows
from onesheet.store.schema import table

RESULTS = Path(__file__).parent / "results" / "burden.json"


def run_all(store: Store, ids: list[str], out_dir: Path) -> tuple[int, int, dict[str, float]]:
    filled = missing = 0
    seconds: dict[str, float] = {}
    for tid in ids:
        start = time.perf_counter()
        r = reports.run_report(
            store, COUNTY_STAFF, tid, COUNTY, WHEN, "xlsx", out_dir / f"{tid}.xlsx"
        )
        seconds[tid] = time.perf_counter() - start
        filled, missing = filled + r.values_filled, missing + r.values_missing
    return filled, missing, seconds


def floor(store: Store, tid: str, out: Path) -> float:
    """The report's own compiled SELECT streamed into a bare XlsxWriter (no layout)."""
    from xlsx_floor import bare_xlsx  # bench/xlsx_floor.py

    spec = forms.approved_template(store, COUNTY_STAFF, tid)
    plans = plan_roster(spec, store.dictionary)
    entities = frozenset({spec.entity, "household"} if spec.entity == "person" else {spec.entity})
    flt = check_filter(spec.filter, store.dictionary, entities) if spec.filter else None
    src = sources_for(spec.entity, plans, flt)
    stmt = roster_select(src, plans, flt, county_code=COUNTY, org_code=COUNTY, report_date=WHEN)
    start = time.perf_counter()
    with store.engine.connect() as conn:
        bare_xlsx(stream_rows(conn, stmt), out)
    return time.perf_counter() - start


def database(backend: str, work: Path) -> tuple[str, object]:
    if backend == "sqlite":
        return f"sqlite:///{work / 'burden.db'}", None
    from onesheet.devtools.pg_cluster import Cluster

    cluster = Cluster()
    cluster.start()
    return create_database(cluster.url, "burden"), cluster


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--backend", default="sqlite", choices=("sqlite", "postgresql"))
    ap.add_argument("--forms", default="tests.forms.forms_county_fields")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    module = importlib.import_module(args.forms)
    with tempfile.TemporaryDirectory(prefix="onesheet-burden-") as tmp:
        work = Path(tmp)
        url, cluster = database(args.backend, work)
        try:
            store = Store(make_engine(url))
            setup.init_database(store, CLI_ADMIN)
            t0 = time.perf_counter()
            seed_county(store, CLI_ADMIN, COUNTY, people=args.people, seed=1, today=WHEN)
            seeded = time.perf_counter() - t0
            t0 = time.perf_counter()
            ids = [
                bring_in(store, f, module.xlsx, approve_reason="清单内事项") for f in module.FORMS
            ]
            gate_seconds = time.perf_counter() - t0
            before = run_all(store, ids, work)
            t0 = time.perf_counter()
            typed = fill_everything(store, per_page=500)
            fill_seconds = time.perf_counter() - t0
            after = run_all(store, ids, work)
            floors = {tid: floor(store, tid, work / f"floor-{tid}.xlsx") for tid in ids}
            o, c = table("org_unit"), table("task_item")
            with store.engine.connect() as conn:
                villages = len(conn.execute(select(o.c.code).where(o.c.level == "village")).all())
                asked = Counter(
                    tuple(r) for r in conn.execute(select(c.c.entity_id, c.c.field_key))
                )
            store.engine.dispose()
        finally:
            if cluster is not None:
                cluster.stop()  # type: ignore[attr-defined]
    share = lambda f, m: round(f / (f + m), 4) if f + m else 1.0  # noqa: E731
    report_s, floor_s = sum(after[2].values()), sum(floors.values())
    result = {
        "benchmark": "burden",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.python_version()}",
        "backend": args.backend,
        "people": args.people,
        "forms": len(ids),
        "fill_share_before": share(before[0], before[1]),
        "fill_share_after": share(after[0], after[1]),
        "values_typed": sum(typed.values()),
        "villages": villages,
        "values_typed_per_village": round(sum(typed.values()) / max(villages, 1), 1),
        # a value typed twice would be a burden; one asked by two forms approved before
        # either was filled is typed once and closed in the other task by that fill
        "values_typed_twice": sum(1 for n in typed.values() if n > 1),
        "values_asked_by_two_open_tasks": sum(1 for n in asked.values() if n > 1),
        "report_seconds_after": round(report_s, 2),
        "floor_seconds": round(floor_s, 2),
        "report_to_floor": round(report_s / floor_s, 2) if floor_s else None,
        "seed_seconds": round(seeded, 1),
        "gate_seconds": round(gate_seconds, 1),
        "fill_seconds": round(fill_seconds, 1),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
