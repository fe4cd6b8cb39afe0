"""Data rows and the 待采集 list of the XLSX form (see :mod:`onesheet.export.xlsx`).

Everything here runs once per row or per cell, in XlsxWriter ``constant_memory`` mode: rows
are written strictly in order and only one household is held at a time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from onesheet.domain.template_spec import TemplateSpec
from onesheet.export.common import (
    LONG_DIGITS,
    MISSING_SHEET,
    RowNumberer,
    as_text,
    check_cells,
    is_text_column,
    listed_missing,
    missing_labels,
)
from onesheet.export.model import RenderRow
from onesheet.export.xlsx_fast import RawRows, supported
from onesheet.export.xlsx_formats import SheetFormats

_BIG = 10**LONG_DIGITS  # ints with more digits are identifiers: written as text
MAX_ROWS = 1_048_576  # per sheet; XlsxWriter silently drops writes beyond it


def record_merge(ws: Worksheet, r0: int, c0: int, r1: int, c1: int) -> None:
    """Record a merged range whose cells were already written in row order.

    Appends to ``Worksheet.merge``, the list XlsxWriter 3.x turns into ``<mergeCells>`` at
    close (the public ``merge_range`` cannot be used in constant_memory mode, see
    :mod:`onesheet.export.xlsx`). Ranges written here never overlap: heading merges are
    validated and household ranges are disjoint row spans. The tests read the merges back,
    so a change in XlsxWriter's internals fails loudly.

    This list is the one thing that grows with the report (~100 bytes per merged household
    range): XLSX stores ``<mergeCells>`` after all the rows, so it must be held until close.
    """
    ws.merge.append([r0, c0, r1, c1])


Cell = tuple[str, object, Format]  # kind ("s" text, "n" number, "b" blank), value, format


class RowSink:
    """Writes whole rows: as raw XML when XlsxWriter allows it (:mod:`xlsx_fast`), otherwise
    through the public per-cell API (same file, several times slower)."""

    def __init__(self, ws: Worksheet, n: int) -> None:
        self.ws = ws
        self.raw = RawRows(ws, n) if supported(ws) else None

    def write(self, r: int, cells: Sequence[Cell], height: float | None = None) -> None:
        raw = self.raw
        if raw is not None:
            raw.write(r, cells, height)
            return
        ws = self.ws
        if height is not None:
            ws.set_row(r, height)
        for c, (kind, value, fmt) in enumerate(cells):
            if kind == "s":
                ws.write_string(r, c, value, fmt)  # type: ignore[arg-type]
            elif kind == "n":
                ws.write_number(r, c, value, fmt)  # type: ignore[arg-type]
            else:
                ws.write_blank(r, c, None, fmt)


class MissingSheet:
    """The 待采集 sheet: 对象 / 字段 / 原因 — per object and reason, the fields it lacks.

    One row per (object, reason) with its fields joined by "、" rather than one row per value:
    a cadre collects an object's values in one visit, and a 100,000-row roster with four gaps
    a row would otherwise make a 400,000-row list (and write four times the cells).
    ``count`` counts values, not rows. Written as items arrive; constant_memory keeps a row
    order per sheet, so interleaving with the form's rows is fine.
    """

    def __init__(self, workbook: Workbook, fmts: SheetFormats) -> None:
        self.ws = workbook.add_worksheet(MISSING_SHEET)
        self.cell = fmts.list_cell
        self.count = 0
        self.row = 0
        for c, (heading, width) in enumerate((("对象", 30), ("字段", 24), ("原因", 40))):
            self.ws.set_column(c, c, width)
            self.ws.write_string(0, c, heading, fmts.list_heading)
        self.ws.freeze_panes(1, 0)
        self.ws.set_paper(9)
        self.ws.fit_to_pages(1, 0)
        self.ws.repeat_rows(0)
        self.sink = RowSink(self.ws, 3)

    def add(self, entity: str, field: str, why: str, values: int = 1) -> None:
        """One row: ``field`` (one label, or several joined) of ``entity`` lacks ``why``."""
        self.count += values
        self.row += 1
        cell = self.cell
        self.sink.write(self.row, [("s" if t else "b", t, cell) for t in (entity, field, why)])

    def add_row_items(self, entity: str, items: Sequence[tuple[str, str]]) -> None:
        """A form row's (field, why) items, one list row per distinct reason."""
        by_why: dict[str, list[str]] = {}
        for label, why in items:
            by_why.setdefault(why, []).append(label)
        for why, labels in by_why.items():
            self.add(entity, "、".join(labels), why, len(labels))

    def finish(self) -> None:
        """Write "无" when nothing is missing, so the sheet always says so explicitly."""
        if self.row == 0:
            cell = self.cell
            self.sink.write(1, [("s", "无", cell), ("b", None, cell), ("b", None, cell)])


class DataWriter:
    """Writes data rows in order, merging household columns over each household's rows."""

    def __init__(
        self,
        ws: Worksheet,
        spec: TemplateSpec,
        fmts: SheetFormats,
        first_row: int,
        missing: MissingSheet,
    ) -> None:
        cols = spec.columns
        self.ws, self.fmts, self.missing = ws, fmts, missing
        self.n = len(cols)
        self.next_row = first_row
        self.rows = 0
        self.merged = frozenset(i for i, c in enumerate(cols) if c.merge_by_household)
        self.row_no = next((i for i, c in enumerate(cols) if c.kind == "row_no"), None)
        self.numberer = RowNumberer(per_household=self.row_no in self.merged)
        self.force_text = [is_text_column(c) for c in cols]
        self.labels = missing_labels(cols)
        self.sink = RowSink(ws, self.n)
        self.height = spec.layout.data_height  # the original's data row height, if set

    def write_group(self, group: list[RenderRow]) -> None:
        """One household (or a lone row); merged columns show the first row's value."""
        first = self.next_row
        top_fmts: dict[int, Format] = {}
        for k, row in enumerate(group):
            self._write_row(row, k == 0, top_fmts)
        if len(group) > 1:
            for c in self.merged:
                record_merge(self.ws, first, c, self.next_row - 1, c)

    def _write_row(self, row: RenderRow, top: bool, top_fmts: dict[int, Format]) -> None:
        check_cells(row, self.n)
        r = self.next_row
        if r >= MAX_ROWS:
            raise ValueError(f"more rows than one XLSX sheet holds ({MAX_ROWS:,}): use CSV")
        values = list(row.cells)
        number = self.numberer.number(row)
        if self.row_no is not None and number is not None:
            values[self.row_no] = number
        fmts = self.fmts
        cells = self._cells(values, row.is_total)
        if row.missing:
            listed = listed_missing(row, top, self.merged, self.n)
            for c, _why in listed:
                cells[c] = ("b", None, fmts.missing[c])
            if listed:
                items = [(self.labels[c], why) for c, why in listed]
                self.missing.add_row_items(row.entity_label, items)
        for c in self.merged:
            if top:
                top_fmts[c] = cells[c][2]
            else:  # inside the merged range: a blank carrying the top cell's format
                cells[c] = ("b", None, top_fmts[c])
        self.sink.write(r, cells, self.height)
        self.next_row += 1
        self.rows += 1

    def _cells(self, values: list[object], total: bool) -> list[Cell]:
        """The hot loop: each value as text, number or blank; strings always stay strings."""
        text_f = self.fmts.text_total if total else self.fmts.text
        num_f = self.fmts.number_total if total else self.fmts.number
        force_text = self.force_text
        out: list[Cell] = []
        append = out.append
        for c, v in enumerate(values):
            t = type(v)
            if t is str:
                append(("s", v, text_f[c]) if v else ("b", None, text_f[c]))
            elif v is None:
                append(("b", None, text_f[c]))
            elif t is int:
                if force_text[c] or not -_BIG < v < _BIG:  # type: ignore[operator]
                    append(("s", str(v), text_f[c]))
                else:
                    append(("n", v, num_f[c]))
            elif t is float or t is Decimal:
                f = float(v)  # type: ignore[arg-type]
                append(("n", f, num_f[c]) if math.isfinite(f) else ("b", None, text_f[c]))
            else:
                append(("s", as_text(v), text_f[c]))
        return out
