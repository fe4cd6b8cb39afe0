"""Write a form as CSV: the same rows as the XLSX, flattened, for systems that want text.

CSV has no types, merges or fills, so: the title, unit/date and footer lines are one-cell
rows (a template that kept its form's rows puts each line on the form's row and each text in
its column, data from the form's first data row, as the XLSX does); each heading row is
written as is, a merged group's text only in its first cell;
household values are written on every row (each row stands alone); missing values are
empty (the 待采集 list exists only in the XLSX).

Digit strings are written exactly as given. Excel, opening a CSV, still turns an 18-digit ID
into 3.30523E+17 and drops leading zeros; ``excel_safe=True`` prefixes such values with a
tab, as many Chinese government exports do, so Excel keeps them as text (other programs
then see the tab).

Formula injection: a spreadsheet program opening the CSV evaluates any cell that starts
with ``=``, ``+``, ``-`` or ``@`` (and, in some, a leading tab or carriage return) — a name
typed as ``=HYPERLINK(…)`` would become a live link in the department's Excel. Every cell
this module writes (title, unit line, headings, data, footer) goes through ``neutralise``,
which prefixes such text with a single quote (OWASP's advice); plain numbers such as
``-12.5`` are left alone. Other CSV writers should call it too.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Literal, TextIO

from onesheet.domain.template_spec import LayoutRow, TemplateSpec
from onesheet.export.common import (
    FlatRows,
    as_text,
    atomic_path,
    fill_placeholders,
    heading_block,
)
from onesheet.export.model import RenderContext, RenderRow, RenderStats

Encoding = Literal["utf-8-sig", "gb18030"]
# What Excel mangles: long digit runs (IDs, accounts; 17 digits + X too) and leading zeros.
_EXCEL_MANGLES = re.compile(r"\d{12,}|\d{17}[Xx]|0\d+")
# What a spreadsheet may evaluate: these first characters (after spaces for = + - @).
_FORMULA_START = re.compile(r"[\t\r]| *[=+\-@]")
_PLAIN_NUMBER = re.compile(r" *[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)? *")


def neutralise(text: str) -> str:
    """``text`` made safe for a spreadsheet: a leading quote when it could start a formula.

    ``=1+1``, ``+1+1``, ``-1+1``, ``@SUM(1)``, and text starting with a tab or a carriage
    return get ``'`` in front; plain numbers (``-12.5``, ``+86``) and other text stay as
    they are.
    """
    if _FORMULA_START.match(text) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def write_csv(
    spec: TemplateSpec,
    rows: Iterable[RenderRow],
    out: Path | BinaryIO,
    ctx: RenderContext,
    *,
    encoding: Encoding = "utf-8-sig",
    excel_safe: bool = False,
) -> RenderStats:
    """Render ``spec`` with ``rows`` as CSV to ``out`` (a path, replaced atomically, or a
    binary stream).

    ``utf-8-sig`` (BOM, so Excel detects UTF-8) is the default; ``gb18030`` is for older
    systems that only read GB encodings.
    """
    start = time.perf_counter()
    if isinstance(out, str | Path):
        with atomic_path(Path(out)) as tmp, tmp.open("w", encoding=encoding, newline="") as fh:
            n, missing = _write(spec, rows, fh, ctx, excel_safe)
    else:
        fh = io.TextIOWrapper(out, encoding=encoding, newline="")
        try:
            n, missing = _write(spec, rows, fh, ctx, excel_safe)
            fh.flush()
        finally:
            fh.detach()  # the caller owns the stream
    return RenderStats(rows=n, missing=missing, seconds=time.perf_counter() - start)


def _write(
    spec: TemplateSpec, rows: Iterable[RenderRow], fh: TextIO, ctx: RenderContext, safe: bool
) -> tuple[int, int]:
    writer = csv.writer(fh)
    layout = spec.layout
    if layout.heading_row is not None:
        return _write_kept(spec, rows, writer, ctx, safe)
    writer.writerow([neutralise(fill_placeholders(layout.title, ctx))])
    if layout.unit_line is not None:
        writer.writerow([neutralise(fill_placeholders(layout.unit_line, ctx))])
    for cells in heading_block(spec).grid:
        writer.writerow([neutralise(text or "") for text in cells])
    counts = [0, 0]  # rows, missing
    writer.writerows(_data_rows(spec, rows, safe, counts))
    writer.writerow([])
    for line in layout.footer_lines:
        writer.writerow([neutralise(fill_placeholders(line, ctx))])
    return counts[0], counts[1]


def _kept_line(spec: TemplateSpec, line: LayoutRow, ctx: RenderContext) -> list[str]:
    """A kept line as a CSV row: each text in its own column."""
    n = len(spec.columns)
    out = [""] * n
    for cell in line.cells:
        c = min(max(cell.col, 0), n - 1)
        text = neutralise(fill_placeholders(cell.text, ctx))
        out[c] = out[c] + "　" + text if out[c] else text
    while out and not out[-1]:
        out.pop()
    return out


def _write_kept(
    spec: TemplateSpec, rows: Iterable[RenderRow], writer: Any, ctx: RenderContext, safe: bool
) -> tuple[int, int]:
    """A template that kept the form's rows: each line on the form's row, as in the XLSX."""
    layout = spec.layout
    top = {line.row: line for line in layout.top_rows}
    h0 = max([layout.heading_row or 0] + [r + 1 for r in top])
    for r in range(h0):
        writer.writerow(_kept_line(spec, top[r], ctx) if r in top else [])
    grid = heading_block(spec).grid
    for cells in grid:
        writer.writerow([neutralise(text or "") for text in cells])
    end = h0 + len(grid)
    if layout.numbering:
        writer.writerow([neutralise(t) for t in layout.numbering])
        end += 1
    for _ in range(end, max(layout.data_row or 0, end)):
        writer.writerow([])
    counts = [0, 0]  # rows, missing
    writer.writerows(_data_rows(spec, rows, safe, counts))
    footer = {line.row: line for line in layout.footer_rows}
    if not footer:
        writer.writerow([])
        for line in layout.footer_lines:
            writer.writerow([neutralise(fill_placeholders(line, ctx))])
        return counts[0], counts[1]
    for _ in range(max(layout.footer_gap, 0)):
        writer.writerow([])
    for r in range(max(footer) + 1):
        writer.writerow(_kept_line(spec, footer[r], ctx) if r in footer else [])
    return counts[0], counts[1]


def _data_rows(
    spec: TemplateSpec, rows: Iterable[RenderRow], safe: bool, counts: list[int]
) -> Iterator[list[str]]:
    """Data rows as text, numbered like the XLSX; counts rows and missing items."""
    flat = FlatRows(spec)
    for row in rows:
        number, listed = flat.step(row)
        out = [neutralise(as_text(v)) for v in row.cells]
        if number is not None:
            out[flat.row_no] = str(number)  # type: ignore[index]
        if row.missing:
            counts[1] += len(listed)
            for c, _why in row.missing:
                out[c] = ""
        if safe:  # after neutralise: this tab is ours, before digits only
            out = ["\t" + v if _EXCEL_MANGLES.fullmatch(v) else v for v in out]
        counts[0] += 1
        yield out
