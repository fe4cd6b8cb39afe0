"""The forced password change at first sign-in and the administrator's account page."""

from __future__ import annotations

import csv
import re

import pytest
from fastapi.testclient import TestClient

from onesheet.domain.access import CLI_ADMIN
from onesheet.services import accounts, org_tree
from onesheet.services.users import add_user, verify_password
from onesheet.web import routes_users
from onesheet.web.app import create_app
from tests.integration.dayone_files import account_rows, write_accounts, write_divisions
from tests.integration.helpers import csrf_of, sign_in

ADMIN_PASSWORD = "admin password 2026"


@pytest.fixture
def county(store, tmp_path):
    f = write_divisions(tmp_path / "orgs.csv")
    org_tree.load_org_tree(store, CLI_ADMIN, f.read_bytes(), f.name)
    a = write_accounts(tmp_path / "a.csv", account_rows(40))
    out = tmp_path / "pw.csv"
    accounts.import_accounts(store, CLI_ADMIN, a.read_bytes(), a.name, out)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        issued = {r["用户名"]: r["初始密码（首次登录须修改）"] for r in csv.DictReader(fh)}
    add_user(store, CLI_ADMIN, "county_admin", role="admin", org_code="330523",
             password=ADMIN_PASSWORD)  # fmt: skip
    app = create_app(store)
    routes_users.install(app)
    return store, app, issued


def test_first_sign_in_goes_to_the_password_page_until_changed(county):
    _store, app, issued = county
    user, one_time = next(iter(issued.items()))
    client = TestClient(app)
    signed = sign_in(client, user, one_time, "/sheet")
    assert signed.status_code == 303 and signed.headers["location"] == "/account/password"
    assert client.get("/sheet", follow_redirects=False).headers["location"] == "/account/password"
    assert client.get("/api/people", params={"q": "王"}).status_code == 403
    page = client.get("/account/password")
    assert 'id="forced"' in page.text
    bad = client.post(
        "/account/password",
        data={"old": one_time, "new": "1234567890", "again": "1234567890",
              "csrf_token": csrf_of(page.text)},
    )  # fmt: skip
    assert bad.status_code == 400 and "不能全是数字" in bad.text
    done = client.post(
        "/account/password",
        data={"old": one_time, "new": "my own secret 42", "again": "my own secret 42",
              "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303
    assert client.get("/sheet", follow_redirects=False).status_code == 200


def test_admin_lists_filters_disables_and_resets(county):
    store, app, issued = county
    user, one_time = next(iter(issued.items()))
    sign_in(TestClient(app), user, one_time, "/sheet")  # signed in once: the list shows the time
    admin = TestClient(app)
    assert sign_in(admin, "county_admin", ADMIN_PASSWORD, "/sheet").status_code == 303
    page = admin.get("/admin/users", params={"role": "village", "under": "330523001"})
    assert page.status_code == 200
    rows = re.findall(r'data-username="([^"]+)"', page.text)
    assert rows and user in rows
    assert all(u in issued for u in rows)
    row = page.text.split(f'data-username="{user}"')[1].split("</tr>")[0]
    assert "从未" not in row and "待改密" in row
    csrf = csrf_of(page.text)
    admin.post(f"/admin/users/{user}/disable", data={"csrf_token": csrf})
    assert sign_in(TestClient(app), user, one_time, "/sheet").status_code == 401
    disabled = admin.get("/admin/users", params={"state": "disabled"}).text
    assert re.findall(r'data-username="([^"]+)"', disabled) == [user]
    admin.post(f"/admin/users/{user}/enable", data={"csrf_token": csrf})
    reset = admin.post(f"/admin/users/{user}/reset", data={"csrf_token": csrf})
    new = re.search(r"<code>([^<]+)</code>", reset.text).group(1)
    again = sign_in(TestClient(app), user, new, "/sheet")
    assert again.status_code == 303 and again.headers["location"] == "/account/password"
    village = TestClient(app)
    cadre, password = list(issued.items())[1]
    sign_in(village, cadre, password, "/sheet")
    assert village.get("/admin/users", follow_redirects=False).status_code == 303
    accounts.change_own_password(store, verify_password(store, cadre, password), password,
                                 "village secret 2026")  # fmt: skip
    assert village.get("/admin/users").status_code == 403
