"""Day one of a real county, on both backends, as its administrator would do it:

load the 安吉县 (330523) org tree from the NBS codes with its grids, load a public-security
household export, import 600 accounts, sign in as one imported village cadre (changing the
one-time password) and see that village's people only, back up, restore into a fresh
database, and pass ``sheet rebuild --check`` with the same counts.
"""

from __future__ import annotations

import csv

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from onesheet.cli.main import app
from onesheet.services import accounts, auth
from onesheet.services.base import Store
from onesheet.store.engine import make_engine
from onesheet.store.schema import sheet_table
from onesheet.web.app import create_app
from tests.integration.dayone_files import (
    write_accounts,
    write_divisions,
    write_grids,
    write_households,
)
from tests.integration.helpers import sign_in
from tests.integration.test_backup_restore import fresh_url  # noqa: F401 (fixture)

runner = CliRunner()


def cli(url, *args):
    result = runner.invoke(app, ["--database-url", url, *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_day_one(store, database_url, fresh_url, tmp_path):  # noqa: F811
    url = database_url
    orgs_file = write_divisions(tmp_path / "安吉县2023.csv", encoding="gbk")
    grids_file = write_grids(tmp_path / "网格.csv")
    assert "新增 31" in cli(url, "orgs", "load", str(orgs_file), "--grids", str(grids_file))
    loaded = cli(url, "bootstrap", str(write_households(tmp_path / "户籍.csv")))
    assert "新增人口 150" in loaded and "新增户 60" in loaded
    passwords = tmp_path / "初始密码.csv"
    imported = cli(
        url, "users", "import", str(write_accounts(tmp_path / "账号.csv")), "--passwords-out",
        str(passwords),
    )  # fmt: skip
    assert "已创建 600 个账号" in imported

    with passwords.open(encoding="utf-8-sig", newline="") as fh:
        cadre = next(r for r in csv.DictReader(fh) if r["机构代码"] == "330523001030")
    one_time = cadre["初始密码（首次登录须修改）"]
    client = TestClient(create_app(store))
    assert sign_in(client, cadre["用户名"], one_time, "/sheet").status_code == 303
    ticket = auth.login(store, cadre["用户名"], one_time)
    assert accounts.must_change_password(store, ticket.actor)
    accounts.change_own_password(store, ticket.actor, one_time, "阳光社区的新密码2026")
    hits = client.get("/api/people", params={"q": "王"}).json()
    t = sheet_table("person")
    with store.engine.connect() as conn:
        in_village = conn.execute(
            select(func.count()).where(t.c.org_code == "330523001030", t.c.name.like("王%"))
        ).scalar_one()
    assert hits and len(hits) == in_village
    assert {h["org_code"] for h in hits} == {"330523001030"}  # that village's people only

    backup = tmp_path / "day-one.backup"
    made = cli(url, "backup", str(backup))
    restored = cli(fresh_url, "restore", str(backup))
    assert "人 150" in made and "".join(made.split("：", 1)[1].split()) == "".join(
        restored.split("：", 1)[1].split()
    )
    assert "检查通过" in cli(fresh_url, "sheet", "rebuild", "--check")
    fresh = Store(make_engine(fresh_url))
    try:
        again = TestClient(create_app(fresh))
        assert sign_in(again, cadre["用户名"], "阳光社区的新密码2026", "/sheet").status_code == 303
        assert {h["org_code"] for h in again.get("/api/people", params={"q": "王"}).json()} == {
            "330523001030"
        }
    finally:
        fresh.engine.dispose()
