"""A county's accounts in one go: one transaction, one-time passwords in a 0600 file, a
forced change at first sign-in, the password policy, bad rows listed and nothing applied."""

from __future__ import annotations

import csv
import stat

import pytest
from typer.testing import CliRunner

from onesheet.cli.main import app
from onesheet.domain.access import CLI_ADMIN
from onesheet.domain.findings import InvalidInput
from onesheet.domain.passwords import password_problems
from onesheet.services import accounts, auth
from onesheet.services.users import verify_password
from tests.integration.dayone_files import account_rows, write_accounts, write_divisions

runner = CliRunner()


@pytest.fixture
def county(store, database_url, tmp_path):
    f = write_divisions(tmp_path / "orgs.csv")
    out = runner.invoke(app, ["--database-url", database_url, "orgs", "load", str(f)])
    assert out.exit_code == 0, out.output
    return store


def _cli(database_url, *args):
    return runner.invoke(app, ["--database-url", database_url, *args])


def test_import_600_accounts_then_first_sign_in_must_change(county, database_url, tmp_path):
    f = write_accounts(tmp_path / "accounts.csv")
    out = tmp_path / "passwords.csv"
    done = _cli(database_url, "users", "import", str(f), "--passwords-out", str(out))
    assert done.exit_code == 0, done.output
    assert "已创建 600 个账号" in done.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with out.open(encoding="utf-8-sig", newline="") as fh:
        issued = list(csv.DictReader(fh))
    assert len(issued) == 600
    cadre = issued[0]
    assert cadre["机构名称"] and cadre["角色"] == "村（社区）干部"
    password = cadre["初始密码（首次登录须修改）"]
    assert password_problems(password, cadre["用户名"]) == []
    who = verify_password(county, cadre["用户名"], password)
    assert who is not None and who.role == "village" and who.org_code == cadre["机构代码"]
    ticket = auth.login(county, cadre["用户名"], password)
    assert accounts.must_change_password(county, ticket.actor)
    with pytest.raises(InvalidInput) as err:
        accounts.change_own_password(county, ticket.actor, password, "1234567890")
    assert {f.code for f in err.value.findings} == {"password.digits"}
    with pytest.raises(InvalidInput) as err:
        accounts.change_own_password(county, ticket.actor, password, cadre["用户名"] + "x")
    assert "password.username" in {f.code for f in err.value.findings}
    accounts.change_own_password(county, ticket.actor, password, "余村春茶2026年好茶")
    assert not accounts.must_change_password(county, ticket.actor)
    assert verify_password(county, cadre["用户名"], password) is None
    accounts.record_sign_in(county, ticket.actor)
    listed = accounts.list_accounts(county, CLI_ADMIN, role="department")
    assert len(listed) == 15 and {a.department for a in listed} >= {"civil_affairs"}
    me = [a for a in accounts.list_accounts(county, CLI_ADMIN) if a.username == cadre["用户名"]]
    assert me[0].last_login_at is not None and not me[0].must_change_password
    shown = _cli(database_url, "users", "accounts", "--role", "town")
    assert shown.exit_code == 0 and "共 45 个账号" in shown.output
    again = _cli(database_url, "users", "import", str(f), "--passwords-out", str(out))
    assert again.exit_code != 0 and "不会覆盖" in again.output


def test_bad_rows_are_listed_and_nothing_is_created(county, database_url, tmp_path):
    rows = account_rows(20)
    rows[2][3] = "330523108"  # a village cadre at a town
    rows[3][2] = "书记员"  # unknown role
    rows[4][4] = "宣传部"  # not a county department of the dictionary
    rows[4][2] = "部门"
    rows[4][3] = "330523"
    rows[5][1] = "12345"  # not a mobile number
    rows[6][1] = rows[7][1]  # the same username twice
    rows[8][3] = "330523108299"  # no such village
    f = write_accounts(tmp_path / "bad.csv", rows)
    out = tmp_path / "pw.csv"
    with pytest.raises(InvalidInput) as err:
        accounts.import_accounts(county, CLI_ADMIN, f.read_bytes(), f.name, out)
    found = {(x.row, x.code) for x in err.value.findings}
    assert found == {
        (4, "user.org_level"),
        (5, "accounts.role"),
        (6, "user.department"),
        (7, "accounts.phone"),
        (9, "accounts.repeated"),
        (10, "accounts.org"),
    }
    assert not out.exists()
    assert accounts.list_accounts(county, CLI_ADMIN, role="village") == []


def test_reset_gives_a_new_one_time_password(county, tmp_path):
    f = write_accounts(tmp_path / "a.csv", account_rows(3))
    accounts.import_accounts(county, CLI_ADMIN, f.read_bytes(), f.name, tmp_path / "pw.csv")
    new = accounts.reset_password(county, CLI_ADMIN, "13900000001")
    who = verify_password(county, "13900000001", new)
    assert who is not None and accounts.must_change_password(county, who)
