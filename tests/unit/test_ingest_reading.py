"""Entity from the columns and matching that generalises (issue 12, items 2 and 5)."""

from __future__ import annotations

from onesheet.domain.dictionary import load_builtin
from onesheet.ingest.importer import analyse_form
from tests.forms.grid import rows_xlsx

D = load_builtin()


def _analyse(rows: list[list[object]], filename: str = "表.xlsx"):
    data = rows_xlsx({"Sheet1": rows})
    return analyse_form(data, filename=filename, department="civil_affairs", dictionary=D)


PERSON = ["张三", "330523195001011237", "13812345678"]


def test_name_and_id_number_make_a_person_roster_whatever_the_title_says():
    a = _analyse([["企业退休人员社会化管理花名册"], ["姓名", "身份证号码", "联系电话"], PERSON])
    assert a.entity == "person"
    assert [m.field for m in a.columns] == ["person.name", "person.id_number", "person.phone"]
    guess = a.evidence["entity"]
    assert guess["entity"] == "person" and any("姓名" in e for e in guess["evidence"])


def test_the_file_name_is_only_a_last_resort():
    a = _analyse([["姓名", "身份证号码", "联系电话"], PERSON], filename="企业员工导出.xlsx")
    assert a.entity == "person"
    assert a.evidence["title_source"] == "file_name"
    a = _analyse([["名称", "地址"], ["某某", "某地"]], filename="企业名录导出.xlsx")
    assert a.entity == "enterprise"
    assert any("文件名" in e for e in a.evidence["entity"]["evidence"])


def test_columns_name_households_enterprises_and_houses():
    household = _analyse([["户号", "户主姓名", "家庭人口数"], ["H001", "王大", 3]])
    assert household.entity == "household"
    enterprise = _analyse(
        [
            ["统一社会信用代码", "法定代表人", "联系电话"],
            ["91330523MA2B3C4D5E", "李四", "13800000000"],
        ]
    )
    assert enterprise.entity == "enterprise"
    house = _analyse([["房屋地址", "房屋结构", "层数", "建筑面积"], ["余村1号", "砖混", 2, 120]])
    assert house.entity == "house"


def _fields(headings: list[str], row: list[object]) -> dict[str, object]:
    a = _analyse([["人员登记表"], headings, row])
    return {m.heading: (m.field, m.status) for m in a.columns}


def test_spacing_and_full_width_variants_never_change_a_verdict():
    row = ["张三", "男", "330523195001011237", "13812345678"]
    plain = _fields(["姓名", "性别", "身份证号码", "联系电话"], row)
    spaced = _fields(["姓  名", "性　别", "身份证号码（１８位）", "联系电话(手机)"], row)
    assert list(plain.values()) == list(spaced.values())


def test_detailed_addresses_and_bracketed_account_names():
    cols = _fields(
        ["姓名", "现住地详址", "户籍门（楼）详址", "社保卡（一卡通）账号"],
        ["张三", "余村1组", "余村2组", "6217001234567890123"],
    )
    assert cols["现住地详址"] == ("person.current_address", "matched")
    assert cols["户籍门（楼）详址"] == ("person.registered_address", "matched")
    assert cols["社保卡（一卡通）账号"] == ("person.bank_account", "matched")


def test_qualifiers_and_other_persons_keep_fields_apart():
    cols = _fields(
        ["姓名", "重度残疾人", "监护人姓名", "与残疾人关系", "与户主关系"],
        ["张三", "是", "李四", "父亲", "户主"],
    )
    assert cols["重度残疾人"][0] != "person.is_disabled"
    assert cols["与残疾人关系"][0] != "person.relationship_to_head"
    assert cols["与户主关系"] == ("person.relationship_to_head", "matched")
    assert cols["监护人姓名"][0] != "person.name"


def test_values_under_a_category_heading_are_not_fields_of_their_own():
    a = _analyse([["学生认定表"], ["姓名", "认定等级", None, None], [None, "特困", "困难", "一般"]])
    fields = {m.heading: m.field for m in a.columns}
    assert fields["认定等级/特困"] != "person.is_tekun"


def test_the_subject_named_before_an_attribute_is_the_row_itself():
    cols = _fields(["儿童姓名", "职工身份证号"], ["张三", "330523195001011237"])
    assert cols["儿童姓名"] == ("person.name", "matched")
    assert cols["职工身份证号"] == ("person.id_number", "matched")
