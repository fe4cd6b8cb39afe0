"""Data rows and the 待采集 list of the XLSX form (see :mod:`onesheet.export.xlsx`).

Everything here runs once per row or per cell, in XlsxWriter ``constant_memory`` mode: rows
are written strictly in order and only one household is held at a time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
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


CellWriter = Callable[..., int]


def cell_writers(ws: Worksheet) -> tuple[CellWriter, CellWriter, CellWriter]:
    """``write_string``/``write_number``/``write_blank`` for the hot loop.

    XlsxWriter's public methods are wrapped by a decorator that accepts "A1" notation; the
    undecorated ``_write_*`` twins take ``(row, col, value, format)`` directly and save ~10 %
    of a form's write time (bench/xlsx_writers.py). They are private, so fall back to the
    public methods if a future XlsxWriter drops them.
    """
    names = ("write_string", "write_number", "write_blank")
    private = [getattr(ws, "_" + name, None) for name in names]
    if all(callable(f) for f in private):
        return private[0], private[1], private[2]  # type: ignore[return-value]
    return ws.write_string, ws.write_number, ws.write_blank


class MissingSheet:
    """The 待采集 sheet: 对象 / 字段 / 原因, one row per value the sheet lacks.

    Written as items arrive; constant_memory keeps a row order per sheet, so interleaving
    with the form's rows is fine.
    """

    def __init__(self, workbook: Workbook, fmts: SheetFormats) -> None:
        self.ws = workbook.add_worksheet(MISSING_SHEET)
        self.cell = fmts.list_cell
        self.count = 0
        for c, (heading, width) in enumerate((("对象", 30), ("字段", 24), ("原因", 40))):
            self.ws.set_column(c, c, width)
            self.ws.write_string(0, c, heading, fmts.list_heading)
        self.ws.freeze_panes(1, 0)
        self.ws.set_paper(9)
        self.ws.fit_to_pages(1, 0)
        self.ws.repeat_rows(0)

    def add(self, entity: str, field: str, why: str) -> None:
        self.count += 1
        for c, text in enumerate((entity, field, why)):
            self.ws.write_string(self.count, c, text, self.cell)

    def finish(self) -> None:
        """Write "无" when nothing is missing, so the sheet always says so explicitly."""
        if self.count == 0:
            self.ws.write_string(1, 0, "无", self.cell)
            self.ws.write_blank(1, 1, None, self.cell)
            self.ws.write_blank(1, 2, None, self.cell)


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
        self.cell_writers = cell_writers(ws)

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
        text_f = fmts.text_total if row.is_total else fmts.text
        num_f = fmts.number_total if row.is_total else fmts.number
        self._write_values(r, values, text_f, num_f)
        special: dict[int, Format] = {}
        if row.missing:
            for c, why in listed_missing(row, top, self.merged, self.n):
                special[c] = fmts.missing[c]
                self.missing.add(row.entity_label, self.labels[c], why)
        for c in self.merged:
            if top:
                top_fmts[c] = special.get(c) or _format_for(
                    values[c], text_f[c], num_f[c], self.force_text[c]
                )
            else:
                special[c] = top_fmts[c]
        for c, fmt in special.items():  # overwrite in place: row r is still the open row
            self.ws.write_blank(r, c, None, fmt)
        self.next_row += 1
        self.rows += 1

    def _write_values(
        self, r: int, values: list[object], text_f: list[Format], num_f: list[Format]
    ) -> None:
        """The hot loop: type-dispatched writes, strings always as strings."""
        write_string, write_number, write_blank = self.cell_writers
        force_text = self.force_text
        for c, v in enumerate(values):
            t = type(v)
            if t is str:
                if v:
                    write_string(r, c, v, text_f[c])
                else:
                    write_blank(r, c, None, text_f[c])
            elif v is None:
                write_blank(r, c, None, text_f[c])
            elif t is int:
                if force_text[c] or not -_BIG < v < _BIG:  # type: ignore[operator]
                    write_string(r, c, str(v), text_f[c])
                else:
                    write_number(r, c, v, num_f[c])  # type: ignore[arg-type]
            elif t is float or t is Decimal:
                f = float(v)  # type: ignore[arg-type]
                if math.isfinite(f):
                    write_number(r, c, f, num_f[c])
                else:
                    write_blank(r, c, None, text_f[c])
            else:
                write_string(r, c, as_text(v), text_f[c])


def _format_for(value: object, text_f: Format, num_f: Format, force_text: bool) -> Format:
    """The format a merged household cell's top value was written with (see the hot loop)."""
    if type(value) in (float, Decimal):
        return num_f
    if type(value) is int and not force_text and -_BIG < value < _BIG:  # type: ignore[operator]
        return num_f
    return text_f
