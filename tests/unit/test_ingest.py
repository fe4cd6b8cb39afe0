"""The forms importer without a database: bad files, headings, values, and the 14 test forms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onesheet.domain.dictionary import load_builtin
from onesheet.domain.findings import InvalidInput
from onesheet.ingest.importer import analyse_form
from onesheet.ingest.normalise import fold_text, normalise_heading
from onesheet.ingest.population import propose_filter
from tests.forms.grid import rows_xlsx

FORMS = Path(__file__).resolve().parents[1] / "forms"
TRUTH = json.loads((FORMS / "truth.json").read_text(encoding="utf-8"))
D = load_builtin()


def _refused(data: bytes, code: str, **kw: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as err:
        analyse_form(data, filename="表.xlsx", department="civil_affairs", dictionary=D, **kw)
    finding = err.value.findings[0]
    assert finding.code == code, err.value.message("en")
    assert finding.file == "表.xlsx"
    assert err.value.message("zh") and err.value.message("en")
    return err.value


GOOD = [["低保花名册"], ["序号", "姓名", "身份证号码"], [1, "张三", "330523199001011234"]]


def test_bad_inputs_are_refused_with_clear_findings():
    _refused(b"PK\x03\x04 not really a zip", "file.not_spreadsheet")
    _refused("姓名,身份证\n".encode(), "file.not_spreadsheet")
    _refused((FORMS / "files" / "bad" / "encrypted.xlsx").read_bytes(), "file.password_protected")
    _refused(rows_xlsx({"Sheet1": []}), "sheet.empty")
    err = _refused(rows_xlsx({"甲": GOOD, "乙": GOOD}), "sheet.ambiguous")
    assert "甲" in err.message("zh") and "--sheet" in err.message("en")
    _refused(rows_xlsx({"Sheet1": GOOD}), "file.too_large", max_bytes=100)
    wide = rows_xlsx({"Sheet1": [[f"列{i}" for i in range(30)]]})
    _refused(wide, "sheet.too_many_columns", max_columns=20)
    _refused(rows_xlsx({"Sheet1": [[1, 2, 3], [4, 5, 6]]}), "sheet.no_heading")
    _refused(rows_xlsx({"Sheet1": GOOD}), "sheet.not_found", sheet="Sheet9")


def test_sheet_option_picks_one_of_several():
    a = analyse_form(
        rows_xlsx({"甲": GOOD, "乙": GOOD}),
        filename="x.xlsx",
        department="civil_affairs",
        dictionary=D,
        sheet="乙",
    )
    assert a.sheet == "乙"
    assert [c["field"] for c in a.to_json()["columns"]] == [None, "person.name", "person.id_number"]


def test_heading_normalisation_keeps_notes_as_hints():
    assert normalise_heading("身份证号码\n（18位）") == ("身份证号码", ["18位"])
    assert normalise_heading("＊联系电话(手机)：") == ("联系电话", ["手机"])
    assert normalise_heading("村（社区）名称")[1] == []
    assert fold_text("ＡＢ　１") == "AB1"


def test_population_filters_from_titles():
    assert propose_filter("城乡居民最低生活保障对象花名册", "person", D).field == "person.is_dibao"
    flt = propose_filter("65周岁以上老年人健康体检登记表", "person", D)
    assert (flt.op, flt.value) == ("age_ge", 65)
    assert propose_filter("村民基本信息登记表", "person", D) is None


def _roster(headings: list[str], rows: list[list[object]]) -> dict[str, dict[str, object]]:
    data = rows_xlsx({"Sheet1": [["人员登记表"], headings, *rows]})
    a = analyse_form(data, filename="x.xlsx", department="civil_affairs", dictionary=D)
    return {c["heading"]: c for c in a.to_json()["columns"]}


def test_wordings_values_and_roles_decide_fields():
    cols = _roster(
        ["序号", "姓 名", "身分证号", "手机号码", "监护人电话", "户主姓名", "备注"],
        [[1, "王芳", "330523199001011234", "13812345678", "13912345678", "王大", None]],
    )
    assert cols["序号"]["status"] == "layout" and cols["备注"]["status"] == "layout"
    assert cols["姓 名"]["field"] == "person.name"
    assert cols["身分证号"]["field"] == "person.id_number"  # homophone typo
    assert cols["手机号码"]["field"] == "person.phone"
    assert cols["监护人电话"]["field"] != "person.phone"
    assert cols["户主姓名"]["field"] != "person.name"


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_each_legacy_form_against_its_truth(name):
    """Every known-field column maps right; none maps to a wrong field (precision)."""
    t = TRUTH[name]
    a = analyse_form(FORMS / "files" / name, department=t["department"], dictionary=D)
    out = a.to_json()
    assert out["entity"] == ("aggregate" if t["kind"] == "aggregate" else t["entity"])
    assert out["header_rows"] == t["header_rows"]
    if t["kind"] == "aggregate":
        return
    cols = {c["letter"]: c for c in out["columns"]}
    wrong = []
    for letter, want in t["columns"].items():
        got = cols[letter]
        if want == "layout":
            ok = got["status"] == "layout"
        elif want.startswith("new:"):
            ok = got["status"] in ("new", "uncertain") or got["field"] not in D.fields
        else:
            ok = got["status"] != "matched" or got["field"] == want
        if not ok:
            wrong.append((letter, want, got["field"], got["status"]))
    assert not wrong
    matched = sum(1 for c in cols.values() if c["status"] == "matched")
    known = sum(1 for w in t["columns"].values() if "." in w and not w.startswith("new:"))
    assert matched >= 0.75 * known  # the rest are "uncertain": a person decides
