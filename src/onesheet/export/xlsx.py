"""Write a form as XLSX in the department's own layout, streaming.

XlsxWriter runs in ``constant_memory`` mode: each row is flushed to a temp file as soon as
the next row starts, so rows must be written strictly in order and memory stays flat
however long the report is. Two things need care in that mode:

* Merges. ``merge_range`` writes blanks down the whole range, which flushes the range's
  first row before its other cells are written. So merged cells (heading block, household
  merge-down) are written cell by cell in row order — value on top, formatted blanks
  below — and the range itself is recorded with ``xlsx_rows.record_merge``. Only one
  household's rows are buffered at a time.
* Column widths and heading heights must be known before the heading rows are flushed;
  they come from the headings and the first ``SAMPLE_ROWS`` data rows, read ahead into a
  bounded buffer. Later rows are not measured (the widths are clamped to 4..60 and text
  wraps, so an unusually long later value wraps instead of widening its column).

Layout: title (merged, bold, 18pt) / unit and date line / heading block / data / one blank
row / footer lines; a second sheet 待采集 lists the values the sheet lacks.

A template imported from a form (``Layout.top_rows`` / ``heading_row`` / ``data_row``) is
drawn row for row as the original: each title, subtitle, unit and note line on its own sheet
row with its merge, font and height; the heading block and the 1 2 3 … numbering row where
they were; data from the original's first data row with its column styles and row height;
the footer rows with their spacing; and the original's page set-up.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from itertools import chain, islice
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import BinaryIO

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from onesheet.domain.template_spec import LayoutRow, TemplateSpec
from onesheet.export.common import (
    SAMPLE_ROWS,
    HeadingBlock,
    atomic_path,
    display_title,
    fill_placeholders,
    heading_block,
    household_groups,
    sheet_name,
)
from onesheet.export.model import RenderContext, RenderRow, RenderStats
from onesheet.export.widths import fit_widths, heading_heights
from onesheet.export.xlsx_fast import CompactMerges
from onesheet.export.xlsx_formats import SheetFormats, build_formats
from onesheet.export.xlsx_rows import DataWriter, MissingSheet, record_merge

TITLE_HEIGHT = 32.0
LINE_HEIGHT = 20.0
_WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_numbers": False,
    "strings_to_formulas": False,  # a name like "=1+1" is data, never a formula
    "strings_to_urls": False,
}


def write_xlsx(
    spec: TemplateSpec,
    rows: Iterable[RenderRow],
    out: Path | BinaryIO,
    ctx: RenderContext,
) -> RenderStats:
    """Render ``spec`` filled with ``rows`` to ``out`` (a path, replaced atomically, or a
    binary stream written only on success)."""
    start = time.perf_counter()
    block = heading_block(spec)
    it = iter(rows)
    sample = list(islice(it, SAMPLE_ROWS))
    widths = fit_widths(spec.columns, block, sample)
    all_rows = chain(sample, it)
    with TemporaryDirectory(prefix="onesheet-xlsx-") as tmp:
        options = {**_WORKBOOK_OPTIONS, "tmpdir": tmp}
        if isinstance(out, str | Path):
            with atomic_path(Path(out)) as target:
                n, missing = _render(spec, all_rows, str(target), options, ctx, block, widths)
        else:
            n, missing = _render(spec, all_rows, out, options, ctx, block, widths)
    return RenderStats(rows=n, missing=missing, seconds=time.perf_counter() - start)


def _render(
    spec: TemplateSpec,
    rows: Iterable[RenderRow],
    target: str | BinaryIO,
    options: dict[str, object],
    ctx: RenderContext,
    block: HeadingBlock,
    widths: Sequence[float],
) -> tuple[int, int]:
    """Build and close the workbook; on error it is dropped unwritten (no partial file)."""
    workbook = Workbook(target, options)
    try:
        title = display_title(spec, ctx)
        workbook.set_properties(
            {
                "title": title,
                "author": ctx.generated_by,
                "company": ctx.org_name,
                "subject": spec.department,
            }
        )
        fmts = build_formats(workbook, spec.columns, spec.layout)
        ws = workbook.add_worksheet(sheet_name(title))
        missing = MissingSheet(workbook, fmts)
        for note in ctx.notes:
            missing.add(*note)
        if kept_rows(spec):
            data_start = _write_kept_top(ws, spec, ctx, block, widths, fmts)
        else:
            data_start = _write_top(ws, spec, ctx, title, block, widths, fmts)
        data = DataWriter(ws, spec, fmts, data_start, missing)
        for group in household_groups(rows, bool(data.merged)):
            data.write_group(group)
        if spec.layout.footer_rows:
            start = data.next_row + max(spec.layout.footer_gap, 0)
            _write_lines(ws, spec, ctx, start, spec.layout.footer_rows, fmts)
        else:
            _write_footer(ws, spec, ctx, data.next_row + 1, fmts.line)
        missing.finish()
        _page_setup(ws, spec, data_start)
    except BaseException:
        _discard(workbook)
        raise
    workbook.close()
    return data.rows, missing.count


def _compact_merges(ws: Worksheet) -> None:
    """Swap XlsxWriter's merge list for the compact array before any range is recorded;
    fail loudly, not silently grow, when a new XlsxWriter no longer keeps that list."""
    if not isinstance(getattr(ws, "merge", None), list):
        raise RuntimeError("XlsxWriter's Worksheet.merge list is gone: check record_merge")
    ws.merge = CompactMerges(ws.merge)


def _write_top(
    ws: Worksheet,
    spec: TemplateSpec,
    ctx: RenderContext,
    title: str,
    block: HeadingBlock,
    widths: Sequence[float],
    fmts: SheetFormats,
) -> int:
    """Column widths, title, unit/date line and heading block; returns the first data row."""
    _compact_merges(ws)
    last = len(spec.columns) - 1
    for c, width in enumerate(widths):
        ws.set_column(c, c, width)
    ws.set_row(0, TITLE_HEIGHT)
    _merged_line(ws, 0, last, title, fmts.title)
    row = 1
    if spec.layout.unit_line is not None:
        ws.set_row(row, LINE_HEIGHT)
        _merged_line(ws, row, last, fill_placeholders(spec.layout.unit_line, ctx), fmts.line)
        row += 1
    for r, height in enumerate(heading_heights(block, widths)):
        ws.set_row(row + r, height)
    for r, cells in enumerate(block.grid):
        for c, text in enumerate(cells):
            if text:
                ws.write_string(row + r, c, text, fmts.heading)
            else:
                ws.write_blank(row + r, c, None, fmts.heading)
    for r0, c0, r1, c1 in block.merges:
        record_merge(ws, row + r0, c0, row + r1, c1)
    return row + block.height


def kept_rows(spec: TemplateSpec) -> bool:
    """Whether the template kept the original form's rows (imported with its layout)."""
    return spec.layout.heading_row is not None


Placed = dict[tuple[int, int], tuple[str | None, Format]]


def _place(
    cells: Placed,
    merges: list[tuple[int, int, int, int]],
    spec: TemplateSpec,
    ctx: RenderContext,
    row: int,
    line: LayoutRow,
    fmts: SheetFormats,
) -> None:
    """A kept line's cells (text on top-left, formatted blanks under its merge)."""
    last = len(spec.columns) - 1
    fallback = fmts.title if line.role in ("title", "subtitle") else fmts.line
    for cell in line.cells:
        c0 = min(max(cell.col, 0), last)
        c1 = min(max(cell.last_col if cell.last_col is not None else c0, c0), last)
        r1 = row + max(cell.rows, 1) - 1
        fmt = fmts.styled(cell.style, fallback)
        for r in range(row, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) not in cells:
                    cells[(r, c)] = (None, fmt)
        cells[(row, c0)] = (fill_placeholders(cell.text, ctx), fmt)
        if (r1, c1) != (row, c0):
            merges.append((row, c0, r1, c1))


def _flush(ws: Worksheet, cells: Placed, merges: list[tuple[int, int, int, int]]) -> None:
    """Write placed cells in row order (constant_memory) and record their merges."""
    for (r, c), (text, fmt) in sorted(cells.items(), key=lambda item: item[0]):
        if text:
            ws.write_string(r, c, text, fmt)
        else:
            ws.write_blank(r, c, None, fmt)
    taken: set[tuple[int, int]] = set()
    for r0, c0, r1, c1 in merges:
        area = {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
        if area & taken:
            continue  # two kept lines overlapping: Excel refuses overlapping merges
        taken |= area
        record_merge(ws, r0, c0, r1, c1)


def _write_kept_top(
    ws: Worksheet,
    spec: TemplateSpec,
    ctx: RenderContext,
    block: HeadingBlock,
    widths: Sequence[float],
    fmts: SheetFormats,
) -> int:
    """The original's rows above the data, where they were; returns the first data row."""
    _compact_merges(ws)
    layout = spec.layout
    for c, (width, col) in enumerate(zip(widths, spec.columns, strict=True)):
        if col.width:  # the original's stored width: the same pixels, not 0.71 more
            ws.set_column_pixels(c, c, round(col.width * 7))
        else:
            ws.set_column(c, c, width)
    cells: Placed = {}
    merges: list[tuple[int, int, int, int]] = []
    heights: dict[int, float] = {}
    below = 0
    for line in sorted(layout.top_rows, key=lambda x: x.row):
        _place(cells, merges, spec, ctx, line.row, line, fmts)
        if line.height:
            heights[line.row] = line.height
        below = max(below, line.row + max((c.rows for c in line.cells), default=1))
    h0 = max(layout.heading_row or 0, below)
    computed = heading_heights(block, widths)
    for r, height in enumerate(computed):
        kept = layout.heading_heights[r] if r < len(layout.heading_heights) else None
        heights[h0 + r] = kept or height
    for r, row_cells in enumerate(block.grid):
        styles = layout.heading_styles[r] if r < len(layout.heading_styles) else []
        for c, text in enumerate(row_cells):
            fmt = fmts.styled(styles[c] if c < len(styles) else None, fmts.heading)
            cells[(h0 + r, c)] = (text or None, fmt)
    merges.extend((h0 + r0, c0, h0 + r1, c1) for r0, c0, r1, c1 in block.merges)
    end = h0 + block.height
    if layout.numbering:
        n = len(spec.columns)
        for c, text in enumerate(layout.numbering[:n]):
            style = layout.numbering_styles[c] if c < len(layout.numbering_styles) else None
            cells[(end, c)] = (text or None, fmts.styled(style, fmts.heading))
        end += 1
    for r, height in sorted(heights.items()):
        ws.set_row(r, height)
    _flush(ws, cells, merges)
    return max(layout.data_row or 0, end)


def _write_lines(
    ws: Worksheet,
    spec: TemplateSpec,
    ctx: RenderContext,
    start: int,
    lines: Sequence[LayoutRow],
    fmts: SheetFormats,
) -> None:
    """Kept footer rows from ``start``, keeping their spacing, merges and heights."""
    cells: Placed = {}
    merges: list[tuple[int, int, int, int]] = []
    for line in sorted(lines, key=lambda x: x.row):
        row = start + max(line.row, 0)
        if line.height:
            ws.set_row(row, line.height)
        _place(cells, merges, spec, ctx, row, line, fmts)
    _flush(ws, cells, merges)


def _merged_line(ws: Worksheet, row: int, last_col: int, text: str, fmt: Format) -> None:
    """A one-row line across the form (single-row merges are safe in constant_memory)."""
    if last_col > 0:
        ws.merge_range(row, 0, row, last_col, text, fmt)
    else:
        ws.write_string(row, 0, text, fmt)


def _write_footer(
    ws: Worksheet, spec: TemplateSpec, ctx: RenderContext, row: int, fmt: Format
) -> None:
    """Footer lines (填表人/审核人…) after one blank row, each across the form."""
    last = len(spec.columns) - 1
    for i, line in enumerate(spec.layout.footer_lines):
        ws.set_row(row + i, LINE_HEIGHT)
        _merged_line(ws, row + i, last, fill_placeholders(line, ctx), fmt)


def _page_setup(ws: Worksheet, spec: TemplateSpec, data_start: int) -> None:
    """Print as the department does: A4, one page wide, title and heading on every page —
    or, for a template that kept the original's page set-up, as the original."""
    ws.freeze_panes(data_start, 0)
    setup = spec.layout.print_setup
    ws.set_paper(setup.paper if setup is not None and setup.paper else 9)
    if spec.layout.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    if setup is not None and setup.fit_width is None and setup.scale:
        ws.set_print_scale(setup.scale)
    elif setup is not None and setup.fit_width is not None:
        ws.fit_to_pages(setup.fit_width, setup.fit_height or 0)
    else:
        ws.fit_to_pages(1, 0)
    ws.repeat_rows(0, data_start - 1)
    if setup is None or setup.center_horizontally:
        ws.center_horizontally()
    if setup is not None and setup.margins and len(setup.margins) == 4:
        left, right, top, bottom = setup.margins
        ws.set_margins(left=left, right=right, top=top, bottom=bottom)
    else:
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C第 &P 页，共 &N 页")


def _discard(workbook: Workbook) -> None:
    """Close the row temp files of an abandoned workbook (its temp dir is removed anyway)."""
    for ws in workbook.worksheets():
        fh = getattr(ws, "row_data_fh", None)
        if fh is not None and not fh.closed:
            fh.close()
