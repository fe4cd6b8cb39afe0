"""A village merged into another: its people, households and open tasks follow the survivor
as dated events and observations (nothing deleted), and reads as of an earlier day still
place them in the old village. Through ``orgs merge`` and through a later division file."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from sqlalchemy import func, insert, select
from typer.testing import CliRunner

from onesheet.cli.main import app
from onesheet.domain.access import CLI_ADMIN
from onesheet.domain.findings import InvalidInput
from onesheet.services import org_tree
from onesheet.store.schema import sheet_table, table
from tests.integration.dayone_files import division_rows
from tests.integration.helpers import load_day_one

runner = CliRunner()
OLD, SURVIVOR = "330523108207", "330523108204"  # 大溪村 → 余村村


@pytest.fixture
def county(store, tmp_path):
    load_day_one(store, tmp_path, as_of=date(2023, 7, 1))
    return store


def _placed(store, org):
    with store.engine.connect() as conn:
        out = {}
        for kind in ("person", "household"):
            t = sheet_table(kind)
            out[kind] = set(
                conn.execute(select(t.c.entity_id).where(t.c.org_code == org)).scalars()
            )
        return out


def _tasks(store, rows):
    t = table("collection_task")
    now = datetime(2023, 12, 1)
    with store.transaction() as conn:
        for org, template, status, items in rows:
            tid = conn.execute(
                insert(t).values(
                    template_id=template, county_code="330523", org_code=org, period="2023-12",
                    status=status, items_total=items, items_filled=0, created_at=now,
                ).returning(t.c.id)
            ).scalar_one()  # fmt: skip
            for i in range(items):
                conn.execute(
                    insert(table("task_item")).values(
                        task_id=tid, entity_id=1000 + tid * 10 + i, field_key="person.phone",
                        county_code="330523", reason="missing", status="open",
                    )
                )  # fmt: skip


def _task_rows(store):
    t = table("collection_task")
    with store.engine.connect() as conn:
        return {
            (r.template_id, r.org_code, r.status): r.items_total for r in conn.execute(select(t))
        }


def test_people_households_and_open_tasks_follow_and_history_still_reads(county, database_url):
    before = _placed(county, OLD)
    survivors = _placed(county, SURVIVOR)
    assert before["person"] and before["household"]
    _tasks(
        county,
        [(OLD, "t.own", "open", 2), (OLD, "t.both", "open", 3), (SURVIVOR, "t.both", "open", 1),
         (OLD, "t.done", "done", 0)],
    )  # fmt: skip
    with county.engine.connect() as conn:
        entities = conn.execute(select(func.count()).select_from(table("entity"))).scalar()
    moved = org_tree.merge_org(county, CLI_ADMIN, OLD, SURVIVOR, effective=date(2024, 1, 1))
    assert moved.entities == {
        "person": len(before["person"]),
        "household": len(before["household"]),
    }
    assert (moved.open_tasks_moved, moved.open_tasks_joined) == (1, 1)
    after = _placed(county, SURVIVOR)
    assert after["person"] == survivors["person"] | before["person"]
    assert after["household"] == survivors["household"] | before["household"]
    assert _placed(county, OLD) == {"person": set(), "household": set()}
    tasks = _task_rows(county)
    assert tasks[("t.own", SURVIVOR, "open")] == 2
    assert tasks[("t.both", SURVIVOR, "open")] == 4  # joined: 1 + 3 items
    assert tasks[("t.both", OLD, "merged")] == 0  # kept, emptied, never deleted
    assert ("t.done", OLD, "done") in tasks  # finished work stays the old village's history
    someone = min(before["person"])
    assert org_tree.entity_org_as_of(county, CLI_ADMIN, someone, date(2023, 12, 31)) == OLD
    assert org_tree.entity_org_as_of(county, CLI_ADMIN, someone, date(2024, 1, 1)) == SURVIVOR
    stayed = min(survivors["person"])
    assert org_tree.entity_org_as_of(county, CLI_ADMIN, stayed, date(2023, 12, 31)) == SURVIVOR
    log = table("observation")
    with county.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(table("entity"))).scalar() == entities
        placements = conn.execute(
            select(log.c.entity_id, log.c.source, log.c.value, log.c.reason).where(
                log.c.field_key == "entity.org_code"
            )
        ).all()
    assert {p.entity_id for p in placements} == before["person"] | before["household"]
    assert {(p.source, p.value, p.reason) for p in placements} == {
        ("org_tree", SURVIVOR, f"merge {OLD}→{SURVIVOR}")
    }
    gone = org_tree.org_as_of(county, CLI_ADMIN, OLD, date(2024, 2, 1))
    assert not gone.existed and gone.merged_into == SURVIVOR
    check = runner.invoke(app, ["--database-url", database_url, "sheet", "rebuild", "--check"])
    assert check.exit_code == 0, check.output


def _with_merge_column(path, merges, drop=(), extra=()):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["统计用区划代码", "城乡分类代码", "名称", "并入"])
    for code, name, klass in [*division_rows(), *extra]:
        if code not in drop:
            w.writerow([code, klass, name, merges.get(code, "")])
    path.write_bytes(buf.getvalue().encode())
    return path


def test_a_later_file_merges_and_moves_villages_after_a_preview(county, tmp_path, database_url):
    old_people = _placed(county, OLD)["person"]
    moved_people = _placed(county, "330523001211")["person"]
    # 大溪村 merged into 余村村; 鲁家村 moved from 递铺街道 to 天荒坪镇 under a new code
    f = _with_merge_column(
        tmp_path / "2024.csv", {OLD: SURVIVOR}, drop={"330523001211"},
        extra=[("330523108220", "鲁家村委会", "220")],
    )  # fmt: skip
    preview = runner.invoke(
        app, ["--database-url", database_url, "orgs", "load", str(f), "--dry-run",
              "--effective", "2024-01-01"],
    )  # fmt: skip
    assert preview.exit_code == 0, preview.output
    assert f"撤并 {OLD} 大溪村 并入 {SURVIVOR} 余村村" in preview.output
    assert "迁移 330523001211 鲁家村 → 新代码 330523108220" in preview.output
    assert "撤并 1，迁移 1" in preview.output.replace("\n", "")
    assert _placed(county, OLD)["person"] == old_people  # a preview writes nothing
    done = runner.invoke(
        app, ["--database-url", database_url, "orgs", "load", str(f), "--effective", "2024-01-01"]
    )
    assert done.exit_code == 0, done.output
    assert "随迁" in done.output
    assert old_people <= _placed(county, SURVIVOR)["person"]
    assert _placed(county, "330523108220")["person"] == moved_people
    someone = min(moved_people)
    assert org_tree.entity_org_as_of(county, CLI_ADMIN, someone, date(2023, 12, 31)) == (
        "330523001211"
    )
    events = org_tree.org_history(county, CLI_ADMIN, "330523001211")
    assert [(e.kind, e.into_code) for e in events] == [("move", "330523108220")]


def test_a_merge_into_an_unknown_or_other_level_unit_is_refused(county, tmp_path):
    f = _with_merge_column(tmp_path / "bad.csv", {OLD: "330523108000"})  # into a town
    with pytest.raises(InvalidInput) as err:
        org_tree.load_org_tree(county, CLI_ADMIN, f.read_bytes(), f.name)
    assert [(x.code, x.row) for x in err.value.findings] == [
        ("orgs.merge_level", 11)
    ]  # header + 9 rows above
    f = _with_merge_column(tmp_path / "bad2.csv", {OLD: "330523108299"})  # not loaded
    with pytest.raises(InvalidInput) as err:
        org_tree.load_org_tree(county, CLI_ADMIN, f.read_bytes(), f.name)
    assert [x.code for x in err.value.findings] == ["orgs.merge_unknown"]
    assert _placed(county, OLD)["person"]  # nothing applied
