"""Generalisation of the importer beyond its development forms (issue 12, round 2).

Each test states a habit of forms in the wild — headings typed without merges, a house
list that starts with the household head, a questionnaire export, another province's
place words, the same concept worded two ways on two forms — and asserts what a person
reading the form would say. Each failed before this round's change it names.
"""

from __future__ import annotations

import io

import odf.opendocument
import pytest
import xlsxwriter
from odf.table import Table, TableCell, TableRow
from odf.text import P

from onesheet.domain.dictionary import load_builtin
from onesheet.ingest.importer import analyse_form
from onesheet.ingest.matcher import MatchInput, match_columns
from onesheet.ingest.normalise import normalise_heading
from onesheet.ingest.structure import HeadingColumn
from tests.forms.grid import rows_xlsx

D = load_builtin()
ID1, ID2 = "330523195001011237", "330523198502022345"


def _xlsx(rows: list[list[object]]) -> bytes:
    return rows_xlsx({"Sheet1": rows})


def _ods(rows: list[list[object]]) -> bytes:
    doc = odf.opendocument.OpenDocumentSpreadsheet()
    table = Table(name="Sheet1")
    width = max(len(r) for r in rows)
    for row in rows:
        tr = TableRow()
        for c in range(width):
            v = row[c] if c < len(row) else None
            if v is None:
                tr.addElement(TableCell())
                continue
            if isinstance(v, int | float):
                cell = TableCell(valuetype="float", value=v)
            else:
                cell = TableCell(valuetype="string")
            cell.addElement(P(text=str(v)))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    buf = io.BytesIO()
    doc.write(buf)
    return buf.getvalue()


def _analyse(data: bytes, filename: str = "表.xlsx", **kw):
    return analyse_form(data, filename=filename, department="civil_affairs", dictionary=D, **kw)


def _by_heading(a) -> dict[str, str | None]:
    return {m.heading: m.field for m in a.columns}


# ----------------------------------------------------------------------------- structure


def test_an_ods_two_row_heading_typed_without_merges_is_read_as_two_rows():
    """The group is typed once above its first column; nothing is merged."""
    rows = [
        ["高龄津贴发放花名册"],
        ["序号", "姓名", "身份证号码", "发放账户", None, "联系电话"],
        [None, None, None, "开户银行", "银行账号", None],
        [1, "张三", ID1, "农商银行", "6230000000000000001", "13812345678"],
        [2, "李四", ID2, "邮储银行", "6230000000000000002", "13912345678"],
    ]
    a = _analyse(_ods(rows), filename="表.ods")
    assert a.header_rows == [2, 3]
    got = _by_heading(a)
    assert got["发放账户/开户银行"] == "person.bank_name"
    assert got["发放账户/银行账号"] == "person.bank_account"


def test_a_group_repeated_in_every_cell_is_one_group_over_two_rows():
    """WPS "unmerge and fill": the group in each cell above, single headings repeated."""
    rows = [
        ["序号", "姓名", "身份证号", "参保情况", "参保情况", "联系电话"],
        ["序号", "姓名", "身份证号", "是否参保", "参保档次", "联系电话"],
        [1, "张三", ID1, "是", "一档", "13812345678"],
    ]
    a = _analyse(_xlsx(rows))
    assert a.header_rows == [1, 2]
    got = _by_heading(a)
    assert got["姓名"] == "person.name" and got["身份证号"] == "person.id_number"


def test_a_row_of_known_headings_under_single_labels_continues_the_heading():
    rows = [
        ["甲类", "乙类", "丙类", "丁类"],
        ["姓名", "身份证号码", "联系电话", "现住址"],
        ["张三", ID1, "13812345678", "柳林村1组"],
    ]
    assert _analyse(_xlsx(rows)).header_rows == [1, 2]


def test_a_role_group_typed_once_covers_only_that_persons_attributes():
    """Headings on the bottom row: 补贴标准 after 监护人/姓名/电话 is the row's own."""
    rows = [
        ["困难残疾人生活补贴对象名册"],
        [None, None, None, "监护人", None, None],
        ["序号", "姓名", "身份证号", "姓名", "电话", "补贴标准（元/月）"],
        [1, "张三", ID1, "李四", "13912345678", 80],
    ]
    a = _analyse(_xlsx(rows))
    paths = [m.path for m in a.columns]
    assert ["监护人", "姓名"] in paths and ["监护人", "电话"] in paths
    assert ["补贴标准（元/月）"] in paths


# ----------------------------------------------------------------------------- entity


def test_a_house_list_that_starts_with_the_household_head_is_a_house_list():
    rows = [
        ["农村房屋安全台账"],
        ["户主姓名", "户主身份证号", "家庭人口", "房屋结构", "层数", "建筑面积", "户主联系电话"],
        ["张三", ID1, 4, "砖混", 2, 120.5, "13812345678"],
        ["李四", ID2, 3, "砖木", 1, 80, "13912345678"],
    ]
    a = _analyse(_xlsx(rows))
    assert a.entity == "house"
    got = _by_heading(a)
    assert got["户主姓名"] == "house.owner_name"
    assert got["户主身份证号"] == "house.owner_id_number"
    assert got["户主联系电话"] == "house.owner_phone"
    assert got["房屋结构"] == "house.structure"


def test_a_household_list_with_the_head_and_no_house_attributes_stays_a_household_list():
    rows = [
        ["监测对象信息台账"],
        ["户编号", "户主姓名", "证件号码", "家庭人口数", "联系电话"],
        ["H001", "张三", ID1, 4, "13812345678"],
    ]
    a = _analyse(_xlsx(rows))
    assert a.entity == "household"
    assert _by_heading(a)["户主姓名"] == "household.head_name"


def test_a_dilapidated_house_list_proposes_its_filter():
    rows = [
        ["农村危房改造对象台账"],
        ["户主姓名", "房屋结构", "层数", "鉴定等级"],
        ["张三", "土木", 1, "D级"],
    ]
    a = _analyse(_xlsx(rows))
    flt = a.spec.filter.model_dump(by_alias=True)
    assert flt == {"field": "house.is_dilapidated", "op": "eq", "value": "1"}


# ----------------------------------------------------------------------------- words


@pytest.mark.parametrize(
    ("heading", "core"),
    [
        ("1、您的姓名：", "姓名"),
        ("5、您所在的村（社区）：", "村"),
        ("7、您目前的健康状况：", "健康状况"),
        ("请填写您的手机号码", "手机号码"),
        ("6、您是否签约了家庭医生？", "是否签约了家庭医生"),
        ("乡（镇）", "乡"),
        ("现居住地址", "现居住地址"),
    ],
)
def test_questionnaire_and_place_level_wording(heading, core):
    assert normalise_heading(heading)[0] == core


def _match(*headings: list[str] | str, drafts=()) -> list:
    cols = [HeadingColumn(0, ["姓名"]), HeadingColumn(1, ["身份证号"])]
    cols += [HeadingColumn(2 + i, [h] if isinstance(h, str) else h) for i, h in enumerate(headings)]
    letters = {c.col: chr(65 + c.col) for c in cols}
    _, out = match_columns(cols, {}, "", MatchInput(D, tuple(drafts), {}, "x", "f.xlsx"), letters)
    return out[2:]


@pytest.mark.parametrize(
    ("heading", "key"),
    [
        ("婚姻状态", "person.marital_status"),
        ("证件类别", "person.id_type"),
        ("是否为残疾", "person.is_disabled"),
        ("有无低保", "person.is_dibao"),
        ("乡（镇）", "person.town"),
        ("镇（街）", "person.town"),
        ("村（居）", "person.village"),
        ("自然村（村民小组）", "person.village_group"),
        ("您的姓名", None),  # a second name column: the first keeps person.name
    ],
)
def test_equivalent_wordings_find_the_same_field(heading, key):
    (m,) = _match(heading)
    if key is None:
        assert m.candidates[0][0] == "person.name"
    else:
        assert (m.status, m.field) == ("matched", key)


def test_a_generic_leaf_is_read_with_its_group():
    cat, grade, place = _match(["残疾人证", "类别"], ["残疾人证", "等级"], ["入伍", "地点"])
    assert cat.field == "person.disability_category"
    assert grade.field == "person.disability_grade"
    assert place.field is None and place.concept == "入伍地点"  # not the current address


def test_different_questions_sharing_only_shi_fou_stay_apart():
    (m,) = _match("是否参保")
    assert m.status == "new"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("失业登记日期", "失业登记时间"),
        ("监护人姓名", "监护人"),
        ("配偶", "配偶姓名"),
        ("房东姓名", "出租人姓名"),
        ("紧急联系人电话", "紧急联系电话"),
    ],
)
def test_one_new_concept_worded_two_ways_on_two_forms_is_one_draft(first, second):
    (m1,) = _match(first)
    assert m1.status == "new" and m1.draft is not None
    (m2,) = _match(second, drafts=[m1.draft])
    assert (m2.status, m2.field) == ("matched", m1.draft.key)


def test_a_row_of_units_under_the_headings_is_part_of_the_heading():
    rows = [
        ["姓名", "身份证号码", "家庭人口", "住房面积", "补助金额"],
        [None, None, "人", "㎡", "（元）"],
        ["张三", ID1, 4, 120.5, 3000],
    ]
    a = _analyse(_xlsx(rows))
    assert a.header_rows == [1, 2]
    headings = [m.heading for m in a.columns][2:]
    assert headings == ["家庭人口（人）", "住房面积（㎡）", "补助金额（元）"]
    assert a.samples["C"] == [4]  # the units are not a data row


def test_a_cover_sheet_before_the_form_is_passed_over_and_said_so():
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    cover = book.add_worksheet("封面")
    for r, line in enumerate(["某县2024年低保对象花名册", "某县民政局", "2024年6月"]):
        cover.write(r * 2, 0, line)
    form = book.add_worksheet("花名册")
    for r, row in enumerate([["姓名", "身份证号码", "联系电话"], ["张三", ID1, "13812345678"]]):
        form.write_row(r, 0, row)
    book.close()
    a = _analyse(buf.getvalue())
    assert a.sheet == "花名册"
    assert any(n.code == "sheet.picked" and "封面" in n.message("zh") for n in a.notes)


@pytest.mark.parametrize(
    ("heading", "key"),
    [
        ("组别", "person.village_group"),  # a wording, not the homophone of 族别
        ("户籍地址/身份证地址", "person.registered_address"),
        ("手机号码/座机", "person.phone"),
        ("参保类型（医保）", "person.medical_insurance_type"),
    ],
)
def test_a_heading_that_is_a_wording_alternatives_and_bracketed_qualifiers(heading, key):
    (m,) = _match(heading)
    assert (m.status, m.field) == ("matched", key)


def test_a_bare_name_or_attribute_on_a_list_of_units_is_the_units_own():
    rows = [
        ["企业名录"],
        ["名称", "统一社会信用代码", "法定代表人", "状态", "地址"],
        ["某某有限公司", "91330523MA2B3C4D5E", "李四", "存续", "余村1号"],
    ]
    got = _by_heading(_analyse(_xlsx(rows)))
    assert got["名称"] == "enterprise.name"
    assert got["状态"] == "enterprise.status"
    assert got["地址"] == "enterprise.address"


@pytest.mark.parametrize(
    ("first", "second"),
    [("所在党支部", "所属党支部"), ("安置方式", "安置形式"), ("监护人与儿童关系", "与残疾人关系")],
)
def test_more_ways_of_wording_one_new_concept(first, second):
    (m1,) = _match(first)
    (m2,) = _match(second, drafts=[m1.draft])
    assert m1.draft is not None and (m2.status, m2.field) == ("matched", m1.draft.key)


def test_names_under_a_heading_near_a_yes_no_field_make_a_new_field():
    rows = [
        ["姓名", "身份证号码", "签约医生"],
        ["张三", ID1, "王建国"],
        ["李四", ID2, "刘秀英"],
        ["王五", "330523196003031234", "王建国"],
    ]
    m = _analyse(_xlsx(rows)).columns[2]
    assert m.status == "new" and m.field is None  # not person.family_doctor_signed


def test_a_persons_attribute_in_brackets_after_a_role_is_that_persons():
    (m,) = _match("监护人（电话）")
    assert m.status == "new" and m.concept == "监护人电话"
    (m2,) = _match("监护人手机号码", drafts=[m.draft])
    assert (m2.status, m2.field) == ("matched", m.draft.key)
