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
import re
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import create_engine, select, text

sys.path.insert(0, str(Path(__file__).parents[1]))  # the forms live under tests/forms

from onesheet.domain.access import CLI_ADMIN, Actor
from onesheet.domain.report_columns import plan_roster
from onesheet.domain.report_filters import check_filter
from onesheet.services import county_fields, forms, gate, reports, setup, tasks
from onesheet.services.base import Store
from onesheet.services.seed import seed_county
from onesheet.store.engine import make_engine
from onesheet.store.report_query import roster_select, sources_for, stream_rows
from onesheet.store.schema import table

RESULTS = Path(__file__).parent / "results" / "burden.json"
COUNTY = "330523"
WHEN = date(2026, 11, 20)
STEWARD = Actor("steward", "steward", COUNTY)
REVIEWER = Actor("rev", "reviewer", COUNTY)
COUNTY_STAFF = Actor("xian", "admin", COUNTY)


def _core(heading: str) -> str:
    return re.sub(r"[（(][^）)]*[）)]", "", heading).strip()


def bring_in(store: Store, form, xlsx) -> str:  # type: ignore[no-untyped-def]
    clerk = Actor(f"{form.department}-clerk", "department", COUNTY, form.department)
    result = forms.import_form(
        store, clerk, xlsx(form), department=form.department, filename=f"{form.name}.xlsx"
    )
    tid = result.template.id
    for col in result.contract["columns"]:  # type: ignore[union-attr]
        if col["status"] == "uncertain" and col["heading"] in form.headings:
            forms.create_field(
                store, clerk, tid, column=col["letter"], label_zh=_core(col["heading"]),
                value_type="text",
            )  # fmt: skip
    for p in county_fields.proposals(store, STEWARD, tid):
        if p.definition is None or p.definition.status == "confirmed":
            county_fields.confirm(store, STEWARD, p.key, template_id=tid)
    forms.submit(store, clerk, tid)
    gate.approve(store, REVIEWER, tid, reason="清单内事项")
    return tid


def answer(inp: tasks.TaskInput) -> str:
    if inp.choices:
        return inp.choices[-1][0]
    return {"date": "2026-03-01", "tel": "13905720000", "number": "3"}.get(inp.kind, "某某")


def fill_everything(store: Store) -> Counter[tuple[int, str]]:
    typed: Counter[tuple[int, str]] = Counter()
    while True:  # the task list shows at most 200 tasks, open first: list until none is open
        open_ = [t for t in tasks.list_tasks(store, COUNTY_STAFF) if t.status == "open"]
        if not open_:
            return typed
        for summary in open_:
            cadre = Actor(f"cadre-{summary.org_code}", "village", summary.org_code)
            while True:
                page = tasks.task_page(store, cadre, summary.id, 1, per_page=500)
                values = {
                    (e.entity_id, i.field_key): answer(i) for e in page.entities for i in e.inputs
                }
                if not values:
                    break
                tasks.fill_task(store, cadre, summary.id, values, page.task.version)
                typed.update(values.keys())


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
    from xlsxwriter import Workbook

    spec = forms.approved_template(store, COUNTY_STAFF, tid)
    plans = plan_roster(spec, store.dictionary)
    entities = frozenset({spec.entity, "household"} if spec.entity == "person" else {spec.entity})
    flt = check_filter(spec.filter, store.dictionary, entities) if spec.filter else None
    src = sources_for(spec.entity, plans, flt)
    stmt = roster_select(src, plans, flt, county_code=COUNTY, org_code=COUNTY, report_date=WHEN)
    start = time.perf_counter()
    wb = Workbook(str(out), {"constant_memory": True})
    ws = wb.add_worksheet()
    with store.engine.connect() as conn:
        for n, row in enumerate(stream_rows(conn, stmt), start=1):
            for c, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, int | float) and not isinstance(v, bool):
                    ws.write_number(n, c, v)
                else:
                    ws.write_string(n, c, str(v))
    wb.close()
    return time.perf_counter() - start


def database(backend: str, work: Path) -> tuple[str, object]:
    if backend == "sqlite":
        return f"sqlite:///{work / 'burden.db'}", None
    from onesheet.devtools.pg_cluster import Cluster

    cluster = Cluster()
    cluster.start()
    admin = create_engine(cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('CREATE DATABASE "burden"'))
    admin.dispose()
    return cluster.url.rsplit("/", 1)[0] + "/burden", cluster


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
            ids = [bring_in(store, f, module.xlsx) for f in module.FORMS]
            gate_seconds = time.perf_counter() - t0
            before = run_all(store, ids, work)
            t0 = time.perf_counter()
            typed = fill_everything(store)
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
