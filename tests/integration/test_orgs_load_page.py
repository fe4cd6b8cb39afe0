"""The administrator's org-tree page: upload the division codes, see the diff (or every bad
row), confirm, and the merged village's people follow; nothing is written before the
confirmation, a POST without the CSRF token is refused, and only an administrator gets in."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from onesheet.domain.access import CLI_ADMIN
from onesheet.services import org_tree
from onesheet.services.users import add_user
from onesheet.store.schema import sheet_table, table
from onesheet.web.app import create_app
from tests.integration.dayone_files import division_rows
from tests.integration.helpers import load_day_one

PASSWORD = "admin password 2026"
OLD, SURVIVOR = "330523108207", "330523108204"  # 大溪村 → 余村村


@pytest.fixture
def county(store, tmp_path):
    load_day_one(store, tmp_path)
    add_user(store, CLI_ADMIN, "county_admin", role="admin", org_code="330523",
             password=PASSWORD)  # fmt: skip
    add_user(store, CLI_ADMIN, "cadre", role="village", org_code=SURVIVOR, password=PASSWORD)
    return store


def _client(store, username):
    client = TestClient(create_app(store))
    page = client.get("/login")
    signed = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": _csrf(page.text),
              "next": "/sheet"},
        follow_redirects=False,
    )  # fmt: skip
    assert signed.status_code == 303, signed.text
    return client


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _file(rows, merges=None) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["统计用区划代码", "城乡分类代码", "名称", "并入"])
    for code, name, klass in rows:
        w.writerow([code, klass, name, (merges or {}).get(code, "")])
    return buf.getvalue().encode("gbk")


def _placed(store, org):
    t = sheet_table("person")
    with store.engine.connect() as conn:
        return set(conn.execute(select(t.c.entity_id).where(t.c.org_code == org)).scalars())


def _events(store):
    with store.engine.connect() as conn:
        return conn.execute(select(table("org_event").c.kind)).scalars().all()


def test_upload_preview_confirm_and_the_merged_village_follows(county):
    admin = _client(county, "county_admin")
    page = admin.get("/admin/orgs")
    assert page.status_code == 200
    assert "区划装入" in page.text and "安吉县（330523）" in page.text
    assert "村（社区） 9" in page.text and 'href="/admin/orgs"' in page.text
    csrf = _csrf(page.text)
    moving = _placed(county, OLD)
    assert moving

    bad = [*division_rows(), ("330523108299", "余村村委会", "220")]  # a second 余村
    refused = admin.post(
        "/admin/orgs/preview",
        data={"csrf_token": csrf, "effective": "2024-01-01"},
        files={"file": ("bad.csv", _file(bad), "text/csv")},
    )
    assert refused.status_code == 400
    assert "未写入任何内容" in refused.text
    assert re.search(r'data-code="orgs.duplicate_name"><td>15</td>', refused.text), refused.text

    rows = [(c, "井村新村村委会" if c == "330523108201" else n, k) for c, n, k in division_rows()]
    shown = admin.post(
        "/admin/orgs/preview",
        data={"csrf_token": csrf, "effective": "2024-01-01"},
        files={"file": ("2024.csv", _file(rows, {OLD: SURVIVOR}), "text/csv")},
    )
    assert shown.status_code == 200, shown.text
    assert f"撤并 {OLD} 大溪村 并入 {SURVIVOR} 余村村" in shown.text
    assert 'data-kind="rename"' in shown.text and "名称 井村村 → 井村新村" in shown.text
    assert "更名 1" in shown.text and "撤并 1" in shown.text
    assert _placed(county, OLD) == moving and _events(county) == []  # a preview writes nothing

    form = shown.text[shown.text.index('action="/admin/orgs/apply"') :]
    form = form[: form.index("</form>")]
    hidden = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form))
    assert set(hidden) >= {"csrf_token", "data", "filename", "effective"}
    forged = admin.post("/admin/orgs/apply", data={**hidden, "csrf_token": "x"})
    assert forged.status_code == 403 and _events(county) == []

    done = admin.post("/admin/orgs/apply", data=hidden, follow_redirects=False)
    assert done.status_code == 303
    after = admin.get(done.headers["location"])
    assert "已装入" in after.text and "撤并 1" in after.text and "随迁" in after.text
    assert sorted(_events(county)) == ["merge", "rename"]
    assert moving <= _placed(county, SURVIVOR) and not _placed(county, OLD)
    assert re.search(r'<tr data-kind="merge"><td>2024-01-01</td>', after.text)
    someone = min(moving)
    assert org_tree.entity_org_as_of(county, CLI_ADMIN, someone, date(2023, 12, 31)) == OLD


def test_only_an_administrator_gets_the_page(county):
    cadre = _client(county, "cadre")
    assert cadre.get("/admin/orgs").status_code == 403
    page = cadre.get("/sheet")
    refused = cadre.post(
        "/admin/orgs/preview",
        data={"csrf_token": _csrf(page.text)},
        files={"file": ("a.csv", _file(division_rows()), "text/csv")},
    )
    assert refused.status_code == 403
    assert 'href="/admin/orgs"' not in page.text
