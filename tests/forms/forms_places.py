"""Place forms written for the place tests (issue 11 item 8): three departments' legacy forms
that list places, not people — a 学校 safety register (education), an 应急避难场所 list and a
重大危险源 register (emergency management) — and the departments' own exports of those
places, which put them in the sheet. Built with XlsxWriter here; nothing is copied from
``../shared/realforms``.

The exports name each place's village in its address (a form's 所属村 column works too), and
leave some values out on purpose, so the tasks have something to ask.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

import xlsxwriter

from tests.forms.grid import Cell, clerk_xlsx, write_cell


@dataclass(frozen=True)
class PlaceForm:
    """A department's legacy form: title, headings (after 序号), sample rows."""

    name: str
    department: str
    title: str
    headings: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    kind: str  # the place_kind code the form lists


SCHOOLS = PlaceForm(
    "jiaoyu_xuexiao_anquan",
    "education",
    "中小学校（幼儿园）安全工作台账",
    (
        "学校名称",
        "学校地址",
        "校长姓名",
        "校长联系电话",
        "在校学生人数",
        "专职保安人数",
        "最近检查日期",
    ),
    (
        ("示例镇中心小学", "示例镇示例村1号", "王某", "13905720001", 420, 3, dt.date(2026, 9, 1)),
        ("示例幼儿园", "示例镇示例村8号", "李某", "13905720002", 96, 1, dt.date(2026, 9, 3)),
        ("示例镇初级中学", "示例镇示例村20号", "张某", "13905720003", 610, 4, dt.date(2026, 9, 5)),
    ),
    "01",
)
SHELTERS = PlaceForm(
    "yingji_binan_changsuo",
    "emergency",
    "应急避难场所基本情况登记表",
    (
        "避难场所名称",
        "地址",
        "场所面积（㎡）",
        "可容纳人数",
        "管理单位",
        "负责人",
        "联系电话",
        "避难场所级别",
    ),
    (
        ("示例村文化礼堂", "示例镇示例村", 800, 400, "示例村村委会", "赵某", "13905720011", "一类"),
        ("示例小学操场", "示例镇示例村1号", 3200, 1500, "示例小学", "钱某", "13905720012", "二类"),
        ("示例公园", "示例镇示例村", 5000, 2500, "示例镇政府", "孙某", "13905720013", "三类"),
    ),
    "02",
)
HAZARDS = PlaceForm(
    "yingji_zhongda_weixianyuan",
    "emergency",
    "重大危险源基本情况表",
    ("危险源名称", "危险源等级", "所属单位", "危险源地址", "负责人", "负责人电话", "最近检查日期"),
    (
        ("示例化工储罐区", "二级", "示例化工有限公司", "示例镇工业园1号", "周某", "13905720021",
         dt.date(2026, 10, 9)),
        ("示例液化气站", "三级", "示例燃气有限公司", "示例镇示例村5号", "吴某", "13905720022",
         dt.date(2026, 10, 12)),
        ("示例加油站", "四级", "示例石化销售公司", "示例镇示例村9号", "郑某", "13905720023",
         dt.date(2026, 10, 15)),
    ),
    "03",
)  # fmt: skip
FORMS = (SCHOOLS, SHELTERS, HAZARDS)


def form_xlsx(form: PlaceForm) -> bytes:
    """The form as a clerk keeps it: merged title, unit line, headings, samples, signatures."""
    return clerk_xlsx(form.title, ["序号", *form.headings, "备注"], form.rows, wrap=True)


def export_xlsx(headings: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    """A department system's export: one heading row, then one row per place."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("导出数据")
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, list(headings))
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            write_cell(ws, 1 + i, j, v, None, day)
    wb.close()
    return buf.getvalue()


def schools_export(a: tuple[str, str], b: tuple[str, str]) -> tuple[list[str], list[list[Cell]]]:
    """教育局's school list for two villages ``(town name, village name)``: three schools in
    the first, one in the second; two principals' phones missing."""
    (ta, va), (tb, vb) = a, b
    headings = ["学校名称", "学校地址", "校长姓名", "校长电话"]
    rows: list[list[Cell]] = [
        [f"{va}小学", f"{ta}{va}学府路1号", "陈晓明", "13857200001"],
        [f"{va}幼儿园", f"{ta}{va}学府路8号", "林美华", None],
        [f"{va}中学", f"{ta}{va}文化路3号", "黄建国", "13857200003"],
        [f"{vb}小学", f"{tb}{vb}中心街2号", "徐志强", None],
    ]
    return headings, rows


def shelters_export(a: tuple[str, str], b: tuple[str, str]) -> tuple[list[str], list[list[Cell]]]:
    """应急管理局's shelters: one in each village, capacity known for one."""
    (ta, va), (tb, vb) = a, b
    headings = ["避难场所名称", "地址", "可容纳人数", "管理单位"]
    rows: list[list[Cell]] = [
        [f"{va}文化礼堂", f"{ta}{va}礼堂路1号", 400, f"{va}村民委员会"],
        [f"{vb}中心广场", f"{tb}{vb}广场路", None, f"{vb}村民委员会"],
    ]
    return headings, rows


def hazards_export(a: tuple[str, str]) -> tuple[list[str], list[list[Cell]]]:
    """应急管理局's major hazard sources, both in the first village, with a 所属村 column."""
    ta, va = a
    headings = ["危险源名称", "所属村（社区）", "危险源地址", "所属单位"]
    rows: list[list[Cell]] = [
        ["天成化工储罐区", va, f"{ta}工业园区东路1号", "天成化工有限公司"],
        ["顺达液化气站", va, f"{ta}工业园区西路5号", "顺达燃气有限公司"],
    ]
    return headings, rows
