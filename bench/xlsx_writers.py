"""XLSX writer benchmark: OneSheet's ``write_xlsx`` against the bare writers it could use.

For N rows × 30 person-like columns (names, 18-digit ID strings, dates as text, phone and bank
numbers as text, ints, amounts) this times:

* ``xlsxwriter_floor`` — XlsxWriter ``constant_memory``, each value written with
  ``write_string``/``write_number`` by type, no formats: the least any XlsxWriter-based
  renderer can cost (the floor);
* ``xlsxwriter_write_row`` — the same with ``write_row`` (generic ``write()`` dispatch);
* ``xlsxwriter_bordered`` — the floor plus one border format on every cell, empty ones
  included: what a bordered form costs inside XlsxWriter before any logic of ours;
* ``onesheet_write_xlsx`` — our renderer: title/unit/heading block, borders, household
  merge-down of 3 columns, ~1 % missing values highlighted and listed on 待采集, footer;
* ``openpyxl_write_only``;
* ``pyexcelerate`` — optional, only if installed (``pip install pyexcelerate`` into the venv
  for the benchmark; it is not a project dependency). It needs every row in memory.

Row data is generated before timing; each timing includes closing/saving the file. With
``--repeat`` the writers run round-robin that many times and the best time counts (single
runs drift by ±10 %, enough to reorder writers this close). Prints seconds, rows/s and the
ratio to the floor; writes bench/results/xlsx_writers.json.

    .venv/bin/python bench/xlsx_writers.py [--rows 100000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import openpyxl
import xlsxwriter

from onesheet.domain.template_spec import TemplateSpec
from onesheet.export import RenderContext, RenderRow, write_xlsx

RESULTS = Path(__file__).parent / "results" / "xlsx_writers.json"
GOAL = 1.3
HEADINGS = [
    "序号", "户主姓名", "家庭人口", "户籍地址", "基本信息/姓名", "基本信息/性别", "基本信息/民族",
    "基本信息/出生日期", "基本信息/公民身份号码", "与户主关系", "文化程度", "婚姻状况", "政治面貌",
    "联系电话", "健康状况", "就业状况", "医保类型", "养老保险", "是否低保", "是否特困", "残疾类别",
    "残疾等级", "银行卡号", "月保障金额", "年收入", "耕地面积（亩）", "住房结构", "住房面积",
    "现住址", "备注",
]  # fmt: skip
MERGED = {1, 2, 3}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国志"
VILLAGES = ["城东村", "城西社区", "高桥村", "新塘村", "梅溪村", "白石村", "南湖社区"]
PICK = {
    5: ["男", "女"], 6: ["汉族", "汉族", "汉族", "畲族"], 9: ["户主", "配偶", "子", "女", "孙子"],
    10: ["小学", "初中", "高中", "大学本科"], 11: ["已婚", "未婚", "丧偶"],
    12: ["群众", "中共党员", "共青团员"], 14: ["健康", "一般", "慢性病"],
    15: ["务农", "务工", "无业", "在校学生"], 16: ["城乡居民医保", "职工医保"],
    17: ["城乡居民养老保险", "未参保"], 18: ["是", "否"], 19: ["否"], 20: [None, None, "肢体"],
    21: [None, None, "三级"], 26: ["砖混", "框架", "砖木"],
}  # fmt: skip


def spec() -> TemplateSpec:
    """A 30-column roster with a 2-row heading and three household columns."""
    columns = []
    for i, heading in enumerate(HEADINGS):
        kind = "row_no" if i == 0 else "remark" if i == 29 else "field"
        columns.append(
            {
                "letter": xlsxwriter.utility.xl_col_to_name(i),
                "heading": heading,
                "kind": kind,
                "field": None if kind != "field" else f"f{i}",
                "merge_by_household": i in MERGED,
            }
        )
    return TemplateSpec.model_validate({
        "id": "bench", "title": "基础信息花名册", "department": "bench", "entity": "person",
        "columns": columns, "layout": {"title": "2026年基础信息花名册", "heading_rows": []},
    })  # fmt: skip


def synth(rows: int, seed: int = 7) -> tuple[list[list[object]], list[RenderRow]]:
    """Person-like rows (households of 1–5) as plain value lists and as RenderRows."""
    rnd = random.Random(seed)
    values: list[list[object]] = []
    render: list[RenderRow] = []
    hh = 0
    while len(values) < rows:
        hh += 1
        size = min(rnd.randint(1, 5), rows - len(values))
        head = rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN)
        village = rnd.choice(VILLAGES)
        address = (
            f"浙江省湖州市长兴县雉城街道{village}{rnd.randint(1, 30)}组{rnd.randint(1, 200)}号"
        )
        for _ in range(size):
            born = date(1940, 1, 1) + timedelta(days=rnd.randint(0, 30000))
            pid = f"330522{born:%Y%m%d}{rnd.randint(0, 999):03d}{rnd.choice('0123456789X')}"
            row: list[object] = [
                None,
                head,
                size,
                address,
                rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN),
            ]
            row += [rnd.choice(PICK[5]), rnd.choice(PICK[6]), f"{born:%Y-%m-%d}", pid]
            row += [rnd.choice(PICK[c]) for c in range(9, 13)]
            row.append(f"1{rnd.randint(3, 9)}{rnd.randint(0, 10**9 - 1):09d}")
            row += [rnd.choice(PICK[c]) for c in range(14, 22)]
            row.append(f"6217{rnd.randint(0, 10**15 - 1):015d}")
            row += [Decimal(rnd.randint(0, 90000)) / 100, rnd.randint(0, 120000),
                    round(rnd.uniform(0, 8), 2), rnd.choice(PICK[26]),
                    round(rnd.uniform(40, 300), 1), address, None]  # fmt: skip
            missing = [(13, "联系电话未采集")] if rnd.random() < 0.01 else []
            if missing:
                row[13] = None
            values.append(row)
            render.append(
                RenderRow(
                    row,
                    household=hh,
                    missing=missing,
                    entity_label=f"{row[4]}（{pid[:4]}**********{pid[-4:]}）",
                )
            )
    return values, render


def _plain(value: object) -> object:
    return float(value) if isinstance(value, Decimal) else value


def xlsxwriter_floor(values: list[list[object]], out: Path) -> None:
    wb = xlsxwriter.Workbook(str(out), {"constant_memory": True})
    ws = wb.add_worksheet()
    write_string, write_number = ws.write_string, ws.write_number
    for r, row in enumerate(values):
        for c, v in enumerate(row):
            if type(v) is str:
                write_string(r, c, v)
            elif v is not None:
                write_number(r, c, _plain(v))  # type: ignore[arg-type]
    wb.close()


def xlsxwriter_bordered(values: list[list[object]], out: Path) -> None:
    wb = xlsxwriter.Workbook(str(out), {"constant_memory": True})
    ws = wb.add_worksheet()
    border = wb.add_format({"border": 1})
    write_string, write_number, write_blank = ws.write_string, ws.write_number, ws.write_blank
    for r, row in enumerate(values):
        for c, v in enumerate(row):
            if type(v) is str:
                write_string(r, c, v, border)
            elif v is None:
                write_blank(r, c, None, border)
            else:
                write_number(r, c, _plain(v), border)  # type: ignore[arg-type]
    wb.close()


def xlsxwriter_write_row(values: list[list[object]], out: Path) -> None:
    wb = xlsxwriter.Workbook(str(out), {"constant_memory": True})
    ws = wb.add_worksheet()
    for r, row in enumerate(values):
        ws.write_row(r, 0, [_plain(v) for v in row])
    wb.close()


def openpyxl_write_only(values: list[list[object]], out: Path) -> None:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    for row in values:
        ws.append(row)
    wb.save(out)


def pyexcelerate_write(values: list[list[object]], out: Path) -> None:
    from pyexcelerate import Workbook  # optional, benchmark only

    wb = Workbook()
    wb.new_sheet("sheet", data=values)
    wb.save(str(out))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def pkg_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    values, render = synth(args.rows)
    form = spec()
    ctx = RenderContext(org_name="雉城街道办事处", report_date=date(2026, 11, 30))
    runs: dict[str, Callable[[Path], object]] = {
        "xlsxwriter_floor": lambda p: xlsxwriter_floor(values, p),
        "xlsxwriter_write_row": lambda p: xlsxwriter_write_row(values, p),
        "xlsxwriter_bordered": lambda p: xlsxwriter_bordered(values, p),
        "onesheet_write_xlsx": lambda p: write_xlsx(form, render, p, ctx),
        "openpyxl_write_only": lambda p: openpyxl_write_only(values, p),
    }
    if pkg_version("pyexcelerate"):
        runs["pyexcelerate"] = lambda p: pyexcelerate_write(values, p)
    best: dict[str, float] = {}
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            for name, run in runs.items():
                out = Path(tmp) / f"{name}.xlsx"
                seconds = timed(lambda run=run, out=out: run(out))
                best[name] = min(seconds, best.get(name, seconds))
                sizes[name] = out.stat().st_size
                out.unlink()
    results = {
        name: {"seconds": round(s, 3), "rows_per_s": round(args.rows / s), "bytes": sizes[name]}
        for name, s in best.items()
    }
    floor = results["xlsxwriter_floor"]["seconds"]
    print(f"{args.rows:,} rows × {len(HEADINGS)} columns, best of {args.repeat}")
    print(f"{'writer':24} {'seconds':>8} {'rows/s':>9} {'× floor':>8}")
    for name, r in results.items():
        r["ratio_to_floor"] = round(r["seconds"] / floor, 3)
        print(f"{name:24} {r['seconds']:8.2f} {r['rows_per_s']:9,} {r['ratio_to_floor']:8.2f}")
    ratio = results["onesheet_write_xlsx"]["ratio_to_floor"]
    print(f"goal: write_xlsx ≤ {GOAL}× floor → {'met' if ratio <= GOAL else 'NOT met'}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": args.rows, "columns": len(HEADINGS), "repeat": args.repeat,
        "goal_ratio": GOAL, "goal_met": ratio <= GOAL,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "versions": {p: pkg_version(p) for p in ("xlsxwriter", "openpyxl", "pyexcelerate")},
        "writers": results,
    }, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")  # fmt: skip


if __name__ == "__main__":
    main()
