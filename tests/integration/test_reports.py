"""One-click reports on both backends: every generated cell compared with the sheet.

The expected values are computed here from ``SELECT *`` on the sheet tables and plain
Python (ages, counts, code names), not through the report code.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from onesheet.domain.access import CLI_ADMIN, AccessDenied, Actor, field_visibility
from onesheet.domain.derived import age_on
from onesheet.domain.findings import InvalidInput
from onesheet.domain.masking import mask_value
from onesheet.domain.template_spec import Condition
from onesheet.services.base import Store, utcnow
from onesheet.services.reports import report_history, run_report
from onesheet.store.templates import TemplateNotApproved, TemplateNotFound, insert_template
from tests.integration.helpers import seed_small
from tests.reports.support import (
    REPORT_DATE,
    add_template,
    children,
    load_spec,
    org_names,
    sheet_rows,
)

YELLOW = "FFFFFF99"


def _code_name(store: Store, field: str, code: str | None) -> str | None:
    if code is None:
        return None
    f = store.dictionary.fields[field]
    return store.dictionary.code_tables[f.code_table or ""].name_of(code)


def _order(p: dict) -> tuple:  # type: ignore[type-arg]
    hh, rel = p["household"], p["relationship_to_head"]
    return (p["org_code"], hh is None, hh or 0, rel is None, rel or "", p["entity_id"])


def _town(store: Store) -> str:
    return children(store, "330523")[0]


def _data_rows(ws, first: int, n_cols: int) -> list[list[object]]:  # type: ignore[no-untyped-def]
    rows = []
    for r in ws.iter_rows(min_row=first, max_col=n_cols, values_only=True):
        if all(v is None for v in r):
            break
        rows.append(list(r))
    return rows


def _people_expected(store: Store, actor: Actor, org: str) -> list[list[object]]:
    names = org_names(store)
    people = sorted(
        (p for p in sheet_rows(store, "person") if p["org_code"].startswith(org)), key=_order
    )
    id_vis = field_visibility(actor, store.dictionary.fields["person.id_number"], store.grants)
    phone_vis = field_visibility(actor, store.dictionary.fields["person.phone"], store.grants)
    out = []
    for i, p in enumerate(people, 1):
        out.append(
            [
                i,
                p["name"],
                _code_name(store, "person.gender", p["gender"]),
                _code_name(store, "person.ethnicity", p["ethnicity"]),
                mask_value("id_number", p["id_number"]) if id_vis == "masked" else p["id_number"],
                p["birth_date"].isoformat() if p["birth_date"] else None,
                _code_name(store, "person.marital_status", p["marital_status"]),
                _code_name(store, "person.education", p["education"]),
                None if p["is_dibao"] is None else ("是" if p["is_dibao"] else "否"),
                mask_value("phone", p["phone"]) if phone_vis == "masked" else p["phone"],
                names.get(p["org_code"][:15]),
                _code_name(store, "person.religion", p["religion"]),
                None,
            ]
        )
    return out


def test_people_roster_every_cell_xlsx_and_csv(store: Store, tmp_path: Path) -> None:
    seed_small(store)
    add_template(store, "people_roster")
    town = _town(store)
    expected = _people_expected(store, CLI_ADMIN, town)
    out = tmp_path / "people.xlsx"
    result = run_report(store, CLI_ADMIN, "people_roster", town, REPORT_DATE, "xlsx", out)
    assert result.rows == len(expected) > 50
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    town_name = org_names(store)[town]
    assert ws["A1"].value == f"{town_name}人口花名册"
    assert ws["A2"].value == f"填报单位（盖章）：{town_name}　　　　填报日期：2026年11月30日"
    assert ws["B3"].value == "基本情况" and ws["B4"].value == "姓名"
    merges = {str(m) for m in ws.merged_cells.ranges}
    assert {"B3:F3", "A3:A4", "G3:G4", "A1:M1", "A2:M2"} <= merges
    got = _data_rows(ws, 5, 13)
    assert got == expected
    for r in range(5, 5 + len(expected)):
        assert ws.cell(r, 5).data_type == "s"  # ID numbers as text, never 3.3E+17
        assert ws.cell(r, 13).fill.fgColor.rgb == YELLOW  # unmapped column: to collect
    missing = wb["待采集"]
    listed = list(missing.iter_rows(min_row=2, values_only=True))
    empty = sum(v is None for row in expected for v in row[1:12])
    # one list row per person and reason, naming all the fields that person lacks
    assert sum(len(r[1].split("、")) for r in listed) == empty + len(expected)
    assert result.values_missing == empty + len(expected)
    unmapped = [r for r in listed if r[2] == "模板此列未对应数据字典字段"]
    assert len(unmapped) == len(expected) and all(r[1] == "工作单位（待定）" for r in unmapped)
    assert result.values_filled == sum(v is not None for row in expected for v in row[1:12])

    csv_out = tmp_path / "people.csv"
    run_report(store, CLI_ADMIN, "people_roster", town, REPORT_DATE, "csv", csv_out)
    assert csv_out.read_bytes().startswith(b"\xef\xbb\xbf")
    with csv_out.open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))
    body = lines[4 : 4 + len(expected)]
    assert body == [["" if v is None else str(v) for v in row] for row in expected]


def test_dibao_roster_for_a_village_cadre(store: Store, tmp_path: Path) -> None:
    seed_small(store, people=600)
    add_template(store, "dibao_roster")
    village = children(store, _town(store))[0]
    cadre = Actor("cadre", "village", village)
    households = {
        h["entity_id"]: h
        for h in sheet_rows(store, "household")
        if h["is_dibao"] and h["org_code"].startswith(village)
    }
    people = {p["entity_id"]: p for p in sheet_rows(store, "person")}
    members = sorted((p for p in people.values() if p["household"] in households), key=_order)
    assert members, "the seed has 低保 households in the first village"
    out = tmp_path / "dibao.xlsx"
    result = run_report(store, cadre, "dibao_roster", village, REPORT_DATE, "xlsx", out)
    ws = openpyxl.load_workbook(out).worksheets[0]
    got = _data_rows(ws, 5, 15)
    assert len(got) == result.rows == len(members)
    size = {hid: sum(1 for p in people.values() if p["household"] == hid) for hid in households}
    seen: dict[int, int] = {}
    merges = {str(m) for m in ws.merged_cells.ranges}
    for k, (row, p) in enumerate(zip(got, members, strict=True)):
        h = households[p["household"]]
        head = people[h["head"]]
        first = p["household"] not in seen
        seen.setdefault(p["household"], k)
        household_cells = [
            len(seen),
            h["household_no"],
            head["name"],
            mask_value("id_number", head["id_number"]),
            None if h["dibao_amount"] is None else Decimal(h["dibao_amount"]),
        ]
        if first:
            amount = row[4]
            assert row[:4] == household_cells[:4]
            assert (None if amount is None else Decimal(str(amount))) == household_cells[4]
            assert row[12] == size[p["household"]]
        else:
            assert row[:5] == [None] * 5 and row[12] is None  # inside the merged range
        bd = p["birth_date"]
        assert row[5:12] == [
            p["name"],
            _code_name(store, "person.relationship_to_head", p["relationship_to_head"]),
            mask_value("id_number", p["id_number"]),
            f"{bd.year}.{bd.month:02d}",
            age_on(bd, REPORT_DATE),
            _code_name(store, "person.disability_grade", p["disability_grade"]),
            mask_value("phone", p["phone"]) if p["phone"] else None,
        ]
    for hid, start in seen.items():
        n = sum(1 for p in members if p["household"] == hid)
        if n > 1:
            for col in "ABCDEM":
                assert f"{col}{5 + start}:{col}{4 + start + n}" in merges
    assert "F3:J3" in merges and ws["F3"].value == "家庭成员"
    # another village's cadre is refused; the cadre's own report was recorded
    other = children(store, _town(store))[1]
    with pytest.raises(AccessDenied):
        run_report(store, cadre, "dibao_roster", other, REPORT_DATE, "xlsx", tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()
    runs = report_history(store, Actor("t", "town", _town(store)))
    assert [(r.template_id, r.org_code, r.rows) for r in runs] == [
        ("dibao_roster", village, len(members))
    ]


def _expected_counts(store: Store, org: str) -> dict[str, list[object]]:
    """Per child unit: the 12 cells of population_stats computed in plain Python."""
    households = {h["entity_id"]: h for h in sheet_rows(store, "household")}
    out = {}
    for child in children(store, org):
        ps = [p for p in sheet_rows(store, "person") if p["org_code"].startswith(child)]
        ages = [age_on(p["birth_date"], REPORT_DATE) for p in ps if p["birth_date"]]
        heads = [p for p in ps if p["relationship_to_head"] in ("01", "02")]
        amount = sum(
            (households[p["household"]]["dibao_amount"] or 0 for p in heads if p["household"]),
            Decimal(0),
        )
        out[child] = [
            len(ps),
            sum(p["gender"] == "1" for p in ps),
            sum(p["gender"] == "2" for p in ps),
            sum(a < 18 for a in ages),
            sum(18 <= a < 60 for a in ages),
            sum(a >= 60 for a in ages),
            sum(a >= 80 for a in ages),
            sum(bool(p["is_dibao"]) for p in ps),
            sum(p["disability_grade"] in ("1", "2") for p in ps),
            sum(p["disability_grade"] in ("3", "4") for p in ps),
            sum(p["ethnicity"] != "01" for p in ps),
            amount,
        ]
    return out


@pytest.mark.parametrize("level", ["county", "town"])
def test_aggregate_counts_match_python(store: Store, tmp_path: Path, level: str) -> None:
    seed_small(store)
    add_template(store, "population_aggregate")
    org = "330523" if level == "county" else _town(store)
    expected = _expected_counts(store, org)
    names = org_names(store)
    out = tmp_path / "stats.xlsx"
    result = run_report(store, CLI_ADMIN, "population_stats", org, REPORT_DATE, "xlsx", out)
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert (
        ws["D3"].value == "性别"
        and ws["D4"].value == "男"
        and "D3:E3" in {str(m) for m in ws.merged_cells.ranges}
    )
    got = _data_rows(ws, 5, 15)
    assert result.rows == len(got) == len(expected) + 1
    for i, (code, cells) in enumerate(expected.items()):
        row = got[i]
        assert row[:2] == [i + 1, names[code]]
        assert row[2:13] == cells[:11]
        assert Decimal(str(row[13] or 0)) == cells[11]
    total = got[-1]
    assert total[0] is None and total[1] == "合计"
    assert total[2:13] == [sum(c[k] for c in expected.values()) for k in range(11)]
    assert ws.cell(5 + len(expected), 2).font.b


def test_aggregate_by_village_for_the_county(store: Store, tmp_path: Path) -> None:
    seed_small(store)
    add_template(store, "population_aggregate")
    villages = [v for town in children(store, "330523") for v in children(store, town)]
    people = sheet_rows(store, "person")
    out = tmp_path / "by_village.csv"
    result = run_report(
        store, CLI_ADMIN, "population_stats", "330523", REPORT_DATE, "csv", out, rows_by="village"
    )
    assert result.rows == len(villages) + 1
    with out.open(encoding="utf-8-sig", newline="") as fh:
        body = list(csv.reader(fh))[4 : 4 + result.rows]
    names = org_names(store)
    assert [r[1] for r in body] == [names[v] for v in villages] + ["合计"]
    for row, v in zip(body, villages, strict=False):
        assert int(row[2]) == sum(p["org_code"].startswith(v) for p in people)
    assert int(body[-1][2]) == len(people)


def test_department_sees_granted_fields_only(store: Store, tmp_path: Path) -> None:
    seed_small(store)
    add_template(store, "people_roster")
    town = _town(store)
    for dept, id_masked in (("civil_affairs", False), ("health", True)):
        actor = Actor(dept, "department", "330523", department=dept)
        out = tmp_path / f"{dept}.xlsx"
        run_report(store, actor, "people_roster", town, REPORT_DATE, "xlsx", out)
        wb = openpyxl.load_workbook(out)
        rows = _data_rows(wb.worksheets[0], 5, 13)
        assert all(("*" in r[4]) == id_masked for r in rows)
        assert all(r[11] is None for r in rows)  # religion is not granted: column left empty
        notes = [r for r in wb["待采集"].iter_rows(min_row=2, values_only=True)]
        assert ("全部人员", "宗教信仰", "无权查看此字段（需经审核授予字段权限），整列留空") in notes


def test_refusals(store: Store, tmp_path: Path) -> None:
    seed_small(store)
    add_template(store, "people_roster", status="submitted")
    bad = load_spec("people_roster").model_copy(
        update={"id": "bad", "filter": Condition(field="person.shoe_size", op="eq", value="1")}
    )
    bad_value = bad.model_copy(
        update={"id": "bad2", "filter": Condition(field="person.gender", op="eq", value="X")}
    )
    with store.transaction() as conn:
        insert_template(conn, bad, status="approved", actor="t", at=utcnow())
        insert_template(conn, bad_value, status="approved", actor="t", at=utcnow())
    town = _town(store)
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    with pytest.raises(InvalidInput, match=r"person\.shoe_size is not in the dictionary"):
        run_report(store, CLI_ADMIN, "bad", town, None, "xlsx", tmp_path / "a.xlsx")
    with pytest.raises(InvalidInput, match="'X' is not a code"):
        run_report(store, CLI_ADMIN, "bad2", town, None, "xlsx", tmp_path / "a.xlsx")
    with pytest.raises(TemplateNotApproved, match="not approved"):
        run_report(store, CLI_ADMIN, "people_roster", town, None, "xlsx", tmp_path / "a.xlsx")
    with pytest.raises(TemplateNotFound, match="no template"):
        run_report(store, CLI_ADMIN, "nope", town, None, "xlsx", tmp_path / "a.xlsx")
    with pytest.raises(AccessDenied):
        run_report(store, Actor("r", "reviewer", None), "x", town, None, "csv", tmp_path / "a")
    assert not list(tmp_path.iterdir())


def test_json_format(store: Store, tmp_path: Path) -> None:
    seed_small(store)
    add_template(store, "population_aggregate")
    out = tmp_path / "s.json"
    run_report(store, CLI_ADMIN, "population_stats", "330523", date(2026, 11, 30), "json", out)
    doc = json.loads(out.read_text())
    assert doc["columns"][2]["heading"] == "总人口"
    assert doc["rows"][-1][1] == "合计"
    assert doc["rows"][-1][2] == len(sheet_rows(store, "person"))


def test_cli_run_and_history(database_url: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from onesheet.cli.main import app

    store = Store.from_url(database_url)
    seed_small(store)
    add_template(store, "dibao_roster")
    town = _town(store)
    runner = CliRunner()
    base = ["--database-url", database_url, "reports"]
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    out = tmp_path / "低保.csv"
    args = ["run", "dibao_roster", "--org", town, "--date", "2026-11-30", "--out", str(out)]
    done = runner.invoke(app, [*base, *args, "--encoding", "gb18030"])
    assert done.exit_code == 0, done.output
    text = out.read_bytes().decode("gb18030")
    assert text.startswith("城乡居民最低生活保障对象花名册") and "2026年11月30日" in text
    refused = runner.invoke(
        app, [*base, "run", "nope", "--org", town, "--out", str(tmp_path / "n.xlsx")]
    )
    assert refused.exit_code == 2 and "没有报表模板" in refused.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["低保.csv"]  # nothing half-written
    listed = runner.invoke(app, [*base, "history", "--json"])
    runs = json.loads(listed.output)
    assert [(r["template_id"], r["format"], r["org_code"]) for r in runs] == [
        ("dibao_roster", "csv", town)
    ]
    store.engine.dispose()


def test_filters_cannot_compare_masked_values(store: Store, tmp_path: Path) -> None:
    """A masked viewer's report may test a masked field only for being filled: a comparison
    (which rows it lets through, how many it counts) would give back hidden digits."""
    seed_small(store)
    add_template(store, "people_roster")
    add_template(store, "population_aggregate")
    town = _town(store)
    probe = Condition(field="person.id_number", op="eq", value="330523199001010016")
    roster = load_spec("people_roster").model_copy(update={"id": "probe", "filter": probe})
    agg = load_spec("population_aggregate")
    counted = agg.model_copy(
        update={
            "id": "probe_agg",
            "columns": [
                c.model_copy(update={"condition": probe}) if c.kind == "count" else c
                for c in agg.columns
            ],
        }
    )
    filled = roster.model_copy(
        update={"id": "filled", "filter": Condition(field="person.id_number", op="not_null")}
    )
    with store.transaction() as conn:
        for spec in (roster, counted, filled):
            insert_template(conn, spec, status="approved", actor="t", at=utcnow())
    cadre = Actor("c", "town", town)
    for template in ("probe", "probe_agg"):
        with pytest.raises(AccessDenied, match="masked"):
            run_report(store, cadre, template, town, REPORT_DATE, "csv", tmp_path / "x.csv")
        run_report(store, CLI_ADMIN, template, town, REPORT_DATE, "csv", tmp_path / "a.csv")
    result = run_report(store, cadre, "filled", town, REPORT_DATE, "csv", tmp_path / "f.csv")
    assert result.rows > 0
