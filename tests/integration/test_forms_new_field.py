"""A department creates a field for a column no dictionary field fits, on both backends.

The mapping page's 新建字段 form stores a draft field (with the column's wording) and maps
the column to it in one transaction; the next form using that wording matches the new field;
a bad name, type or code table is refused with a message and stores nothing; another
department and a POST without the CSRF token are refused.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from fastapi.testclient import TestClient
from sqlalchemy import select

from onesheet.domain.access import CLI_ADMIN
from onesheet.domain.findings import InvalidInput
from onesheet.services import forms, gate
from onesheet.store import wordings
from onesheet.store.schema import table
from onesheet.web.app import create_app
from tests.integration.helpers import COUNTY
from tests.integration.test_forms_pages import (
    add_people,
    health_clerk,
    login,
    upload,
)

NEW_KEY = "person.x_yzpz"  # 养殖品种 → pinyin initials


def make_form(title: str, heading: str = "饲养品种名称") -> bytes:
    """A small roster: title, unit line, one heading row, two sample rows."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("Sheet1")
    headings = ["序号", "姓名", "公民身份号码", heading, "备注"]
    ws.merge_range(0, 0, 0, len(headings) - 1, title)
    ws.write_row(1, 0, ["填报单位（盖章）：", "", "", "填报日期："])
    ws.write_row(2, 0, headings)
    ws.write_row(3, 0, [1, "张三", "110101199003071234", "黄牛", ""])
    ws.write_row(4, 0, [2, "李四", "110101198501011234", "山羊", ""])
    wb.close()
    return buf.getvalue()


@pytest.fixture
def app_store(store):
    add_people(store)
    return store


def _upload(client: TestClient, csrf: str, title: str = "养殖户花名册") -> str:
    response = upload(client, csrf, Path("yangzhi.xlsx"), make_form(title))
    assert response.status_code == 303, response.text
    return response.headers["location"]


def _drafts(store) -> dict[str, dict]:
    t = table("draft_field")
    with store.engine.connect() as conn:
        return {r.key: dict(r._mapping) for r in conn.execute(select(t))}


def _spec_field(store, template_id: str, letter: str) -> str | None:
    view = forms.show_form(store, CLI_ADMIN, template_id)
    cols = view.template.analysis["columns"]
    index = next(i for i, c in enumerate(cols) if c["letter"] == letter)
    return view.template.spec.columns[index].field


def _new_field(client: TestClient, url: str, csrf: str, letter: str = "D", **form: str):
    data = {"csrf_token": csrf, "label_zh": "养殖品种", "value_type": "text"} | form
    return client.post(f"{url}/columns/{letter}/new-field", data=data, follow_redirects=False)


def test_new_field_maps_the_column_and_the_next_form_matches_it(app_store):
    client = TestClient(create_app(app_store))
    csrf = login(client, "mz1")
    url = _upload(client, csrf)
    template_id = url.rsplit("/", 1)[1]
    page = client.get(url).text
    assert 'action="' + url + '/columns/D/new-field"' in page
    assert "新建字段" in page and "整数" in page and "日期" in page  # Chinese type names

    created = _new_field(client, url, csrf)
    assert created.status_code == 303 and created.headers["location"].endswith("#col-D")
    page = client.get(url).text
    assert f'data-letter="D" data-field="{NEW_KEY}" data-status="matched"' in page
    assert "养殖品种" in page and "草稿字段" in page
    assert _spec_field(app_store, template_id, "D") == NEW_KEY

    row = _drafts(app_store)[NEW_KEY]
    assert row["entity"] == "person" and row["value_type"] == "text"
    assert row["label_zh"] == "养殖品种" and row["proposed_by"] == template_id
    assert "饲养品种名称" in json.loads(row["synonyms"])

    # a later form with the same heading wording is matched to the new field
    later = forms.import_form(
        app_store, CLI_ADMIN, make_form("某村养殖情况登记表"), department="民政局"
    )
    column = next(c for c in later.contract["columns"] if c["letter"] == "D")
    assert column["field"] == NEW_KEY and column["status"] == "matched"
    # and a form using the new field's own name too
    named = forms.import_form(
        app_store, CLI_ADMIN, make_form("养殖品种统计", heading="养殖品种"), department="民政局"
    )
    column = next(c for c in named.contract["columns"] if c["letter"] == "D")
    assert column["field"] == NEW_KEY, column


def test_a_second_field_with_the_same_name_gets_its_own_key(app_store):
    first = forms.import_form(app_store, CLI_ADMIN, make_form("表一"), department="民政局")
    second = forms.import_form(app_store, CLI_ADMIN, make_form("表二"), department="民政局")
    a = forms.create_field(
        app_store, CLI_ADMIN, first.template.id, column="D", label_zh="养殖品种", value_type="text"
    )
    b = forms.create_field(
        app_store,
        CLI_ADMIN,
        second.template.id,
        column="d",
        label_zh="养殖品种",
        value_type="code",
        code_table="gb2261_1_gender",
    )
    assert a.field.key == NEW_KEY and b.field.key == NEW_KEY + "2"
    assert _spec_field(app_store, second.template.id, "D") == b.field.key
    with app_store.transaction() as conn:
        stored = {d.key: d for d in wordings.load_drafts(conn)}
    assert stored[b.field.key].code_table == "gb2261_1_gender"
    assert stored[b.field.key].type == "code" and stored[a.field.key].code_table is None


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"label_zh": "  "}, "请填写字段名称"),
        ({"label_zh": "养" * 41}, "不能超过 40 个字"),
        ({"value_type": "blob"}, "不认识的数据类型"),
        ({"value_type": "ref"}, "不认识的数据类型"),
        ({"value_type": "code", "code_table": "no_such_table"}, "代码表 no_such_table 不存在"),
        ({"value_type": "code"}, "代码类型的字段须选择代码表"),
    ],
)
def test_bad_name_type_or_code_table_is_refused_and_stores_nothing(app_store, form, message):
    client = TestClient(create_app(app_store))
    csrf = login(client, "mz1")
    url = _upload(client, csrf)
    template_id = url.rsplit("/", 1)[1]
    before = _drafts(app_store)
    refused = _new_field(client, url, csrf, **form)
    assert refused.status_code == 400
    assert message in refused.text and 'id="mapping-error"' in refused.text
    if "label_zh" not in form:  # what was typed is kept for the retry
        assert 'value="养殖品种"' in refused.text
    assert _drafts(app_store) == before
    assert _spec_field(app_store, template_id, "D") is None


def test_unknown_column_and_a_submitted_template_are_refused(app_store):
    client = TestClient(create_app(app_store))
    csrf = login(client, "mz1")
    url = _upload(client, csrf)
    template_id = url.rsplit("/", 1)[1]
    before = _drafts(app_store)
    missing = _new_field(client, url, csrf, letter="Z")
    assert missing.status_code == 400 and "没有 Z 列" in missing.text
    forms.submit(app_store, CLI_ADMIN, template_id)
    with pytest.raises(InvalidInput) as err:
        forms.create_field(
            app_store, CLI_ADMIN, template_id, column="D", label_zh="养殖品种", value_type="text"
        )
    assert "只有草稿或已退回的模板可以修改" in err.value.message("zh")
    assert "only draft or rejected" in err.value.message("en")
    assert _new_field(client, url, csrf).status_code == 400
    assert _drafts(app_store) == before


def test_another_department_and_a_missing_csrf_token_are_refused(app_store):
    owner = TestClient(create_app(app_store))
    csrf = login(owner, "mz1")
    url = _upload(owner, csrf)
    template_id = url.rsplit("/", 1)[1]
    before = _drafts(app_store)
    other, other_csrf = health_clerk(app_store)
    assert _new_field(other, url, other_csrf).status_code == 403
    assert _new_field(owner, url, "").status_code == 403
    assert _new_field(owner, url, "wrong-token").status_code == 403
    reviewer = TestClient(create_app(app_store))
    assert _new_field(reviewer, url, login(reviewer, "rev1")).status_code == 403
    assert _drafts(app_store) == before
    assert _spec_field(app_store, template_id, "D") is None


def _approved_with_new_field(store) -> tuple[TestClient, str]:
    client = TestClient(create_app(store))
    csrf = login(client, "mz1")
    url = _upload(client, csrf)
    template_id = url.rsplit("/", 1)[1]
    assert _new_field(client, url, csrf).status_code == 303
    assert client.post(f"{url}/submit", data={"csrf_token": csrf}).status_code == 200
    review = gate.review(store, CLI_ADMIN, template_id).to_json()
    assert review
    gate.approve(store, CLI_ADMIN, template_id, reason="新增养殖品种，需采集")
    return client, template_id


def test_a_template_with_a_created_field_passes_the_gate(app_store):
    client, template_id = _approved_with_new_field(app_store)
    page = client.get(f"/forms/{template_id}").text
    assert "已准入" in page and "草稿字段" in page and "/new-field" not in page
    assert f'data-letter="D" data-field="{NEW_KEY}"' in page


def test_a_report_leaves_a_created_field_empty_and_lists_it_to_collect(app_store):
    client, template_id = _approved_with_new_field(app_store)
    report = client.get(f"/api/reports/{template_id}", params={"org": COUNTY, "format": "xlsx"})
    assert report.status_code == 200, report.text
    book = openpyxl.load_workbook(io.BytesIO(report.content))
    form, todo = book.worksheets
    assert todo.title == "待采集"
    # from the heading row down (the kept unit line has its 填报日期 in column D, as the form)
    letter_d = [row[3] for row in form.iter_rows(min_row=3, values_only=True)]
    numbered = [row[0] for row in form.iter_rows(values_only=True) if isinstance(row[0], int)]
    assert numbered  # the roster has rows, so the empty column below means something
    # Only the form's own heading: every data cell of the draft column is left empty.
    assert [v for v in letter_d if v is not None] == ["饲养品种名称"]
    reasons = [str(c) for row in todo.iter_rows(values_only=True) for c in row if c]
    assert any("草稿字段" in r for r in reasons)
