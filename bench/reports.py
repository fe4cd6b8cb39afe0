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
import tempfile
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


# --------------------------------------------------------------------------- the roster
ROSTER_FIELDS = [
    ("household.household_no", "户编号", True),
    ("person.name", "姓名", False),
    ("person.gender", "性别", False),
    ("person.ethnicity", "民族", False),
    ("person.id_number", "公民身份号码", False),
    ("person.birth_date", "出生日期", False),
    ("person.age", "年龄", False),
    ("person.relationship_to_head", "与户主关系", False),
    ("person.phone", "联系电话", False),
    ("person.registered_address", "户籍地址", False),
    ("person.current_address", "现住址", False),
    ("person.hukou_nature", "户口性质", False),
    ("person.resident_type", "人员类型", False),
    ("person.education", "文化程度", False),
    ("person.political_status", "政治面貌", False),
    ("person.marital_status", "婚姻状况", False),
    ("person.health_status", "健康状况", False),
    ("person.is_disabled", "是否残疾", False),
    ("person.disability_grade", "残疾等级", False),
    ("person.is_veteran", "是否退役军人", False),
    ("person.is_dibao", "是否低保", False),
    ("person.employment_status", "就业状况", False),
    ("person.occupation", "职业", False),
    ("person.pension_type", "养老保险", False),
    ("person.medical_insurance_type", "医疗保险", False),
    ("person.village_group", "村民小组", False),
    ("person.town", "乡镇（街道）", False),
    ("person.village", "村（社区）", False),
    ("person.grid", "网格", False),
]


def roster_spec(min_age: int):  # type: ignore[no-untyped-def]
    """A 30-column county roster of everyone aged ``min_age`` or more on the report date."""
    from onesheet.domain.template_spec import TemplateSpec, column_letter

    columns = [{"letter": "A", "heading": "序号", "kind": "row_no", "merge_by_household": True}]
    for i, (key, heading, merge) in enumerate(ROSTER_FIELDS, start=1):
        group = "基本信息/" if i <= 8 else ""
        columns.append(
            {
                "letter": column_letter(i),
                "heading": group + heading,
                "field": key,
                "merge_by_household": merge,
            }
        )
    return TemplateSpec.model_validate(
        {
            "id": f"bench_roster_{min_age}",
            "title": "人口信息花名册",
            "department": "public_security",
            "entity": "person",
            "columns": columns,
            "filter": {"field": "person.birth_date", "op": "age_ge", "value": min_age},
            "layout": {"title": "{org_name}人口信息花名册", "heading_rows": []},
        }
    )


def aggregate_spec():  # type: ignore[no-untyped-def]
    import yaml

    from onesheet.domain.template_spec import TemplateSpec

    path = Path(__file__).parent.parent / "tests/reports/specs/population_aggregate.yaml"
    return TemplateSpec.model_validate(yaml.safe_load(path.read_text()))


def install_templates(url: str, ages: list[int]) -> None:
    from onesheet.services.base import Store, utcnow
    from onesheet.store.engine import make_engine
    from onesheet.store.templates import get_template, insert_template

    store = Store(make_engine(url))
    with store.transaction() as conn:
        for spec in [*(roster_spec(a) for a in ages), aggregate_spec()]:
            if get_template(conn, spec.id) is None:
                insert_template(conn, spec, status="approved", actor="bench", at=utcnow())
    store.engine.dispose()


def min_age_for(url: str, rows: int) -> tuple[int, int]:
    """The smallest age cutoff whose roster has at most ``rows`` people (and that count)."""
    from sqlalchemy import func, select

    from onesheet.domain.report_filters import birth_cutoff
    from onesheet.store.engine import make_engine
    from onesheet.store.schema import sheet_table

    t = sheet_table("person")
    engine = make_engine(url)
    with engine.connect() as conn:
        for age in range(0, 100):
            q = select(func.count()).where(t.c.birth_date <= birth_cutoff(REPORT_DATE, age))
            n = conn.execute(q).scalar_one()
            if n <= rows:
                engine.dispose()
                return age, n
    engine.dispose()
    raise SystemExit("no cutoff found")


REPORT_DATE = date(2026, 11, 30)


# --------------------------------------------------------------------------- measurements
def onesheet_roster(url: str, age: int, out: Path) -> dict[str, float]:
    """The real service end to end (admin scope: the whole county)."""
    from onesheet.domain.access import CLI_ADMIN
    from onesheet.services.base import Store
    from onesheet.services.reports import run_report
    from onesheet.store.engine import make_engine

    store = Store(make_engine(url))
    start = time.perf_counter()
    result = run_report(store, CLI_ADMIN, f"bench_roster_{age}", COUNTY, REPORT_DATE, "xlsx", out)
    seconds = time.perf_counter() - start
    store.engine.dispose()
    return {"seconds": seconds, "rows": result.rows, "bytes": out.stat().st_size}


def roster_statement(age: int):  # type: ignore[no-untyped-def]
    """The roster's compiled SELECT (what the floor and the pandas script read)."""
    from onesheet.domain.dictionary import load_builtin
    from onesheet.domain.report_columns import plan_roster
    from onesheet.domain.report_filters import check_filter
    from onesheet.store.report_query import roster_select, sources_for

    spec = roster_spec(age)
    d = load_builtin()
    plans = plan_roster(spec, d)
    flt = check_filter(spec.filter, d, frozenset({"person", "household"}))
    src = sources_for("person", plans, flt)
    return roster_select(
        src, plans, flt, county_code=COUNTY, org_code=COUNTY, report_date=REPORT_DATE
    )


def floor_roster(url: str, age: int, out: Path) -> dict[str, float]:
    """The same SELECT, streamed, written cell by cell by a bare constant_memory XlsxWriter."""
    from onesheet.store.engine import make_engine
    from onesheet.store.report_query import stream_rows
    from xlsx_floor import bare_xlsx  # bench/xlsx_floor.py

    engine = make_engine(url)
    stmt = roster_statement(age)
    start = time.perf_counter()
    with engine.connect() as conn:
        n = bare_xlsx(stream_rows(conn, stmt), out)
    seconds = time.perf_counter() - start
    engine.dispose()
    return {"seconds": seconds, "rows": n, "bytes": out.stat().st_size}


def pandas_roster(url: str, age: int, out: Path) -> dict[str, float]:
    """What a data clerk would write: read_sql into a DataFrame, to_excel with openpyxl."""
    import pandas as pd

    from onesheet.store.engine import make_engine

    engine = make_engine(url)
    stmt = roster_statement(age)
    start = time.perf_counter()
    with engine.connect() as conn:
        df = pd.read_sql(stmt, conn)
    df.to_excel(out, index=False, engine="openpyxl")
    seconds = time.perf_counter() - start
    engine.dispose()
    return {"seconds": seconds, "rows": len(df), "bytes": out.stat().st_size}


def aggregate_vs_group_by(url: str) -> dict[str, float]:
    """All villages × 12 conditions: the county's aggregate by village vs one bare GROUP BY.

    Also the per-town way (one report per town, its villages as rows) to show what a file's
    fixed cost adds when a county is done town by town.
    """
    from onesheet.domain.access import CLI_ADMIN
    from onesheet.services.base import Store
    from onesheet.services.reports import run_report
    from onesheet.store.engine import make_engine

    store = Store(make_engine(url))
    params = {"c18": "2008-11-30", "c60": "1966-11-30", "c80": "1946-11-30"}
    with store.engine.connect() as conn:
        towns = [r[0] for r in conn.execute(text("SELECT code FROM org_unit WHERE level='town'"))]
        conn.execute(text(BARE_GROUP_BY), params).all()  # warm the cache for both
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = run_report(
            store,
            CLI_ADMIN,
            "population_stats",
            COUNTY,
            REPORT_DATE,
            "xlsx",
            Path(tmp) / "county.xlsx",
            rows_by="village",
        )
        onesheet = time.perf_counter() - start
        start = time.perf_counter()
        for town in towns:
            out = Path(tmp) / f"{town}.xlsx"
            run_report(store, CLI_ADMIN, "population_stats", town, REPORT_DATE, "xlsx", out)
        per_town = time.perf_counter() - start
    start = time.perf_counter()
    with store.engine.connect() as conn:
        bare = conn.execute(text(BARE_GROUP_BY), params).all()
    floor = time.perf_counter() - start
    store.engine.dispose()
    return {
        "villages": result.rows - 1,
        "bare_groups": len(bare),
        "onesheet_seconds": round(onesheet, 3),
        "bare_group_by_seconds": round(floor, 3),
        "ratio": round(onesheet / floor, 2),
        "towns": len(towns),
        "per_town_reports_seconds": round(per_town, 3),
        "per_town_ratio": round(per_town / floor, 2),
    }


BARE_GROUP_BY = """
SELECT substr(p.org_code, 1, 12) AS village, count(*),
  sum(CASE WHEN p.gender = '1' THEN 1 ELSE 0 END), sum(CASE WHEN p.gender = '2' THEN 1 ELSE 0 END),
  sum(CASE WHEN p.birth_date > :c18 THEN 1 ELSE 0 END),
  sum(CASE WHEN p.birth_date <= :c18 AND p.birth_date > :c60 THEN 1 ELSE 0 END),
  sum(CASE WHEN p.birth_date <= :c60 THEN 1 ELSE 0 END),
  sum(CASE WHEN p.birth_date <= :c80 THEN 1 ELSE 0 END),
  sum(CASE WHEN p.is_dibao THEN 1 ELSE 0 END),
  sum(CASE WHEN p.disability_grade IN ('1', '2') THEN 1 ELSE 0 END),
  sum(CASE WHEN p.disability_grade IN ('3', '4') THEN 1 ELSE 0 END),
  sum(CASE WHEN p.ethnicity IS DISTINCT FROM '01' THEN 1 ELSE 0 END),
  sum(CASE WHEN p.relationship_to_head IN ('01', '02') THEN h.dibao_amount END)
FROM sheet_person p LEFT JOIN sheet_household h ON h.entity_id = p.household
WHERE p.county_code = '330523'
GROUP BY 1
"""


def child(args: argparse.Namespace) -> None:
    """One measurement in this fresh process, printed as JSON (with peak RSS)."""
    import resource

    url = database_url(args.backend, args.data, args.people)
    fn = {"onesheet": onesheet_roster, "floor": floor_roster, "pandas": pandas_roster}[args.what]
    with tempfile.TemporaryDirectory() as tmp:
        out = fn(url, args.age, Path(tmp) / "out.xlsx")
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def measure(args: argparse.Namespace, what: str, age: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "child", "--what", what, "--age", str(age)]
    cmd += ["--backend", args.backend, "--people", str(args.people), "--data", str(args.data)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    got = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"  {what:>8} age>={age}: {got['rows']:,} rows {got['seconds']:.1f}s "
        f"rss {got['peak_rss_mb']:.0f} MB"
    )
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in got.items()}


def run(args: argparse.Namespace) -> None:
    url = database_url(args.backend, args.data, args.people)
    age, n = min_age_for(url, args.rows)
    age4, n4 = min_age_for(url, args.rows * 4)
    install_templates(url, [age, age4])
    print(
        f"{args.backend} {args.people:,} people: roster age>={age} ({n:,} rows), "
        f"age>={age4} ({n4:,} rows)"
    )
    res: dict[str, object] = {"people": args.people, "roster_columns": 30}
    runs = {w: measure(args, w, age) for w in ("floor", "onesheet", "pandas")}
    big = measure(args, "onesheet", age4)
    one, floor, pandas_ = runs["onesheet"], runs["floor"], runs["pandas"]
    res["roster"] = {
        **runs,
        "ratio_to_floor": round(one["seconds"] / floor["seconds"], 2),
        "speedup_vs_pandas": round(pandas_["seconds"] / one["seconds"], 2),
        "goal": "≤ 1.5× floor; ≥ 2× faster than pandas+openpyxl",
    }
    res["peak_rss"] = {
        "rows_small": one["rows"],
        "rows_large": big["rows"],
        "mb_small": one["peak_rss_mb"],
        "mb_large": big["peak_rss_mb"],
        "large_over_small": round(big["peak_rss_mb"] / one["peak_rss_mb"], 3),
        "seconds_large": big["seconds"],
        "goal": "within 10%",
    }
    res["aggregate"] = {**aggregate_vs_group_by(url), "goal": "≤ 2× bare GROUP BY"}
    print(json.dumps(res, ensure_ascii=False, indent=1))
    save(args.backend, res)


def save(backend: str, res: dict[str, object]) -> None:
    import pandas
    import xlsxwriter

    doc = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    doc.update(
        {
            "benchmark": "reports",
            "machine": f"{platform.machine()} {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; other helpers were using the CPU at the same time",
            "versions": {"xlsxwriter": xlsxwriter.__version__, "pandas": pandas.__version__},
        }
    )
    doc.setdefault("backends", {})[backend] = {
        **res,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    print(f"results → {RESULTS}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["seed", "run", "child"])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/onesheet-reports-bench"))
    parser.add_argument("--what", default="onesheet")
    parser.add_argument("--age", type=int, default=0)
    args = parser.parse_args()
    if args.command == "seed":
        seed(args.backend, args.data, args.people)
    elif args.command == "child":
        child(args)
    else:
        run(args)


if __name__ == "__main__":
    sys.exit(main())
