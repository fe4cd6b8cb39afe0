"""Drawing a form sheet: heading trees, a grid of cells and merges, and its three writers.

The form generators (``make_heldout`` for the held-out set, ``forms_styles`` and
``make_forms`` for the development set) and the heading tests lay a sheet out the same
way: a heading tree (a leaf is a column, a ``(group, children)`` pair a group over its
children) placed at a row, with rows of values under it, into a :class:`Grid` that any of
the XLSX / XLS / ODS writers turns into a file. That drawing code lives here once, so a
generator says only what its forms look like. Changing anything here changes the committed
workbooks: regenerate them and compare their contents before committing.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

import xlsxwriter

Node = str | tuple[str, list["Node"]]
Cell = str | int | float | dt.date | None


def leaves(nodes: list[Node]) -> list[str]:
    """The columns of a heading tree, left to right."""
    out: list[str] = []
    for n in nodes:
        out.extend([n] if isinstance(n, str) else leaves(n[1]))
    return out


def depth(nodes: list[Node]) -> int:
    """How many heading rows the tree takes."""
    return max(1 if isinstance(n, str) else 1 + depth(n[1]) for n in nodes)


class Grid:
    """Cells and merges of one sheet, written by any of the three writers."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], object] = {}
        self.merges: list[tuple[int, int, int, int]] = []

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[object]]) -> Grid:
        """A plain sheet (an instruction or code-list sheet): the rows from A1."""
        g = cls()
        g.put_rows(0, rows)
        return g

    def put(self, r: int, c: int, v: object) -> None:
        if v is not None:
            self.cells[(r, c)] = v

    def merge(self, r0: int, c0: int, r1: int, c1: int, v: object) -> None:
        self.put(r0, c0, v)
        if (r0, c0) != (r1, c1):
            self.merges.append((r0, c0, r1, c1))

    def put_at(self, r: int, cells: Iterable[tuple[int, object]]) -> None:
        """Row ``r``'s cells given as ``(column, value)`` (unit lines, stamps, notes)."""
        for c, v in cells:
            self.put(r, c, v)

    def put_rows(self, r: int, rows: Iterable[Sequence[object]]) -> int:
        """Rows of values from column A, starting at row ``r``; returns the next free row."""
        for row in rows:
            for c, v in enumerate(row):
                self.put(r, c, v)
            r += 1
        return r


def heading(g: Grid, nodes: list[Node], r: int, c: int, bottom: int, typed: str = "merged") -> int:
    """Write a heading tree at (r, c), leaves reaching down to ``bottom``; returns the next
    column. ``typed`` says how a person typed a multi-row heading: ``merged``, or without
    merges — the label on the ``top`` or ``bottom`` row, or repeated in every cell (``fill``,
    WPS's "unmerge and fill")."""
    for n in nodes:
        if isinstance(n, str):
            if typed == "merged":
                g.merge(r, c, bottom, c, n)
            elif typed == "bottom":
                g.put(bottom, c, n)
            elif typed == "fill":
                for rr in range(r, bottom + 1):
                    g.put(rr, c, n)
            else:  # top
                g.put(r, c, n)
            c += 1
            continue
        name, children = n
        width = len(leaves(children))
        if typed == "merged":
            g.merge(r, c, r, c + width - 1, name)
        elif typed == "fill":
            for cc in range(c, c + width):
                g.put(r, cc, name)
        else:
            g.put(r, c, name)
        heading(g, children, r + 1, c, bottom, typed)
        c += width
    return c


def write_xlsx(path: Path, sheets: dict[str, Grid]) -> None:
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": dt.datetime(2024, 9, 30, 9, 0, 0)})
    fmt = wb.add_format({"border": 1, "text_wrap": True, "valign": "vcenter"})
    date = wb.add_format({"border": 1, "num_format": "yyyy-mm-dd"})
    for name, g in sheets.items():
        ws = wb.add_worksheet(name)
        merged = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in g.merges}
        for (r, c), v in sorted(g.cells.items()):
            if (r, c) in merged:
                r1, c1 = merged[(r, c)]
                ws.merge_range(r, c, r1, c1, "", fmt)
            if isinstance(v, dt.date):
                ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), date)
            else:
                ws.write(r, c, v, fmt)
    wb.close()


def write_xls(path: Path, sheets: dict[str, Grid]) -> None:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    date = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for name, g in sheets.items():
        ws = wb.add_sheet(name)
        merged = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in g.merges}
        for (r, c), v in sorted(g.cells.items()):
            if c > 255:
                continue
            if (r, c) in merged:
                r1, c1 = merged[(r, c)]
                ws.write_merge(r, r1, c, c1, v)
            elif isinstance(v, dt.date):
                ws.write(r, c, dt.datetime(v.year, v.month, v.day), date)
            else:
                ws.write(r, c, v)
    wb.save(str(path))


def write_ods(path: Path, sheets: dict[str, Grid]) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for name, g in sheets.items():
        table = Table(name=name)
        rows = max(r for r, _ in g.cells) + 1
        cols = max(c for _, c in g.cells) + 1
        spans = {(r0, c0): (r1 - r0 + 1, c1 - c0 + 1) for r0, c0, r1, c1 in g.merges}
        covered = {
            (r, c)
            for r0, c0, r1, c1 in g.merges
            for r in range(r0, r1 + 1)
            for c in range(c0, c1 + 1)
            if (r, c) != (r0, c0)
        }
        for r in range(rows):
            tr = TableRow()
            for c in range(cols):
                if (r, c) in covered:
                    tr.addElement(CoveredTableCell())
                    continue
                v = g.cells.get((r, c))
                attrs: dict[str, object] = {}
                if (r, c) in spans:
                    attrs["numberrowsspanned"], attrs["numbercolumnsspanned"] = spans[(r, c)]
                if isinstance(v, int | float) and not isinstance(v, bool):
                    cell = TableCell(valuetype="float", value=v, **attrs)
                elif isinstance(v, dt.date):
                    cell = TableCell(valuetype="date", datevalue=v.isoformat(), **attrs)
                else:
                    cell = TableCell(valuetype="string", **attrs) if v is not None else TableCell()
                if v is not None:
                    cell.addElement(P(text=str(v)))
                tr.addElement(cell)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    doc.save(str(path))


def write_cell(ws, r: int, c: int, v: Cell, fmt, day) -> None:  # type: ignore[no-untyped-def]
    """One XlsxWriter cell of the type its value has (a date in the ``day`` format)."""
    if v is None:
        if fmt is not None:
            ws.write_blank(r, c, None, fmt)
    elif isinstance(v, dt.date):
        ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), day)
    elif isinstance(v, str):
        ws.write_string(r, c, v, fmt)
    else:
        ws.write_number(r, c, v, fmt)


def clerk_xlsx(
    title: str, headings: Sequence[str], rows: Sequence[Sequence[Cell]], *, wrap: bool = False
) -> bytes:
    """A one-heading-row form as a clerk keeps it, in memory: merged title, unit line,
    headings (``wrap``: wrapped), the rows numbered in column A with an empty last column
    (备注), then the signature line."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_properties({"created": dt.datetime(2026, 6, 30, 9, 0, 0)})
    ws = wb.add_worksheet("Sheet1")
    cell = wb.add_format({"border": 1})
    head = {"border": 1, "bold": True, "align": "center"}
    head_fmt = wb.add_format({**head, "text_wrap": True} if wrap else head)
    day = wb.add_format({"border": 1, "num_format": "yyyy-mm-dd"})
    ws.merge_range(0, 0, 0, len(headings) - 1, title, wb.add_format({"bold": True}))
    ws.write_row(1, 0, ["填报单位（盖章）：", "", "", "填报日期："])
    ws.write_row(2, 0, list(headings), head_fmt)
    for i, row in enumerate(rows):
        r = 3 + i
        ws.write_number(r, 0, i + 1, cell)
        for j, v in enumerate(row):
            write_cell(ws, r, 1 + j, v, cell, day)
        ws.write_blank(r, len(headings) - 1, None, cell)
    ws.write_row(4 + len(rows), 0, ["填表人：", "", "审核人：", "", "联系电话："])
    wb.close()
    return buf.getvalue()


def rows_xlsx(sheets: dict[str, Sequence[Sequence[object]]]) -> bytes:
    """An in-memory workbook of plain rows, one list of rows per sheet, from A1; empty
    (``None``) cells are left out and ``ws.write`` picks each cell's type."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    for name, rows in sheets.items():
        ws = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is not None:
                    ws.write(r, c, v)
    book.close()
    return buf.getvalue()
