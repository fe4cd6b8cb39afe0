"""``onesheet forms`` end to end through the Typer runner, on both backends."""

from __future__ import annotations

import json
from pathlib import Path

FILES = Path(__file__).resolve().parents[1] / "forms" / "files"


def test_import_map_submit_review_decide(cli, tmp_path):
    assert cli("init").exit_code == 0
    out = cli("forms", "import", str(FILES / "minzheng_tekun.xls"), "--department", "民政局",
              "--matter", "FM001", "--json")  # fmt: skip
    assert out.exit_code == 0, out.output
    contract = json.loads(out.stdout)
    assert list(contract) == [
        "template_id", "title", "department", "entity", "header_rows", "filter", "columns",
    ]  # fmt: skip
    tid = contract["template_id"]
    col = contract["columns"][1]
    assert set(col) == {"letter", "heading", "field", "status", "confidence", "candidates"}
    listed = json.loads(cli("forms", "list", "--json").stdout)
    assert [t["template_id"] for t in listed] == [tid]
    assert listed[0]["status"] == "draft"
    mapped = cli("forms", "map", tid, "--column", col["letter"], "--field", "person.name")
    assert mapped.exit_code == 0, mapped.output
    shown = json.loads(cli("forms", "show", tid, "--json").stdout)
    assert shown["columns"][1]["field"] == "person.name"
    assert cli("forms", "submit", tid).exit_code == 0
    review = cli("forms", "review", tid, "--json")
    assert review.exit_code == 0, review.output
    figures = json.loads(review.stdout)
    assert figures["matter"]["verdict"] == "refused" and figures["suggestion"] == "reject"
    refused = cli("forms", "approve", tid, "--reason", "上级要求")
    assert refused.exit_code != 0 and "负面清单" in refused.output
    assert "建议退回" in cli("forms", "review", tid).output
    assert cli("forms", "reject", tid, "--reason", "负面清单事项").exit_code == 0
    history = json.loads(cli("forms", "show", tid, "--json").stdout)["decisions"]
    assert [d["decision"] for d in history] == ["submitted", "rejected"]


def test_bad_files_get_clear_errors(cli, tmp_path):
    assert cli("init").exit_code == 0
    text = tmp_path / "名单.xlsx"
    text.write_text("姓名,身份证号\n", encoding="utf-8")
    out = cli("forms", "import", str(text), "--department", "民政局")
    assert out.exit_code == 2
    assert "名单.xlsx" in out.output and "not a spreadsheet" in out.output
    locked = cli("forms", "import", str(FILES / "bad" / "encrypted.xlsx"), "--department", "民政局")
    assert locked.exit_code == 2 and "密码" in locked.output
    unknown = cli("forms", "import", str(FILES / "minzheng_dibao.xlsx"), "--department", "火星局")
    assert unknown.exit_code == 2 and "火星局" in unknown.output
    assert json.loads(cli("forms", "list", "--json").stdout) == []


def test_lists_load_and_show(cli, tmp_path):
    assert cli("init").exit_code == 0
    own = tmp_path / "lists.csv"
    own.write_text("list,category,item\n主责,党建,组织生活\n负面,执法,行政处罚\n", encoding="utf-8")
    loaded = cli("forms", "lists", "load", str(own), "--county", "330523")
    assert loaded.exit_code == 0, loaded.output
    assert "2 项" in loaded.output
    shown = json.loads(cli("forms", "lists", "show", "--json").stdout)
    assert {(i["code"], i["list_kind"]) for i in shown} == {
        ("ZZ001", "main"),
        ("FM001", "negative"),
    }


def test_departments_by_their_wording_on_the_form(cli):
    """Every wording a form uses resolves; a joint form asks; an unknown one suggests."""
    assert cli("init").exit_code == 0
    out = cli("forms", "import", str(FILES / "weijian_elderly.xlsx"), "--department", "卫生健康",
              "--json")  # fmt: skip
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["department"] == "health"
    joint = cli("forms", "import", str(FILES / "zhujian_houses.xlsx"), "--department",
                "住房城乡建设/应急管理")  # fmt: skip
    assert joint.exit_code == 2
    assert "住房和城乡建设局" in joint.output and "应急管理局" in joint.output
    unknown = cli("forms", "import", str(FILES / "tuiyi_veterans.xlsx"), "--department",
                  "退役军人事物所")  # fmt: skip
    assert unknown.exit_code == 2 and "退役军人事务局" in unknown.output
    assert [t["department"] for t in json.loads(cli("forms", "list", "--json").stdout)] == [
        "health"
    ]


def test_the_form_sheet_is_picked_and_named(cli, tmp_path):
    import xlsxwriter

    path = tmp_path / "带说明的表.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("登记表")
    ws.write_row(0, 0, ["高龄老人登记表"])
    ws.write_row(1, 0, ["序号", "姓名", "身份证号码", "联系电话"])
    ws.write_row(2, 0, [1, "张三", "330523193001011234", "13812345678"])
    book.add_worksheet("填写说明").write(0, 0, "一、本表由村（社区）填写，身份证号码必须为18位。")
    book.close()
    assert cli("init").exit_code == 0
    out = cli("forms", "import", str(path), "--department", "民政局")
    assert out.exit_code == 0, out.output
    assert "登记表" in out.output and "填写说明" in out.output
    assert "自动选用" in out.output
