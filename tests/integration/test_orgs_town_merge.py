"""A town (乡镇) merged into another: its villages start again under the survivor with the
codes the statistical bureau published, their people, households, grids, accounts and open
tasks follow, the town's own accounts follow the surviving town, and reads as of a day
before the merger still show the old town and village. Through ``orgs merge --codes`` and
through a later division file on the org-tree page; every refusal leaves nothing written."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import pytest
from sqlalchemy import func, insert, select
from typer.testing import CliRunner

from onesheet.cli.main import app
from onesheet.domain.access import CLI_ADMIN
from onesheet.domain.findings import InvalidInput
from onesheet.services import bootstrap, org_tree
from onesheet.services.users import add_user
from onesheet.store.schema import sheet_table, table
from tests.integration.dayone_files import (
    division_rows,
    write_divisions,
    write_grids,
    write_households,
)
from tests.integration.test_orgs_load_page import PASSWORD, _client, _csrf

runner = CliRunner()
TOWN, SURVIVOR = "330523110", "330523108"  # 梅溪镇 → 天荒坪镇
ZIMEI, JINGWAN = "330523110001", "330523110207"  # 紫梅社区, 荆湾村
NEW_ZIMEI, NEW_JINGWAN = "330523108003", "330523108208"  # as published under 天荒坪镇


@pytest.fixture
def county(store, tmp_path):
    f = write_divisions(tmp_path / "orgs.csv")
    g = write_grids(tmp_path / "grids.csv")
    org_tree.load_org_tree(
        store, CLI_ADMIN, f.read_bytes(), f.name, grids=g.read_bytes(), grids_filename=g.name,
        effective=date(2023, 6, 30),
    )  # fmt: skip
    h = write_households(tmp_path / "h.csv")
    bootstrap.bootstrap_population(store, CLI_ADMIN, h.read_bytes(), h.name, as_of=date(2023, 7, 1))
    add_user(store, CLI_ADMIN, "meixi_town", role="town", org_code=TOWN, password=PASSWORD)
    add_user(store, CLI_ADMIN, "jingwan", role="village", org_code=JINGWAN, password=PASSWORD)
    add_user(store, CLI_ADMIN, "county_admin", role="admin", org_code="330523",
             password=PASSWORD)  # fmt: skip
    t = table("collection_task")
    with store.transaction() as conn:
        for status in ("open", "resolved"):  # burden feedback: followed until settled
            conn.execute(
                insert(table("feedback")).values(
                    county_code="330523", org_code=JINGWAN, author="jingwan", kind="repeats_sheet",
                    text=status, status=status, created_at=datetime(2023, 12, 1), resolution="",
                    version=1,
                )
            )  # fmt: skip
        for status in ("open", "done"):
            conn.execute(
                insert(t).values(
                    template_id=f"t.{status}", county_code="330523", org_code=JINGWAN,
                    period="2023-12", status=status, items_total=0, items_filled=0,
                    created_at=datetime(2023, 12, 1),
                )
            )  # fmt: skip
    return store


def _codes_file(path, rows, headings=("统计用区划代码", "原代码", "名称")):
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headings)
        w.writerows(rows)
    return path


PUBLISHED = [
    (NEW_ZIMEI, ZIMEI, "紫梅社区居委会"),
    (NEW_JINGWAN, "", "荆湾村委会"),  # found by its name
]


def _people(store, org):
    t = sheet_table("person")
    with store.engine.connect() as conn:
        return set(conn.execute(select(t.c.entity_id).where(t.c.org_code == org)).scalars())


def _unit(store, code):
    t = table("org_unit")
    with store.engine.connect() as conn:
        return conn.execute(select(t).where(t.c.code == code)).one_or_none()


def _snapshot(store):
    """Everything a refused merger must leave as it was."""
    with store.engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table(name))).scalar()
            for name in ("org_unit", "org_event", "observation", "batch")
        } | {
            "users": sorted(conn.execute(select(table("app_user").c.org_code)).scalars()),
            "people": sorted(
                conn.execute(select(sheet_table("person").c.org_code).distinct()).scalars()
            ),
        }


def _assert_merged(store):
    """What a town merger leaves, whichever way it came."""
    for old, new, name, klass in (
        (ZIMEI, NEW_ZIMEI, "紫梅社区", "111"),
        (JINGWAN, NEW_JINGWAN, "荆湾村", "220"),
    ):
        unit = _unit(store, new)
        assert (unit.name, unit.parent_code, unit.level, unit.urban_rural) == (
            name, SURVIVOR, "village", klass,
        )  # fmt: skip
        gone = _unit(store, old)
        assert (gone.merged_into, gone.ended_on, gone.parent_code) == (new, date(2024, 1, 1), TOWN)
        assert not _people(store, old)
        grid = _unit(store, new + "001")  # the grids came along with their own digits
        assert (grid.parent_code, grid.name, grid.merged_into) == (new, "第1网格", None)
        assert _unit(store, old + "001").merged_into == new + "001"
    town = _unit(store, TOWN)
    assert (town.merged_into, town.ended_on) == (SURVIVOR, date(2024, 1, 1))
    users = table("app_user")
    tasks = table("collection_task")
    with store.engine.connect() as conn:
        scoped = dict(conn.execute(select(users.c.username, users.c.org_code)).all())
        where = {r.template_id: r.org_code for r in conn.execute(select(tasks))}
        fb = table("feedback")
        feedback = dict(conn.execute(select(fb.c.status, fb.c.org_code)).all())
    assert scoped["meixi_town"] == SURVIVOR and scoped["jingwan"] == NEW_JINGWAN
    assert where == {"t.open": NEW_JINGWAN, "t.done": JINGWAN}  # done work stays history
    assert feedback == {"open": NEW_JINGWAN, "resolved": JINGWAN}
    # history reads as it was
    before, after = date(2023, 12, 31), date(2024, 1, 1)
    then = org_tree.org_as_of(store, CLI_ADMIN, TOWN, before)
    assert (then.name, then.existed) == ("梅溪镇", True)
    later = org_tree.org_as_of(store, CLI_ADMIN, TOWN, after)
    assert (later.existed, later.merged_into) == (False, SURVIVOR)
    assert not org_tree.org_as_of(store, CLI_ADMIN, NEW_JINGWAN, before).existed
    assert [(e.kind, e.into_code) for e in org_tree.org_history(store, CLI_ADMIN, TOWN)] == [
        ("merge", SURVIVOR)
    ]
    assert [(e.kind, e.into_code) for e in org_tree.org_history(store, CLI_ADMIN, JINGWAN)] == [
        ("move", NEW_JINGWAN)
    ]


def test_orgs_merge_with_the_published_codes(county, tmp_path, database_url):
    jingwan = _people(county, JINGWAN)
    zimei = _people(county, ZIMEI)
    assert jingwan and zimei
    codes = _codes_file(tmp_path / "codes.csv", PUBLISHED)
    done = runner.invoke(
        app,
        ["--database-url", database_url, "orgs", "merge", TOWN, "--into", SURVIVOR,
         "--codes", str(codes), "--effective", "2024-01-01"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    said = done.output.replace("\n", "")
    assert f"已记录：{TOWN} 并入 {SURVIVOR}" in said and "账号 2" in said
    assert _people(county, NEW_JINGWAN) == jingwan and _people(county, NEW_ZIMEI) == zimei
    _assert_merged(county)
    someone = min(jingwan)
    assert org_tree.entity_org_as_of(county, CLI_ADMIN, someone, date(2023, 12, 31)) == JINGWAN
    assert org_tree.entity_org_as_of(county, CLI_ADMIN, someone, date(2024, 1, 1)) == NEW_JINGWAN
    check = runner.invoke(app, ["--database-url", database_url, "sheet", "rebuild", "--check"])
    assert check.exit_code == 0, check.output


@pytest.mark.parametrize(
    ("into", "rows", "codes"),
    [
        (TOWN, PUBLISHED, ["orgs.merge_self"]),
        ("350122100", PUBLISHED, ["orgs.merge_county"]),  # 连江县's 凤城镇
        ("330523108204", PUBLISHED, ["orgs.merge_level"]),  # a village
        (SURVIVOR, None, ["orgs.town_codes", "orgs.town_codes"]),  # no table at all
        (SURVIVOR, PUBLISHED[:1], ["orgs.town_codes"]),  # 荆湾村 left out
        (SURVIVOR, [(NEW_ZIMEI, ZIMEI, ""), ("330523001299", JINGWAN, "")],
         ["orgs.renumber_nesting", "orgs.town_codes"]),  # under 递铺街道, not 天荒坪镇
        (SURVIVOR, [(NEW_ZIMEI, ZIMEI, ""), ("330523108204", JINGWAN, "")],
         ["orgs.renumber_taken", "orgs.town_codes"]),  # 余村村's code
        (SURVIVOR, [(NEW_ZIMEI, ZIMEI, ""), (NEW_JINGWAN, JINGWAN, "余村村委会")],
         ["orgs.duplicate_name"]),  # renamed to a name the survivor has
        (SURVIVOR, [*PUBLISHED, ("330523108209", "", "不存在村委会")],
         ["orgs.renumber_unknown"]),
        (SURVIVOR, [*PUBLISHED, ("330523108209", JINGWAN, "")], ["orgs.renumber_twice"]),
    ],
)  # fmt: skip
def test_a_bad_town_merger_is_refused_whole(county, tmp_path, into, rows, codes):
    if into.startswith("350122"):
        other = write_divisions(tmp_path / "lj.csv", division_rows("350122"))
        org_tree.load_org_tree(county, CLI_ADMIN, other.read_bytes(), other.name)
    before = _snapshot(county)
    data = _codes_file(tmp_path / "c.csv", rows).read_bytes() if rows is not None else None
    with pytest.raises(InvalidInput) as err:
        org_tree.merge_org(county, CLI_ADMIN, TOWN, into, codes=data, codes_filename="c.csv")
    assert [f.code for f in err.value.findings] == codes
    assert all(f.message_zh for f in err.value.findings)
    assert _snapshot(county) == before


def test_a_village_merger_takes_no_new_code_table(county, tmp_path):
    codes = _codes_file(tmp_path / "c.csv", PUBLISHED).read_bytes()
    with pytest.raises(InvalidInput) as err:
        org_tree.merge_org(county, CLI_ADMIN, JINGWAN, "330523110001", codes=codes)
    assert [f.code for f in err.value.findings] == ["orgs.renumber_only_towns"]
    assert _unit(county, JINGWAN).merged_into is None


def test_a_merged_town_cannot_merge_again_or_take_a_merger(county, tmp_path):
    codes = _codes_file(tmp_path / "c.csv", PUBLISHED).read_bytes()
    org_tree.merge_org(county, CLI_ADMIN, TOWN, SURVIVOR, codes=codes, effective=date(2024, 1, 1))
    for code, into in ((TOWN, SURVIVOR), ("330523001", TOWN)):
        with pytest.raises(InvalidInput) as err:
            org_tree.merge_org(county, CLI_ADMIN, code, into)
        assert [f.code for f in err.value.findings] == ["orgs.merge_ended"]
        assert "2024-01-01" in err.value.findings[0].message_zh


def _later_file(villages_moved: bool) -> bytes:
    """The 2024 division list as published: 梅溪镇 names its survivor in 并入 and (unless
    not ``villages_moved``) its villages appear under 天荒坪镇 with new codes."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["统计用区划代码", "城乡分类代码", "名称", "并入"])
    new = {ZIMEI: NEW_ZIMEI, JINGWAN: NEW_JINGWAN}
    for code, name, klass in division_rows():
        if code.startswith(TOWN) and code in new and villages_moved:
            code = new[code]
        w.writerow([code, klass, name, SURVIVOR + "000" if code == TOWN + "000" else ""])
    return buf.getvalue().encode()


def test_a_later_division_file_merges_the_town_on_the_page(county):
    jingwan = _people(county, JINGWAN)
    admin = _client(county, "county_admin")
    csrf = _csrf(admin.get("/admin/orgs").text)
    before = _snapshot(county)
    left = admin.post(
        "/admin/orgs/preview",
        data={"csrf_token": csrf, "effective": "2024-01-01"},
        files={"file": ("2024.csv", _later_file(villages_moved=False), "text/csv")},
    )
    assert left.status_code == 400
    assert left.text.count('data-code="orgs.town_codes"') == 2, left.text
    assert "荆湾村 没有新代码" in left.text
    shown = admin.post(
        "/admin/orgs/preview",
        data={"csrf_token": csrf, "effective": "2024-01-01"},
        files={"file": ("2024.csv", _later_file(villages_moved=True), "text/csv")},
    )
    assert shown.status_code == 200, shown.text
    assert f"撤并 {TOWN} 梅溪镇 并入 {SURVIVOR} 天荒坪镇" in shown.text
    assert f"迁移 {JINGWAN} 荆湾村 → 新代码 {NEW_JINGWAN}" in shown.text
    assert _snapshot(county) == before  # a preview writes nothing
    form = shown.text[shown.text.index('action="/admin/orgs/apply"') :]
    hidden = dict(
        re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form[: form.index("</form>")])
    )
    done = admin.post("/admin/orgs/apply", data=hidden, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert "user" in done.headers["location"]  # the accounts that followed are counted
    assert _people(county, NEW_JINGWAN) == jingwan
    _assert_merged(county)
