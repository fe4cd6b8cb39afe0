"""The XLSX renderer reproduces the department's layout and keeps identifiers as text.

Every file is read back with openpyxl (not read_only, so merged ranges are visible).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from onesheet.domain.template_spec import TemplateSpec
from onesheet.export import RenderContext, RenderRow, write_xlsx
from onesheet.export.common import sheet_name
from onesheet.export.widths import display_width

CTX = RenderContext(org_name="城关镇人民政府", report_date=date(2026, 11, 30), generated_by="t")
YELLOW = "FFFFFF99"
FOOTER = "填表人：　　　　审核人：　　　　联系电话："


def dibao_spec(**layout: object) -> TemplateSpec:
    """A 低保 roster: 2-row heading, household columns merged down, 序号 and 备注."""
    return TemplateSpec.model_validate(
        {
            "id": "dibao_roster",
            "title": "低保对象花名册",
            "department": "民政",
            "entity": "person",
            "columns": [
                {"letter": "A", "heading": "序号", "kind": "row_no"},
                {
                    "letter": "B",
                    "heading": "户主姓名",
                    "field": "household.head_name",
                    "merge_by_household": True,
                },
                {
                    "letter": "C",
                    "heading": "保障人数",
                    "field": "household.dibao_count",
                    "merge_by_household": True,
                },
                {"letter": "D", "heading": "基本信息/姓名", "field": "person.name"},
                {"letter": "E", "heading": "基本信息/性别", "field": "person.gender"},
                {"letter": "F", "heading": "基本信息/公民身份号码", "field": "person.id_number"},
                {"letter": "G", "heading": "联系电话", "field": "person.phone"},
                {"letter": "H", "heading": "备注", "kind": "remark"},
            ],
            "layout": {
                "title": "2026年城乡居民最低生活保障对象花名册",
                "heading_rows": [
                    ["序号", "户主姓名", "保障人数", "基本信息", None, None, "联系电话", "备注"],
                    [None, None, None, "姓名", "性别", "公民身份号码", None, None],
                ],
                "merges": [
                    {"first_row": 0, "first_col": c, "last_row": 1, "last_col": c}
                    for c in (0, 1, 2, 6, 7)
                ]
                + [{"first_row": 0, "first_col": 3, "last_row": 0, "last_col": 5}],
                **layout,
            },
        }
    )


def person(
    name: str,
    sex: str,
    pid: str,
    head: str,
    size: object,
    hh: int,
    phone: str | None = None,
    **kw: object,
) -> RenderRow:
    return RenderRow(
        [None, head, size, name, sex, pid, phone, None],
        household=hh,
        entity_label=f"{name}（{pid[:14]}****）",
        **kw,
    )  # type: ignore[arg-type]


def dibao_rows() -> list[RenderRow]:
    """Households of 3, 1 and 2; one missing 性别, one missing household 保障人数."""
    return [
        person("张三", "男", "330523196501011234", "张三", 3, 1, "05721234567"),
        person("李秀英", "女", "330523196802021246", "张三", 3, 1, missing=[(4, "性别未采集")]),
        person("张小明", "男", "33052320100303123X", "张三", 3, 1),
        person("王五", "男", "330523195004041238", "王五", 1, 2, "13812345678"),
        person(
            "赵六", "男", "330523197505051231", "赵六", None, 3, missing=[(2, "保障人数未核定")]
        ),
        person(
            "钱七", "女", "330523197806061243", "赵六", None, 3, missing=[(2, "保障人数未核定")]
        ),
    ]


def aggregate_spec() -> TemplateSpec:
    """An aggregate form: one row per village, counts, a 合计 row."""
    return TemplateSpec.model_validate(
        {
            "id": "village_counts",
            "title": "各村人口统计表",
            "department": "统计",
            "entity": "person",
            "kind": "aggregate",
            "columns": [
                {"letter": "A", "heading": "序号", "kind": "row_no"},
                {"letter": "B", "heading": "村（社区）", "field": "org.name"},
                {"letter": "C", "heading": "人口/男", "kind": "count"},
                {"letter": "D", "heading": "人口/女", "kind": "count"},
                {"letter": "E", "heading": "60岁以上", "kind": "count"},
                {"letter": "F", "heading": "低保人数", "kind": "count"},
            ],
            "layout": {
                "title": "各村（社区）人口统计表",
                "heading_rows": [
                    ["序号", "村（社区）", "人口", None, "60岁以上", "低保人数"],
                    [None, None, "男", "女", None, None],
                ],
                "merges": [
                    {"first_row": 0, "first_col": 0, "last_row": 1, "last_col": 0},
                    {"first_row": 0, "first_col": 1, "last_row": 1, "last_col": 1},
                    {"first_row": 0, "first_col": 2, "last_row": 0, "last_col": 3},
                    {"first_row": 0, "first_col": 4, "last_row": 1, "last_col": 4},
                    {"first_row": 0, "first_col": 5, "last_row": 1, "last_col": 5},
                ],
                "landscape": False,
            },
        }
    )


def aggregate_rows() -> list[RenderRow]:
    villages = [
        ("城东村", 512, 498, 230, 21),
        ("城西社区", 1204, 1187, 402, 35),
        ("高桥村", 87, 90, 61, 9),
    ]
    rows = [RenderRow([None, *v]) for v in villages]
    totals = [sum(v[i] for v in villages) for i in range(1, 5)]
    rows.append(RenderRow([None, "合计", *totals], is_total=True))
    return rows


def render(tmp_path: Path, spec: TemplateSpec, rows: list[RenderRow]) -> openpyxl.Workbook:
    out = tmp_path / "form.xlsx"
    stats = write_xlsx(spec, rows, out, CTX)
    assert stats.rows == len(rows)
    return openpyxl.load_workbook(out)


def merges(ws: Worksheet) -> set[str]:
    return {str(r) for r in ws.merged_cells.ranges}


# --- 低保 roster -------------------------------------------------------------------------


def test_title_unit_line_and_heading(tmp_path: Path) -> None:
    ws = render(tmp_path, dibao_spec(), dibao_rows()).worksheets[0]
    assert ws["A1"].value == "2026年城乡居民最低生活保障对象花名册"
    assert ws["A1"].font.b and 16 <= ws["A1"].font.sz <= 18
    assert ws["A1"].alignment.horizontal == "center"
    assert "A1:H1" in merges(ws)
    assert "城关镇人民政府" in ws["A2"].value and "2026年11月30日" in ws["A2"].value
    assert "A2:H2" in merges(ws) and ws["A2"].alignment.horizontal == "left"
    top = [ws.cell(3, c).value for c in range(1, 9)]
    assert top == ["序号", "户主姓名", "保障人数", "基本信息", None, None, "联系电话", "备注"]
    assert [ws.cell(4, c).value for c in range(4, 7)] == ["姓名", "性别", "公民身份号码"]
    assert {"A3:A4", "B3:B4", "C3:C4", "G3:G4", "H3:H4", "D3:F3"} <= merges(ws)
    for cell in [ws.cell(3, c) for c in (1, 2, 3, 4, 7, 8)] + [ws["D4"], ws["E4"], ws["F4"]]:
        assert cell.font.b and cell.border.left.style == "thin" and cell.alignment.wrap_text


def test_rows_numbers_and_identifiers(tmp_path: Path) -> None:
    rows = dibao_rows()
    ws = render(tmp_path, dibao_spec(), rows).worksheets[0]
    assert [ws.cell(5 + i, 1).value for i in range(6)] == [1, 2, 3, 4, 5, 6]
    for i, row in enumerate(rows):
        cell = ws.cell(5 + i, 6)
        assert cell.data_type == "s" and cell.value == row.cells[5]
        assert cell.border.bottom.style == "thin"
    phone = ws["G5"]
    assert phone.data_type == "s" and phone.value == "05721234567"  # leading zero kept
    assert ws["G8"].data_type == "s" and ws["G8"].value == "13812345678"
    assert ws["D5"].value == "张三" and ws["C5"].value == 3 and ws["C5"].data_type == "n"


def test_household_merges_exactly_where_households_span_rows(tmp_path: Path) -> None:
    ws = render(tmp_path, dibao_spec(), dibao_rows()).worksheets[0]
    data = {m for m in merges(ws) if int(m.split(":")[0][1:]) >= 5 and "H" not in m}
    # households: rows 5-7 (3 members), 8 (alone: no merge), 9-10 (2 members)
    assert data == {"B5:B7", "C5:C7", "B9:B10", "C9:C10"}
    assert ws["B5"].value == "张三" and ws["B6"].value is None
    assert ws["B6"].border.left.style == "thin"  # blanks inside the merge keep borders


def test_missing_cells_highlighted_and_listed(tmp_path: Path) -> None:
    wb = render(tmp_path, dibao_spec(), dibao_rows())
    ws = wb.worksheets[0]
    assert ws["E6"].value is None and ws["E6"].fill.fgColor.rgb == YELLOW
    assert ws["C9"].value is None and ws["C9"].fill.fgColor.rgb == YELLOW
    assert ws["E5"].fill.fgColor.rgb != YELLOW
    listed = list(wb["待采集"].iter_rows(values_only=True))
    assert listed == [
        ("对象", "字段", "原因"),
        ("李秀英（33052319680202****）", "性别", "性别未采集"),
        ("赵六（33052319750505****）", "保障人数", "保障人数未核定"),  # once per household
    ]
    assert write_xlsx(dibao_spec(), dibao_rows(), tmp_path / "again.xlsx", CTX).missing == 2


def test_footer_freeze_and_print_setup(tmp_path: Path) -> None:
    ws = render(tmp_path, dibao_spec(), dibao_rows()).worksheets[0]
    assert ws.cell(11, 1).value is None  # one blank row after the last data row (10)
    assert ws.cell(12, 1).value == FOOTER and "A12:H12" in merges(ws)
    assert ws.freeze_panes == "A5"
    setup = ws.page_setup
    assert setup.orientation == "landscape" and int(setup.paperSize) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert int(setup.fitToWidth or 1) == 1  # 1 is the OOXML default, so it may be omitted
    assert int(setup.fitToHeight) == 0
    assert ws.print_title_rows == "$1:$4"
    assert ws.print_options.horizontalCentered


def test_column_widths_fit_cjk(tmp_path: Path) -> None:
    spec = dibao_spec()
    spec.columns[7].width = 13.0
    ws = render(tmp_path, spec, dibao_rows()).worksheets[0]

    def width(letter: str) -> float:
        for dim in ws.column_dimensions.values():
            if dim.min <= openpyxl.utils.column_index_from_string(letter) <= dim.max:
                return float(dim.width)
        raise AssertionError(letter)

    assert width("F") >= display_width("330523196501011234")  # 18 digits fit
    assert width("D") >= display_width("李秀英")
    assert width("H") == pytest.approx(13.0, abs=0.8)  # Column.width wins
    assert all(4 <= width(c) <= 61 for c in "ABCDEFG")


def test_sheet_names() -> None:
    assert sheet_name("2026年[低保]:花名册*?/\\") == "2026年低保花名册"
    assert len(sheet_name("很长的标题" * 10)) == 31
    assert sheet_name("待采集") == "报表" and sheet_name("???") == "报表"


def test_sheet_named_after_title(tmp_path: Path) -> None:
    wb = render(tmp_path, dibao_spec(title="2026年低保/特困人员花名册：第[1]批"), dibao_rows())
    assert wb.sheetnames == ["2026年低保特困人员花名册：第1批", "待采集"]  # full-width ： is fine


# --- aggregate form ----------------------------------------------------------------------


def test_aggregate_form(tmp_path: Path) -> None:
    rows = aggregate_rows()
    wb = render(tmp_path, aggregate_spec(), rows)
    ws = wb.worksheets[0]
    assert ws["A1"].value == "各村（社区）人口统计表" and "A1:F1" in merges(ws)
    assert {"A3:A4", "B3:B4", "C3:D3", "E3:E4", "F3:F4"} <= merges(ws)
    assert [ws.cell(4, c).value for c in (3, 4)] == ["男", "女"]
    got = [[ws.cell(r, c).value for c in range(1, 7)] for r in range(5, 9)]
    want = [[i + 1, *row.cells[1:]] for i, row in enumerate(rows[:3])]
    want.append([None, *rows[3].cells[1:]])
    assert got == want
    assert all(ws.cell(5, c).data_type == "n" for c in range(3, 7))
    assert ws["B8"].value == "合计" and ws["B8"].font.b and ws["C8"].font.b
    assert not ws["B5"].font.b
    assert ws.page_setup.orientation == "portrait"
    assert list(wb["待采集"].iter_rows(values_only=True)) == [
        ("对象", "字段", "原因"),
        ("无", None, None),
    ]


def test_heading_derived_from_column_paths(tmp_path: Path) -> None:
    spec = aggregate_spec()
    spec.layout.heading_rows = []
    spec.layout.merges = []
    ws = render(tmp_path, spec, aggregate_rows()).worksheets[0]
    assert [ws.cell(3, c).value for c in range(1, 7)] == [
        "序号",
        "村（社区）",
        "人口",
        None,
        "60岁以上",
        "低保人数",
    ]
    assert {"A3:A4", "B3:B4", "C3:D3", "E3:E4", "F3:F4"} <= merges(ws)


def test_no_unit_line_moves_heading_up(tmp_path: Path) -> None:
    spec = aggregate_spec()
    spec.layout.unit_line = None
    ws = render(tmp_path, spec, aggregate_rows()).worksheets[0]
    assert ws["A2"].value == "序号" and ws.freeze_panes == "A4"
    assert ws.print_title_rows == "$1:$3"


def test_numbers_never_become_scientific_or_formulas(tmp_path: Path) -> None:
    rows = dibao_rows()[:1]
    rows.append(person("=1+1", "男", "110101200001011234", "=1+1", 330523199001011234, 9))
    ws = render(tmp_path, dibao_spec(), rows).worksheets[0]
    assert ws["D6"].data_type == "s" and ws["D6"].value == "=1+1"
    assert ws["C6"].data_type == "s" and ws["C6"].value == "330523199001011234"


def test_wrong_cell_count_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="8 columns"):
        write_xlsx(dibao_spec(), [RenderRow(["a"])], tmp_path / "x.xlsx", CTX)
    assert not list(tmp_path.iterdir())


def test_failure_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "form.xlsx"
    out.write_bytes(b"previous")

    def broken() -> Iterator[RenderRow]:
        yield from dibao_rows()
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        write_xlsx(dibao_spec(), broken(), out, CTX)
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["form.xlsx"]


def test_binary_stream(tmp_path: Path) -> None:
    buf = io.BytesIO()
    write_xlsx(dibao_spec(), dibao_rows(), buf, CTX)
    wb = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))
    assert wb.worksheets[0]["F5"].value == "330523196501011234"


def test_twenty_thousand_rows(tmp_path: Path) -> None:
    def rows() -> Iterator[RenderRow]:
        for i in range(20_000):
            hh = i // 3  # households of 3
            pid = f"330523{19500101 + i % 28:08d}{i % 1000:03d}{i % 10}"
            yield person(f"人员{i}", "男女"[i % 2], pid, f"户主{hh}", 3, hh)

    out = tmp_path / "big.xlsx"
    stats = write_xlsx(dibao_spec(), rows(), out, CTX)
    assert stats.rows == 20_000 and stats.missing == 0
    with zipfile.ZipFile(out) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    household_merges = 2 * (20_000 // 3) + (2 if 20_000 % 3 > 1 else 0)
    assert sheet.count("<mergeCell ") == 2 + 6 + 1 + household_merges
    wb = openpyxl.load_workbook(out, read_only=True)
    ws = wb.worksheets[0]
    last = 4 + 20_000
    assert ws.cell(last, 1).value == 20_000
    assert ws.cell(last, 4).value == "人员19999"
    assert ws.cell(last + 2, 1).value == FOOTER
    wb.close()


# --- the raw-row fast path --------------------------------------------------------------


def _cells(wb: openpyxl.Workbook) -> list[list[tuple[object, ...]]]:
    """Every cell of every sheet: value, type, number format, fill, bold, border."""
    return [
        [
            (
                c.coordinate,
                c.value,
                c.data_type,
                c.number_format,
                c.fill.fgColor.rgb,
                c.font.b,
                c.border.left.style,
            )
            for row in ws.iter_rows()
            for c in row
        ]
        + sorted(merges(ws))
        for ws in wb.worksheets
    ]


def kept_spec() -> TemplateSpec:
    """The 低保 roster as imported from a form: its rows, styles and heights kept."""
    return dibao_spec(
        top_rows=[
            {"row": 0, "role": "title", "cells": [{"text": "{org_name}低保花名册", "last_col": 7}]},
            {"row": 1, "role": "subtitle", "cells": [{"text": "（{year}年度）", "last_col": 7}]},
            {"row": 3, "role": "unit", "cells": [{"text": "单位：{org_name}", "style": 0}]},
        ],
        heading_row=4,
        data_row=7,
        footer_rows=[{"row": 0, "role": "footer", "cells": [{"text": "填表人：", "last_col": 2}]}],
        footer_gap=0,
        styles=[
            {"font_name": "仿宋", "font_size": 12, "align": "center", "valign": "vcenter"},
            {"font_name": "仿宋", "align": "center", "border": True, "num_format": "0.00"},
        ],
        column_styles=[1, 1, 1, 1, 1, 1, 1, None],
        data_height=24.0,
    )


def test_kept_rows_stay_where_the_form_had_them(tmp_path: Path) -> None:
    wb = render(tmp_path, kept_spec(), dibao_rows())
    ws = wb.worksheets[0]
    assert ws["A1"].value == "城关镇人民政府低保花名册" and ws["A2"].value == "（2026年度）"
    assert ws["A3"].value is None and ws["A4"].value == "单位：城关镇人民政府"
    assert ws["A4"].font.name == "仿宋" and ws["A4"].alignment.horizontal == "center"
    assert ws["A5"].value == "序号" and ws["A8"].value == 1  # heading row 5, data from row 8
    assert {"A1:H1", "A2:H2"} <= merges(ws)
    assert ws["D8"].alignment.horizontal == "center" and ws["D8"].border.left.style == "thin"
    assert ws["H8"].border.left.style == "thin"  # no kept style: the default cell
    assert ws.row_dimensions[8].height == pytest.approx(24, abs=0.5)
    last = 7 + len(dibao_rows())
    assert ws.cell(last + 1, 1).value == "填表人："  # footer_gap 0: right after the data


@pytest.mark.parametrize("which", ["roster", "aggregate", "awkward", "kept"])
def test_fast_rows_write_what_the_public_api_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, which: str
) -> None:
    """Raw row XML (xlsx_fast) reads back cell for cell like XlsxWriter's own writes."""
    awkward = [
        person(" 前后空格 ", "男", "330523196501011234", "A&B<C>", 2, 1, "_x0041_"),
        person("控制\x01字符", "女", "330523196802021246", "A&B<C>", 2, 1, "行1\n行2"),
        person("王五", "男", "330523195004041238", "王五", 12345678901234, 2),
    ]
    spec, rows = {
        "roster": (dibao_spec(), dibao_rows()),
        "aggregate": (aggregate_spec(), aggregate_rows()),
        "awkward": (dibao_spec(), awkward),
        "kept": (kept_spec(), dibao_rows()),
    }[which]
    fast = render(tmp_path, spec, rows)
    monkeypatch.setattr("onesheet.export.xlsx_rows.supported", lambda ws: False)
    (tmp_path / "slow").mkdir()
    slow = render(tmp_path / "slow", spec, rows)
    assert _cells(fast) == _cells(slow)
    heights = [
        {r: d.height for r, d in ws.row_dimensions.items() if d.height}
        for wb in (fast, slow)
        for ws in wb.worksheets[:1]
    ]
    assert heights[0] == heights[1]
