"""Loading a real county's org tree from the NBS codes; renames and 村→社区 as dated events."""

from __future__ import annotations

from datetime import date

import pytest

from onesheet.domain.access import CLI_ADMIN
from onesheet.domain.findings import InvalidInput
from onesheet.services import org_tree
from onesheet.services.reference import list_orgs
from tests.integration.dayone_files import division_rows, write_divisions, write_grids


def _units(store):
    return {u.code: u for u in list_orgs(store, CLI_ADMIN, under="330523")}


def test_load_gbk_file_with_grids_dry_run_then_apply(cli, store, tmp_path):
    f = write_divisions(tmp_path / "安吉县.csv", encoding="gbk")
    g = write_grids(tmp_path / "grids.csv")
    dry = cli("orgs", "load", str(f), "--grids", str(g), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "新增 330523108204 余村村" in dry.output
    assert "仅预览" in dry.output
    assert _units(store) == {}
    done = cli("orgs", "load", str(f), "--grids", str(g))
    assert done.exit_code == 0, done.output
    units = _units(store)
    assert units["330523"].name == "安吉县"
    assert units["330523108"].name == "天荒坪镇" and units["330523108"].kind == "镇"
    assert (
        units["330523108204"].name == "余村村" and units["330523108204"].parent_code == "330523108"
    )
    assert units["330523001030"].kind == "社区"
    assert units["330523108204001"].level == "grid"
    assert len(units) == 1 + 3 + 9 + 18
    again = cli("orgs", "load", str(f), "--grids", str(g))
    assert "新增 0" in again.output and "未变 31" in again.output


def test_rename_and_village_to_community_are_dated_events(store, tmp_path):
    f = write_divisions(tmp_path / "2023.csv")
    org_tree.load_org_tree(store, CLI_ADMIN, f.read_bytes(), f.name, effective=date(2023, 6, 30))
    rows = division_rows()
    changed = []
    for code, name, klass in rows:
        if code == "330523108204":
            name, klass = "余村社区居委会", "112"  # 村 → 社区
        if code == "330523108201":
            name = "井村新村村委会"  # renamed
        changed.append((code, name, klass))
    f2 = write_divisions(tmp_path / "2024.csv", changed)
    preview = org_tree.load_org_tree(
        store, CLI_ADMIN, f2.read_bytes(), f2.name, effective=date(2024, 3, 1), apply=False
    )
    assert preview.plan.counts()["rename"] == 2
    org_tree.load_org_tree(store, CLI_ADMIN, f2.read_bytes(), f2.name, effective=date(2024, 3, 1))
    now = _units(store)
    assert now["330523108204"].name == "余村社区" and now["330523108204"].kind == "社区"
    before = org_tree.org_as_of(store, CLI_ADMIN, "330523108204", date(2023, 12, 31))
    assert (before.name, before.kind, before.urban_rural) == ("余村村", "村", "220")
    after = org_tree.org_as_of(store, CLI_ADMIN, "330523108204", date(2024, 3, 1))
    assert (after.name, after.kind, after.urban_rural) == ("余村社区", "社区", "112")
    old = org_tree.org_as_of(store, CLI_ADMIN, "330523108201", date(2024, 1, 1))
    assert old.name == "井村村"
    events = org_tree.org_history(store, CLI_ADMIN, "330523108204")
    assert [(e.kind, e.effective) for e in events] == [("rename", date(2024, 3, 1))]


def test_merge_is_an_event_not_a_deletion(store, tmp_path):
    f = write_divisions(tmp_path / "d.csv")
    org_tree.load_org_tree(store, CLI_ADMIN, f.read_bytes(), f.name, effective=date(2023, 6, 30))
    org_tree.merge_org(store, CLI_ADMIN, "330523108207", "330523108204", effective=date(2024, 1, 1))
    gone = org_tree.org_as_of(store, CLI_ADMIN, "330523108207", date(2024, 6, 1))
    assert not gone.existed and gone.merged_into == "330523108204"
    was = org_tree.org_as_of(store, CLI_ADMIN, "330523108207", date(2023, 12, 1))
    assert was.existed and was.name == "大溪村"
    assert "330523108207" in _units(store)  # the row is kept


def test_bad_files_are_listed_with_row_and_reason_and_nothing_is_applied(store, tmp_path):
    rows = division_rows()
    rows.append(("330523999201", "孤村村委会", "220"))  # its town 330523999 is not listed
    rows.append(("330523108299", "余村村委会", "220"))  # same name under 天荒坪镇
    rows.append(("33052310820", "短码村", "220"))  # not a division code
    rows.append(("420683002201", "段湾村委会", "220"))  # a second county
    f = write_divisions(tmp_path / "bad.csv", rows)
    with pytest.raises(InvalidInput) as err:
        org_tree.load_org_tree(store, CLI_ADMIN, f.read_bytes(), f.name)
    codes = {x.code for x in err.value.findings}
    assert codes == {"orgs.code", "orgs.counties"}  # one county per file is checked first
    rows.pop()
    f = write_divisions(tmp_path / "bad.csv", rows)
    with pytest.raises(InvalidInput) as err:
        org_tree.load_org_tree(store, CLI_ADMIN, f.read_bytes(), f.name)
    found = {(x.code, x.row) for x in err.value.findings}
    n = len(division_rows()) + 1
    assert ("orgs.nesting", n + 1) in found
    assert ("orgs.duplicate_name", n + 2) in found
    assert ("orgs.code", n + 3) in found
    assert _units(store) == {}


def test_xlsx_with_codes_as_numbers(store, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["统计用区划代码", "城乡分类代码", "名称"])
    for code, name, klass in division_rows():
        ws.append([int(code), int(klass) if klass else None, name])  # Excel keeps numbers
    path = tmp_path / "安吉县.xlsx"
    wb.save(path)
    result = org_tree.load_org_tree(store, CLI_ADMIN, path.read_bytes(), path.name)
    assert result.plan.counts()["add"] == 13
    assert _units(store)["330523110207"].name == "荆湾村"
    assert (
        org_tree.org_as_of(store, CLI_ADMIN, "330523110207", date(2024, 1, 1)).urban_rural == "220"
    )
