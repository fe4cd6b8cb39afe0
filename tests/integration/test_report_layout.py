"""A report keeps the department's rows: the form imported, approved and run for another
village and another year reads back cell by cell in the same places (issue 12, item 6).

The form is written here with openpyxl: title on row 1, a second title line
（服务年度：2024年） on row 2, the unit/date line on row 3, two heading rows with merges, data
from row 6 in centred cells, a footer (填表人/审核人/报送日期) after one blank row. Real
templates from ``../shared/realforms`` (when present) are rendered and compared the same way.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Alignment, Border, Font, Side

from onesheet.domain.access import CLI_ADMIN, Actor
from onesheet.domain.dictionary import load_builtin
from onesheet.export import RenderContext, RenderRow, write_xlsx
from onesheet.ingest.importer import analyse_form
from onesheet.ingest.layout import period_template, place_template
from onesheet.services import forms, gate
from onesheet.services.reports import run_report
from tests.integration.helpers import seed_small
from tests.reports.support import children, org_names

REVIEWER = Actor("shen", "reviewer", "330523")
REPORT_DATE = date(2026, 11, 30)
REALFORMS = Path(__file__).resolve().parents[3] / "shared" / "realforms"
HEADINGS = ["序号", "姓名", "性别", "身份证号码", "出生日期", "联系电话", "现住址", "备注"]
WIDTHS = [6, 10, 6, 22, 12, 14, 24, 8]


def make_form(path: Path) -> None:
    """The two-line-title form of the issue, as a department would send it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "签约服务"
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    n = len(HEADINGS)
    ws["A1"] = "柳林村家庭医生签约服务登记表"
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=n)
    ws["A1"].font = Font(name="方正小标宋简体", size=20, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 36
    ws["A2"] = "（服务年度：2024年）"
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=n)
    ws["A2"].font = Font(name="楷体", size=14)
    ws["A2"].alignment = Alignment(horizontal="center", vertical="center")
    ws["A3"] = "填报单位（盖章）：柳林村村民委员会"
    ws.merge_cells("A3:E3")
    ws["F3"] = "填报日期：2024年12月31日"
    ws.merge_cells("F3:H3")
    ws["A4"], ws["B4"], ws["E4"], ws["F4"], ws["H4"] = (
        "序号",
        "基本信息",
        "出生日期",
        "联系方式",
        "备注",
    )
    for rng in ("B4:D4", "F4:G4", "A4:A5", "E4:E5", "H4:H5"):
        ws.merge_cells(rng)
    ws["B5"], ws["C5"], ws["D5"], ws["F5"], ws["G5"] = (
        "姓名",
        "性别",
        "身份证号码",
        "联系电话",
        "现住址",
    )
    for r in (4, 5):
        for c in range(1, n + 1):
            cell = ws.cell(r, c)
            cell.border = box
            cell.font = Font(name="黑体", size=11, bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sample = [
        [1, "张三", "男", "330523195001011234", "1950-01-01", "13800000001", "柳林村1组", None],
        [2, "李四", "女", "330523195203041246", "1952-03-04", "13800000002", "柳林村2组", None],
    ]
    for k, values in enumerate(sample):
        for c, v in enumerate(values):
            cell = ws.cell(6 + k, c + 1, v)
            cell.border = box
            cell.font = Font(name="仿宋", size=12)
            cell.alignment = Alignment(horizontal="center", vertical="center")
            if c == 3:
                cell.number_format = "@"
    ws.row_dimensions[6].height = 22
    ws.row_dimensions[7].height = 22
    ws["A9"], ws["D9"], ws["F9"] = "填表人：", "审核人：", "报送日期："
    for rng in ("A9:C9", "D9:E9", "F9:H9"):
        ws.merge_cells(rng)
    for letter, width in zip("ABCDEFGH", WIDTHS, strict=True):
        ws.column_dimensions[letter].width = width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    wb.save(path)


def _merges(ws, below: int | None = None) -> set[str]:  # type: ignore[no-untyped-def]
    """Merged ranges starting above sheet row ``below`` (1-based), as A1 strings."""
    return {str(m) for m in ws.merged_cells.ranges if below is None or m.min_row < below}


def _kind(value: object) -> str:
    """What a cell holds, for "the same rows hold the same kinds of content"."""
    if value is None:
        return "empty"
    text = str(value)
    for word, kind in (("服务年度", "subtitle"), ("登记表", "title"), ("填报单位", "unit")):
        if word in text:
            return kind
    if text.startswith(("填表人", "审核人", "报送日期")):
        return "footer"
    if text in HEADINGS or text in ("基本信息", "联系方式"):
        return "heading"
    return "data"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_two_line_title_form_is_reproduced_row_for_row(store, tmp_path: Path) -> None:
    seed_small(store, people=300)
    names = org_names(store)
    village = children(store, children(store, "330523")[0])[1]
    village_name = names[village]
    assert village_name != "柳林村"
    source = tmp_path / "柳林村家庭医生签约服务登记表.xlsx"
    make_form(source)
    imported = forms.import_form(store, CLI_ADMIN, source, department="卫健局", matter="XZ010")
    t = imported.template
    forms.submit(store, CLI_ADMIN, t.id)
    gate.approve(
        store, REVIEWER, t.id, reason="基本公共卫生服务，协助事项", today=date(2026, 11, 1)
    )
    out = tmp_path / "report.xlsx"
    result = run_report(store, CLI_ADMIN, t.id, village, REPORT_DATE, "xlsx", out)
    assert result.rows > 0

    src = openpyxl.load_workbook(source).worksheets[0]
    got = openpyxl.load_workbook(out).worksheets[0]
    # the title names the report's village; the second line stays a line and says its year
    assert got["A1"].value == f"{village_name}家庭医生签约服务登记表"
    assert got["A2"].value == "（服务年度：2026年）"
    assert got["A3"].value == f"填报单位（盖章）：{village_name}"
    assert got["F3"].value == "填报日期：2026年11月30日"
    # the same rows hold the same kinds of content, cell by cell, down to the first data row
    for r in range(1, 6):
        for c in range(1, len(HEADINGS) + 1):
            assert _kind(got.cell(r, c).value) == _kind(src.cell(r, c).value), (r, c)
    for c in range(1, len(HEADINGS) + 1):  # data from row 6 (a value the sheet lacks is empty)
        assert _kind(got.cell(6, c).value) in ("data", "empty"), c
    for r in (4, 5):  # the heading block verbatim
        for c in range(1, len(HEADINGS) + 1):
            assert got.cell(r, c).value == src.cell(r, c).value, (r, c)
            want, have = src.cell(r, c), got.cell(r, c)
            assert (have.font.name, have.font.b) == (want.font.name, want.font.b), (r, c)
            assert have.border.left.style == want.border.left.style, (r, c)
            assert have.alignment.horizontal == want.alignment.horizontal, (r, c)
    assert got["B5"].font.name == "黑体" and got["B5"].font.b
    assert got["A6"].value == 1 and got["A7"].value in (2, None)
    # merges above the data, widths, fonts, heights and alignment as the original's
    assert _merges(got, below=6) == _merges(src, below=6)
    for letter, width in zip("ABCDEFGH", WIDTHS, strict=True):
        assert got.column_dimensions[letter].width == pytest.approx(width, abs=0.01)
    for ref in ("A1", "A2"):
        assert got[ref].font.name == src[ref].font.name
        assert got[ref].font.sz == src[ref].font.sz and got[ref].font.b == src[ref].font.b
        assert got[ref].alignment.horizontal == "center"
    assert got.row_dimensions[1].height == pytest.approx(36, abs=0.5)
    last = 5 + result.rows  # the last data row (1-based)
    for r in range(6, last + 1):
        for c in range(1, len(HEADINGS) + 1):
            cell = got.cell(r, c)
            assert cell.alignment.horizontal == "center", cell.coordinate  # kept centred
            assert cell.alignment.vertical == "center", cell.coordinate
            assert cell.font.name == "仿宋" and cell.font.sz == 12, cell.coordinate
            assert cell.border.left.style == "thin", cell.coordinate
        assert got.row_dimensions[r].height == pytest.approx(22, abs=0.5)
    assert got.cell(6, 4).number_format == "@"
    # the footer after one blank row, as in the original (data rows 6-7, footer row 9)
    assert all(got.cell(last + 1, c).value is None for c in range(1, 9))
    foot = last + 2
    assert [got.cell(foot, c).value for c in (1, 4, 6)] == ["填表人：", "审核人：", "报送日期："]
    assert {f"A{foot}:C{foot}", f"D{foot}:E{foot}", f"F{foot}:H{foot}"} <= _merges(got)
    # print set-up
    assert got.page_setup.orientation == "landscape" and int(got.page_setup.paperSize) == 9
    assert got.sheet_properties.pageSetUpPr.fitToPage
    assert got.print_options.horizontalCentered
    assert got.page_margins.left == pytest.approx(0.5)


def test_period_and_place_words_become_placeholders() -> None:
    assert period_template("（服务年度：2024年）") == "（服务年度：{year}年）"
    assert period_template("2025年第四季度残疾人情况") == "{year}年第{quarter_cn}季度残疾人情况"
    assert period_template("截至2024年12月31日") == "截至{year}年{month}月{day}日"
    assert period_template("2024年11月低保金发放表") == "{year}年{month}月低保金发放表"
    assert period_template("第4季度") == "第{quarter}季度"
    assert period_template("表{1}") == "表{{1}}"
    assert place_template("柳林村特困人员名册") == "{org_name}特困人员名册"
    assert place_template("某某县城关镇柳林村特困人员名册") == "某某县{org_name}特困人员名册"
    assert place_template("阳光社区居民花名册") == "{org_name}居民花名册"
    assert place_template("{year}年柳林村低保名册") == "{year}年{org_name}低保名册"
    for kept in ("农村低保对象名册", "城乡居民医保", "乡村振兴项目表", "户籍所在村"):
        assert place_template(kept) == kept


def _realforms() -> list[Path]:
    if not REALFORMS.is_dir():
        return []
    return sorted(p for p in REALFORMS.iterdir() if p.suffix == ".xlsx")[:8]


@pytest.mark.skipif(not _realforms(), reason="../shared/realforms not present")
@pytest.mark.parametrize("path", _realforms(), ids=lambda p: p.name)
def test_real_templates_keep_their_rows(path: Path, tmp_path: Path) -> None:
    analysis = analyse_form(path, department="民政局", dictionary=load_builtin())
    spec = analysis.spec
    layout = spec.layout
    n = len(spec.columns)
    out = tmp_path / "out.xlsx"
    rows = [RenderRow([None] * n), RenderRow([None] * n)]
    write_xlsx(spec, rows, out, RenderContext("阳光社区", REPORT_DATE))
    src = openpyxl.load_workbook(path).worksheets[0]
    got = openpyxl.load_workbook(out).worksheets[0]
    fc = analysis.structure.first_col + 1
    assert layout.heading_row is not None and layout.data_row is not None
    # every row above the data: the same text in the same row and column, titles filled
    for r in range(1, layout.data_row + 1):
        for c in range(n):
            want = src.cell(r, fc + c).value
            have = got.cell(r, 1 + c).value
            if isinstance(want, str) and want.strip():
                assert have is not None, (path.name, r, c)
                if r - 1 >= layout.heading_row:
                    assert have == want.strip(), (path.name, r, c)
    # heading merges and the original's column widths
    top = layout.data_row + 1
    src_merges = {
        (m.min_row, m.min_col - fc, m.max_row, min(m.max_col - fc, n - 1))
        for m in src.merged_cells.ranges
        if m.min_row < top and m.min_col >= fc and m.min_row > layout.heading_row
    }
    got_merges = {
        (m.min_row, m.min_col - 1, m.max_row, m.max_col - 1)
        for m in got.merged_cells.ranges
        if m.min_row < top and m.min_row > layout.heading_row
    }
    assert src_merges - {m for m in src_merges if m[1] == m[3] and m[0] == m[2]} <= got_merges
    widths = _widths(got)
    for c, col in enumerate(spec.columns):
        if col.width:
            assert widths.get(c + 1) == pytest.approx(col.width, abs=0.15), (path.name, c)


def _widths(ws) -> dict[int, float]:  # type: ignore[no-untyped-def]
    """1-based column → width; a ``<col>`` range of equal widths counts for each column."""
    out: dict[int, float] = {}
    for dim in ws.column_dimensions.values():
        if dim.width and dim.min:
            for c in range(dim.min, (dim.max or dim.min) + 1):
                out[c] = dim.width
    return out
