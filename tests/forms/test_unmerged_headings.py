"""Multi-row headings typed without merges, and ODS files whose merges calamine drops.

The held-out set showed one class of layout read with too few heading rows: a heading two
or three rows deep whose group labels carry no merge — because the person typed them once
(or into every cell) without merging, or because the file is ``.ods``, for which
python-calamine 0.9.1 returns no merged ranges at all. These synthetic forms cover that
class in its variants (``.xlsx`` / ``.xls`` / ``.ods``; two and three rows; the
ungrouped headings typed on the top or the bottom row or repeated down; no title, a title,
a two-line title; text-only data rows that look like headings) and assert the rows and
heading paths a person reads. None of them copies a held-out form. Two matching habits
seen on the development and real forms close the file: a role group typed once keeps all
its attributes, and a validity worded by its end (有效截止日期) is the 有效期.

CSV is not here: the importer reads only xlsx / xls / ods and refuses anything else.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from onesheet.domain.dictionary import load_builtin
from onesheet.ingest import containers
from onesheet.ingest.importer import analyse_form
from onesheet.ingest.workbook import read_sheet
from tests.forms.fake import id_check
from tests.forms.grid import Grid, Node, depth, heading, leaves, write_ods, write_xls, write_xlsx

D = load_builtin()
WRITERS = {"xlsx": write_xlsx, "xls": write_xls, "ods": write_ods}


TREES: dict[str, list[Node]] = {
    # two rows: a group in the middle, its children under it
    "address": ["序号", "姓名", "性别", "身份证号码", ("家庭住址", ["乡镇", "村", "组"]), "备注"],
    # two rows: the top row only groups (every column grouped)
    "all_grouped": [
        ("基本信息", ["姓名", "性别", "出生日期"]),
        ("联系方式", ["手机号码", "现住址"]),
    ],
    # three rows: sub-groups under a group, an ungrouped column after them
    "parents": [
        "序号",
        "姓名",
        ("家庭情况", [("父亲", ["姓名", "联系电话"]), ("母亲", ["姓名", "联系电话"])]),
        "现住址",
    ],
    # three rows: every column grouped, a sub-group and a plain column in each group
    "income": [
        ("基本情况", [("本人", ["姓名", "身份证号码"]), "性别"]),
        ("收入情况", [("工资性", ["月收入", "年收入"]), "其他收入"]),
    ],
}

TITLES: dict[str, list[str]] = {
    "no_title": [],
    "title": ["柳林村困难群众花名册"],
    "two_line_title": ["柳林村困难群众花名册", "（统计时点：2024年12月）"],
}


def _value(heading: str, i: int) -> object:
    """A plausible cell for a leaf heading; every data row is typed like data."""
    if heading == "序号":
        return i + 1
    if "身份证" in heading:  # valid and distinct: the values agree with the heading
        body = f"33052319{50 + i}0101{123 + 2 * i:03d}"
        return body + id_check(body)
    if heading == "性别":
        return "男女"[i % 2]
    if "电话" in heading or "手机" in heading:
        return f"1381234{i:04d}"
    if "日期" in heading:
        return dt.date(1950 + i, 3, 1)
    if "收入" in heading:
        return 1200 * (i + 1)
    if heading == "姓名":
        return ["张伟", "李芳芳", "王建国", "刘敏"][i % 4]
    if heading == "乡镇":
        return "天荒坪镇"
    if heading == "村":
        return "余村"
    if heading == "组":
        return f"{i + 1}组"
    if "住址" in heading:
        return f"余村{i + 1}组{i + 3}号"
    return None


def _form(tree: list[Node], typed: str, title: list[str], numbering: bool = False):
    """The sheet and the 1-based heading rows a person reads."""
    g = Grid()
    n = len(leaves(tree))
    r = 0
    for line in title:
        g.merge(r, 0, r, n - 1, line)
        r += 1
    h0, d = r, depth(tree)
    heading(g, tree, r, 0, r + d - 1, typed)
    r += d
    if numbering:
        for c in range(n):
            g.put(r, c, c + 1)
        r += 1
    for i in range(5):
        for c, h in enumerate(leaves(tree)):
            g.put(r, c, _value(h, i))
        r += 1
    g.put(r + 1, 0, "填表人：　　　　审核人：")
    return g, list(range(h0 + 1, h0 + d + 1))


def _analyse(path: Path):
    return analyse_form(path, department="civil_affairs", dictionary=D)


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
@pytest.mark.parametrize("typed", ["top", "bottom", "fill", "merged"])
@pytest.mark.parametrize("title", list(TITLES))
@pytest.mark.parametrize("tree", list(TREES))
def test_heading_rows_of_multi_row_headings(tmp_path: Path, tree, typed, title, fmt):
    g, want = _form(TREES[tree], typed, TITLES[title])
    path = tmp_path / f"form.{fmt}"
    WRITERS[fmt](path, {"Sheet1": g})
    a = _analyse(path)
    assert a.header_rows == want
    assert len(a.columns) == len(leaves(TREES[tree]))


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_a_numbering_row_under_a_three_row_heading_typed_on_the_bottom(tmp_path: Path, fmt):
    g, want = _form(TREES["parents"], "bottom", TITLES["title"], numbering=True)
    path = tmp_path / f"form.{fmt}"
    WRITERS[fmt](path, {"Sheet1": g})
    a = _analyse(path)
    assert a.header_rows == want == [2, 3, 4]


@pytest.mark.parametrize("typed", ["top", "bottom", "fill", "merged"])
@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_group_labels_typed_once_reach_their_children_only(tmp_path: Path, typed, fmt):
    """家庭情况 covers both parents' columns, each parent covers its own two, and 现住址
    typed after the last parent (on the bottom row) is the child's own, not the mother's:
    the mother's columns end where the repetition of the father's children ends."""
    g, _ = _form(TREES["parents"], typed, TITLES["title"])
    path = tmp_path / f"form.{fmt}"
    WRITERS[fmt](path, {"Sheet1": g})
    a = _analyse(path)
    paths = [m.heading for m in a.columns]
    assert paths[2:] == [
        "家庭情况/父亲/姓名",
        "家庭情况/父亲/联系电话",
        "家庭情况/母亲/姓名",
        "家庭情况/母亲/联系电话",
        "现住址",
    ]
    fields = {m.heading: m.field for m in a.columns}
    assert fields["姓名"] == "person.name"
    assert fields["现住址"] == "person.current_address"


@pytest.mark.parametrize("typed", ["top", "fill", "merged"])
@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_three_row_heading_paths_and_fields(tmp_path: Path, typed, fmt):
    g, _ = _form(TREES["income"], typed, TITLES["no_title"])
    path = tmp_path / f"form.{fmt}"
    WRITERS[fmt](path, {"Sheet1": g})
    a = _analyse(path)
    by_path = {m.heading: m for m in a.columns}
    assert set(by_path) == {
        "基本情况/本人/姓名",
        "基本情况/本人/身份证号码",
        "基本情况/性别",
        "收入情况/工资性/月收入",
        "收入情况/工资性/年收入",
        "收入情况/其他收入",
    }
    assert by_path["基本情况/本人/姓名"].field == "person.name"
    assert by_path["基本情况/本人/身份证号码"].field == "person.id_number"
    assert by_path["基本情况/性别"].field == "person.gender"


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_text_only_data_rows_are_not_swallowed_into_a_two_row_heading(tmp_path: Path, fmt):
    """A group label typed once over a full heading row, then rows of short text (names,
    村, 民族) that look like headings by type: the heading is the two rows, no more."""
    tree: list[Node] = ["姓名", "性别", ("住址", ["乡镇", "村", "组"]), "民族", "是否低保"]
    g = Grid()
    heading(g, tree, 0, 0, 1, "bottom")
    people = [("张伟", "男", "余村"), ("李芳芳", "女", "横山村"), ("王建国", "男", "银坑村")]
    for i, (name, sex, village) in enumerate(people):
        for c, v in enumerate([name, sex, "天荒坪镇", village, f"{i + 1}组", "汉族", "否"]):
            g.put(2 + i, c, v)
    path = tmp_path / f"form.{fmt}"
    WRITERS[fmt](path, {"Sheet1": g})
    a = _analyse(path)
    assert a.header_rows == [1, 2]
    assert [m.heading for m in a.columns][2:5] == ["住址/乡镇", "住址/村", "住址/组"]


def test_a_group_label_at_the_left_edge_under_the_title(tmp_path: Path):
    """人员信息 typed once in A2 under the title, over 姓名 身份证号码 …: a group label,
    where a subtitle (brackets, digits, a form's words) is part of the title."""
    tree: list[Node] = [("人员信息", ["姓名", "身份证号码"]), "性别", "联系电话", "备注"]
    g, want = _form(tree, "bottom", TITLES["title"])
    path = tmp_path / "form.xlsx"
    write_xlsx(path, {"Sheet1": g})
    a = _analyse(path)
    assert a.header_rows == want == [2, 3]
    assert a.spec.title == "柳林村困难群众花名册"
    g, want = _form(["姓名", "身份证号码", "性别"], "merged", TITLES["two_line_title"])
    write_xlsx(path, {"Sheet1": g})
    assert _analyse(path).header_rows == want == [3]


def test_ods_merges_are_read_from_the_file(tmp_path: Path):
    """calamine returns no merged ranges for ODS; they come from content.xml, with
    repeated rows and cells counted, so the grid has the same merges as the XLSX."""
    g, _ = _form(TREES["parents"], "merged", TITLES["two_line_title"])
    g.merge(40, 0, 40, 3, "填表人：张三")  # a merged footer far below the heading
    for fmt in ("ods", "xlsx"):
        WRITERS[fmt](tmp_path / f"f.{fmt}", {"Sheet1": g})
    ods = read_sheet(tmp_path / "f.ods")
    xlsx = read_sheet(tmp_path / "f.xlsx")
    assert sorted(ods.merges) == sorted(xlsx.merges) == sorted(g.merges)
    assert (2, 2, 2, 5) in ods.merges  # 家庭情况 over the four parent columns
    assert (40, 0, 40, 3) in ods.merges


def test_ods_merges_after_repeated_rows_and_cells():
    """Positions follow number-rows-repeated / number-columns-repeated, as LibreOffice
    writes runs of empty rows and cells; other sheets' merges are not taken."""
    import io
    import zipfile

    ns = (
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}>'
        "<office:body><office:spreadsheet>"
        '<table:table table:name="说明"><table:table-row>'
        '<table:table-cell table:number-columns-spanned="3"/><table:covered-table-cell '
        'table:number-columns-repeated="2"/></table:table-row></table:table>'
        '<table:table table:name="表"><table:table-row table:number-rows-repeated="4">'
        "<table:table-cell/></table:table-row><table:table-row>"
        '<table:table-cell table:number-columns-repeated="2"/>'
        '<table:table-cell table:number-columns-spanned="2" table:number-rows-spanned="3"/>'
        "<table:covered-table-cell/>"
        '<table:table-cell table:number-rows-spanned="2"/></table:table-row>'
        '<table:table-row table:number-rows-repeated="1048570"><table:table-cell/>'
        "</table:table-row></table:table></office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("content.xml", content)
    data = buf.getvalue()
    assert containers.ods_merged_ranges(data, "表") == [(4, 2, 6, 3), (4, 4, 5, 4)]
    assert containers.ods_merged_ranges(data, "说明") == [(0, 0, 0, 2)]
    assert containers.ods_merged_ranges(data, "无此表") == []
    assert containers.ods_merged_ranges(b"not a zip", "表") == []


@pytest.mark.parametrize("typed", ["top", "bottom", "fill", "merged"])
def test_a_role_group_typed_once_keeps_all_its_attributes(tmp_path: Path, typed):
    """父亲 / 母亲 typed once over 姓名 务工地点 联系电话: each attribute is the parent's,
    however the heading was typed, so the same drafts come from every typing; the
    allowance after the last parent stays the child's row's own column."""
    tree: list[Node] = [
        "序号",
        "姓名",
        "身份证号码",
        ("父亲", ["姓名", "务工地点", "联系电话"]),
        ("母亲", ["姓名", "务工地点", "联系电话"]),
        "补助标准",
    ]
    g, want = _form(tree, typed, TITLES["title"])
    path = tmp_path / "form.xlsx"
    write_xlsx(path, {"Sheet1": g})
    a = _analyse(path)
    assert a.header_rows == want
    assert [m.heading for m in a.columns][3:] == [
        "父亲/姓名",
        "父亲/务工地点",
        "父亲/联系电话",
        "母亲/姓名",
        "母亲/务工地点",
        "母亲/联系电话",
        "补助标准",
    ]
    keys = [m.field or (m.draft.key if m.draft else None) for m in a.columns]
    assert keys[1:3] == ["person.name", "person.id_number"]
    assert len(set(keys[3:9])) == 6 and None not in keys[3:9]  # six concepts, none merged


def test_a_validity_worded_by_its_end_is_one_concept_across_forms(tmp_path: Path):
    """证件有效截止日期 on one form, 证件有效期 / 证件有效期限 / 证件到期日期 on others: the
    date a certificate stops being valid, one draft for all (as a person reads them)."""
    drafts: list = []
    keys = []
    for i, wording in enumerate(["证件有效截止日期", "证件有效期", "证件有效期限", "证件到期日期"]):
        g, _ = _form(["序号", "姓名", "身份证号码", wording], "merged", TITLES["title"])
        for r in range(2, 7):
            g.put(r, 3, dt.date(2030 + r, 1, 1))
        path = tmp_path / f"form{i}.xlsx"
        write_xlsx(path, {"Sheet1": g})
        a = analyse_form(path, department="civil_affairs", dictionary=D, drafts=drafts)
        drafts.extend(a.drafts)
        m = a.columns[3]
        keys.append(m.field or (m.draft.key if m.draft else None))
    assert keys[0] is not None and keys[0].startswith("person.x_")
    assert keys == [keys[0]] * 4
