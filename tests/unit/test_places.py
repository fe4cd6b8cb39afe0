"""Places and facilities (issue 11 item 8), without a database: a form that lists places is
read as a place roster with its kind, while student, enterprise and house rosters stay
theirs; kinds are data; places link by name within their village and an uncertain match
queues instead of creating."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from onesheet.domain.codes import CodeEntry, CodeTable
from onesheet.domain.dictionary import Dictionary, load_builtin
from onesheet.ingest.importer import analyse_form
from onesheet.linkage.place import PlaceRecord, link_places, place_name_key
from tests.forms.forms_places import FORMS, HAZARDS, SCHOOLS, SHELTERS, PlaceForm, form_xlsx

D = load_builtin()
REALFORMS = Path(__file__).resolve().parents[3] / "shared" / "realforms"

# Columns every reader of these forms would put on the place's own fields.
EXPECTED = {
    SCHOOLS.name: {
        "学校名称": "place.name",
        "学校地址": "place.address",
        "校长姓名": "place.manager_name",
        "校长联系电话": "place.manager_phone",
        "最近检查日期": "place.inspected_date",
    },
    SHELTERS.name: {
        "避难场所名称": "place.name",
        "地址": "place.address",
        "场所面积（㎡）": "place.area",
        "可容纳人数": "place.capacity",
        "管理单位": "place.managing_unit",
        "负责人": "place.manager_name",
        "联系电话": "place.manager_phone",
    },
    HAZARDS.name: {
        "危险源名称": "place.name",
        "所属单位": "place.managing_unit",
        "危险源地址": "place.address",
        "负责人": "place.manager_name",
        "负责人电话": "place.manager_phone",
        "最近检查日期": "place.inspected_date",
    },
}
# The departments' own columns: new (county) fields of the place, not of a person.
OWN = {
    SCHOOLS.name: {"在校学生人数", "专职保安人数"},
    SHELTERS.name: {"避难场所级别"},
    HAZARDS.name: {"危险源等级"},
}


def _analyse(data: bytes, name: str, dictionary: Dictionary = D):  # type: ignore[no-untyped-def]
    return analyse_form(
        data, filename=f"{name}.xlsx", department="emergency", dictionary=dictionary
    )


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_a_place_form_is_read_as_a_place_roster_of_its_kind(form: PlaceForm) -> None:
    a = _analyse(form_xlsx(form), form.name)
    assert a.entity == "place"
    flt = a.to_json()["filter"]
    assert flt == {"field": "place.kind", "op": "eq", "value": form.kind}
    got = {m.heading: m for m in a.columns}
    for heading, key in EXPECTED[form.name].items():
        assert (got[heading].status, got[heading].field) == ("matched", key), heading
    for heading in OWN[form.name]:
        m = got[heading]
        assert m.status == "new" and m.draft is not None, heading
        assert m.draft.entity == "place", heading
    assert not any(m.field and not m.field.startswith("place.") for m in a.columns)
    assert a.evidence["entity"]["evidence"]  # type: ignore[index]


def _roster(title: str, headings: list[str], rows: list[list[str]]) -> bytes:
    form = PlaceForm("x", "education", title, tuple(headings), tuple(map(tuple, rows)), "")
    return form_xlsx(form)


def test_a_student_roster_with_a_school_column_stays_a_person_roster() -> None:
    data = _roster(
        "在校学生资助情况花名册",
        ["姓名", "身份证号码", "学校名称", "年级", "联系电话"],
        [["王小明", "330523201201010013", "城关小学", "五年级", "13905720000"]],
    )
    a = _analyse(data, "students")
    assert a.entity == "person"
    got = {m.heading: m.field for m in a.columns}
    assert got["学校名称"] == "person.school"


def test_a_student_list_without_id_numbers_stays_a_person_roster() -> None:
    data = _roster(
        "学生营养餐领取名单",
        ["学生姓名", "性别", "学校名称", "年级"],
        [["王小明", "男", "城关小学", "五年级"], ["李小红", "女", "城关小学", "三年级"]],
    )
    assert _analyse(data, "meals").entity == "person"


def test_an_enterprise_register_with_premises_stays_an_enterprise_register() -> None:
    data = _roster(
        "经营场所安全检查企业名录",
        ["企业名称", "统一社会信用代码", "经营场所", "法定代表人", "联系电话"],
        [["安吉示例有限公司", "91330523MA2B3C4D5E", "递铺街道1号", "王某", "13905720000"]],
    )
    assert _analyse(data, "firms").entity == "enterprise"


def test_a_place_form_without_a_kind_word_lists_every_place() -> None:
    data = _roster(
        "辖区重点场所登记表",
        ["场所名称", "场所地址", "负责人", "联系电话"],
        [["某某礼堂", "某某村1号", "王某", "13905720000"]],
    )
    a = _analyse(data, "places")
    assert a.entity == "place"
    assert a.to_json()["filter"] is None
    assert any("未指明场所类型" in e for e in a.evidence["filter"]["evidence"])  # type: ignore[index]


def test_kinds_are_data_a_new_row_in_the_code_table_is_a_new_kind() -> None:
    table = D.code_tables["place_kind"]
    entries = [*table.entries, CodeEntry("06", "养老机构", aliases=("敬老院", "养老院"))]
    extended = dataclasses.replace(
        D, code_tables={**D.code_tables, "place_kind": CodeTable("place_kind", "场所类型", entries)}
    )
    data = _roster(
        "养老服务设施安全检查表",
        ["敬老院名称", "地址", "负责人", "联系电话"],
        [["某某敬老院", "某某村1号", "王某", "13905720000"]],
    )
    a = _analyse(data, "elderly_homes", extended)
    assert a.entity == "place"
    assert a.to_json()["filter"] == {"field": "place.kind", "op": "eq", "value": "06"}
    assert _analyse(data, "elderly_homes").entity != "place"  # the packaged table lacks it


# ----------------------------------------------------------------------------- linkage
V1, V2 = "330523101201", "330523101202"
SHEET = [
    PlaceRecord(101, V1, "城关小学", "递铺街道城关村学府路1号", "01"),
    PlaceRecord(102, V1, "城关村文化礼堂", "递铺街道城关村礼堂路1号", "02"),
    PlaceRecord(103, V2 + "001", "城关小学", "递铺街道南门村1号", "01"),  # a grid of V2
    PlaceRecord(104, V1, "天成化工储罐区", None, "03"),
    PlaceRecord(105, V1, "天成化工储罐区", "工业园区西路9号", "03"),
]


def _one(row: PlaceRecord) -> tuple[str, int | None, list[int], str]:
    o = link_places([row], SHEET)[row.uid]
    return o.method, o.entity_id, [c for c, _ in o.candidates], o.reason


def test_the_same_name_in_the_same_village_links() -> None:
    assert _one(PlaceRecord(0, V1, " 城关 小学 ", None, None))[:2] == ("key", 101)
    assert _one(PlaceRecord(0, V2, "城关小学", None, "01"))[:2] == ("key", 103)  # via its grid


def test_a_typo_queues_with_the_place_as_candidate_and_never_creates() -> None:
    method, eid, candidates, reason = _one(PlaceRecord(0, V1, "城关小孝", None, "01"))
    assert (method, eid, reason) == ("review", None, "weak")
    assert candidates[0] == 101
    assert _one(PlaceRecord(0, V1, "城关中心小学", None, "01"))[0] == "review"  # one inside


def test_a_new_name_in_the_village_is_a_new_place() -> None:
    assert _one(PlaceRecord(0, V1, "南门幼儿园", None, "01"))[0] == "new"
    assert _one(PlaceRecord(0, V2, "城关村文化礼堂", None, "02"))[0] == "new"  # other village


def test_disagreeing_kind_or_address_and_twice_held_names_queue() -> None:
    assert _one(PlaceRecord(0, V1, "城关小学", None, "02"))[::3] == ("review", "key_name")
    far = PlaceRecord(0, V1, "城关村文化礼堂", "梅溪镇荆湾村荆湾路88号", "02")
    assert _one(far)[0] == "review"
    method, eid, _, _ = _one(PlaceRecord(0, V1, "天成化工储罐区", "工业园区西路9号", "03"))
    assert (method, eid) == ("key", 105)  # the address tells the two apart
    assert _one(PlaceRecord(0, V1, "天成化工储罐区", None, "03"))[::3] == ("review", "ambiguous")


def test_one_place_twice_in_a_file_is_one_outcome() -> None:
    rows = [PlaceRecord(0, V1, "南门幼儿园"), PlaceRecord(1, V1, "南门 幼儿园")]
    out = link_places(rows, SHEET)
    assert out[0].method == out[1].method == "new"
    assert place_name_key("（南门）幼儿园") == "南门幼儿园"


# -------------------------------------------------------------------------- real forms
REAL = {
    "d04_school.xlsx": ("01", {"A": "place.name", "B": "place.address"}),
    "d16_避难场所导出模版.xlsx": (
        "02", {"B": "place.name", "C": "place.address", "E": "place.capacity"}
    ),
    "d17_重大危险源导出模版.xlsx": ("03", {"B": "place.name", "F": "place.address"}),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_place_templates_are_read_as_place_rosters(name: str) -> None:
    path = REALFORMS / name
    if not path.is_file():
        pytest.skip("../shared/realforms is not here")
    kind, columns = REAL[name]
    a = analyse_form(path, department="emergency", dictionary=D)
    assert a.entity == "place"
    assert a.to_json()["filter"] == {"field": "place.kind", "op": "eq", "value": kind}
    got = {m.letter: m for m in a.columns}
    for letter, key in columns.items():
        assert (got[letter].status, got[letter].field) == ("matched", key), letter
