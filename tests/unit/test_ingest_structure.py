"""Structure from evidence: stamps, part-width titles, stray far-right cells, unit lines
without colons, instruction and code-list sheets, and the files that must be refused or
flagged (zip bombs, macros, external links)."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from onesheet.domain.dictionary import load_builtin
from onesheet.domain.findings import InvalidInput
from onesheet.ingest.importer import analyse_form

D = load_builtin()
HEAD = ["序号", "姓名", "性别", "身份证号码", "联系电话", "现住址", "备注"]
ROWS = [
    [1, "张三", "男", "330523199001011237", "13812345678", "柳林村1组"],
    [2, "李四", "女", "330523198502022345", "13912345678", "柳林村2组"],
]


def _book(sheets: dict[str, list[tuple[int, int, object]]], merges=None) -> bytes:
    """Sheets of (row, col, value) cells; merges: {sheet: [(r0, c0, r1, c1, text)]}."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    for name, cells in sheets.items():
        ws = book.add_worksheet(name)
        for r0, c0, r1, c1, text in (merges or {}).get(name, []):
            ws.merge_range(r0, c0, r1, c1, text)
        for r, c, v in cells:
            ws.write(r, c, v)
    book.close()
    return buf.getvalue()


def _table(top: int, left: int = 0) -> list[tuple[int, int, object]]:
    cells = [(top, left + c, h) for c, h in enumerate(HEAD)]
    for i, row in enumerate(ROWS):
        cells += [(top + 1 + i, left + c, v) for c, v in enumerate(row)]
    return cells


def _analyse(data: bytes, **kw):
    return analyse_form(data, filename="表.xlsx", department="civil_affairs", dictionary=D, **kw)


def _fields(a) -> dict[str, str | None]:
    return {m.heading: m.field for m in a.columns}


def test_version_stamp_in_a1_above_the_title():
    data = _book(
        {"Sheet1": [(0, 0, "表号：MZ-2024-03"), (0, 6, "2024版"), *_table(3)]},
        {"Sheet1": [(1, 0, 1, 6, "柳林村低保对象花名册"), (2, 0, 2, 6, "填报单位：柳林村")]},
    )
    a = _analyse(data)
    assert a.header_rows == [4]
    assert a.spec.title == "柳林村低保对象花名册"
    assert _fields(a)["身份证号码"] == "person.id_number"


def test_a_title_merged_over_part_of_the_width_next_to_a_preamble():
    data = _book(
        {"Sheet1": [(0, 0, "附件3"), *_table(2)]},
        {"Sheet1": [(0, 2, 0, 4, "留守儿童信息登记表")]},
    )
    a = _analyse(data)
    assert a.header_rows == [3]
    assert a.spec.title == "留守儿童信息登记表"


def test_a_marker_in_the_256th_column_is_ignored_with_a_note():
    data = _book({"Sheet1": [(0, 0, "老年人花名册"), *_table(1), (1, 255, "√")]})
    a = _analyse(data)  # the default limit is 200 columns
    assert a.header_rows == [2]
    assert [m.heading for m in a.columns] == HEAD
    notes = {n.code: n for n in a.notes}
    assert "IV2" in notes["sheet.stray_cells"].message("en")


def test_a_unit_line_without_colons_is_not_the_heading():
    data = _book(
        {
            "Sheet1": [
                (1, 0, "填报单位"),
                (1, 1, "柳林村"),
                (1, 4, "填报时间"),
                (1, 5, "2024.10"),
                *_table(2),
            ]
        },
        {"Sheet1": [(0, 0, 0, 6, "特困人员名册")]},
    )
    a = _analyse(data)
    assert a.header_rows == [3]
    assert a.structure.unit_rows == [1]


def test_instructions_above_the_headings_are_a_note_not_the_title():
    note = "填表说明：1.身份证号码填写18位；2.联系电话填写手机号码；3.现住址写到门牌号。"
    data = _book(
        {"Sheet1": _table(2)},
        {"Sheet1": [(0, 0, 0, 6, "独居老人登记表"), (1, 0, 1, 6, note)]},
    )
    a = _analyse(data)
    assert a.header_rows == [3]
    assert a.spec.title == "独居老人登记表"


def test_a_row_of_field_codes_above_the_chinese_heading_is_skipped():
    codes = [(0, c, t) for c, t in enumerate(["NO", "NAME", "SEX", "CARD_ID", "PHONE", "ADDR"])]
    a = _analyse(_book({"Sheet1": [*codes, *_table(1)]}))
    assert a.header_rows == [2]


def test_instruction_and_code_list_sheets_are_passed_over_and_named():
    data = _book(
        {
            "填表": [(0, 0, "残疾人名册"), *_table(1)],
            "填写说明": [
                (0, 0, "一、本表由村委会填写，身份证号码必须为18位，联系电话填写手机号。")
            ],
            "代码表": [(0, 0, "性别："), (0, 2, "民族："), (1, 0, "男"), (1, 2, "汉族")],
        }
    )
    a = _analyse(data)
    assert a.sheet == "填表"
    picked = next(n for n in a.notes if n.code == "sheet.picked")
    assert "填写说明" in picked.message_zh and "代码表" in picked.message_zh
    assert _analyse(data, sheet="代码表").sheet == "代码表"  # --sheet still overrides


def test_two_form_sheets_still_ask_which_one():
    data = _book({"甲": [(0, 0, "名册"), *_table(1)], "乙": [(0, 0, "名册"), *_table(1)]})
    with pytest.raises(InvalidInput) as err:
        _analyse(data)
    assert err.value.findings[0].code == "sheet.ambiguous"


def _with_members(data: bytes, extra: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w") as out:
        for item in src.infolist():
            out.writestr(item, src.read(item.filename))
        for name, payload in extra.items():
            out.writestr(name, payload, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def test_macros_and_external_links_are_flagged_never_run():
    base = _book({"Sheet1": [(0, 0, "花名册"), *_table(1)]})
    data = _with_members(
        base,
        {"xl/vbaProject.bin": b"\x00" * 64, "xl/externalLinks/externalLink1.xml": b"<x/>"},
    )
    a = _analyse(data)
    codes = {n.code for n in a.notes}
    assert {"file.macros", "file.external_links"} <= codes
    assert a.header_rows == [2]


def test_real_xls_with_macros_is_flagged(realforms: Path):
    a = analyse_form(
        realforms / "d12_供应商客服报增数据提取模板.xls", department="人社", dictionary=D
    )
    assert "file.macros" in {n.code for n in a.notes}


def test_a_zip_bomb_is_refused_from_its_member_sizes_before_parsing():
    base = _book({"Sheet1": [(0, 0, "花名册"), *_table(1)]})
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(buf, "w") as out:
        for item in src.infolist():
            payload = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                info = zipfile.ZipInfo(item.filename, date_time=(2024, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                with out.open(info, "w") as part:
                    part.write(payload)
                    chunk = b" " * (1 << 20)
                    for _ in range(64):  # 64 MB of spaces, a few tens of KB packed
                        part.write(chunk)
            else:
                out.writestr(item, payload)
    data = buf.getvalue()
    assert len(data) < 2 * 1024 * 1024
    started = time.perf_counter()
    with pytest.raises(InvalidInput) as err:
        _analyse(data)
    assert time.perf_counter() - started < 2
    finding = err.value.findings[0]
    assert finding.code == "file.zip_bomb" and finding.file == "表.xlsx"
    assert "sheet1.xml" in finding.message_en


@pytest.fixture
def realforms() -> Path:
    path = Path(__file__).resolve().parents[3] / "shared" / "realforms"
    if not path.is_dir():
        pytest.skip("../shared/realforms is not here")
    return path
