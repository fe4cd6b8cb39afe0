"""Display widths for CJK text, in Excel's column-width units.

Excel measures column width in widths of the digit "0" of the default font. A CJK character
is about two of those and an ASCII character a little more than one, so fitting by
``len()`` makes Chinese columns far too narrow. Good enough to avoid "####" and clipped
names without measuring fonts.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence

from onesheet.domain.template_spec import Column
from onesheet.export.common import HeadingBlock, as_text
from onesheet.export.model import RenderRow

CJK_WIDTH = 2.0
ASCII_WIDTH = 1.1
MIN_WIDTH = 4.0
MAX_WIDTH = 60.0
PADDING = 2.0
HEADING_CAP = 16.0  # longer headings wrap instead of widening a column of short values
LINE_HEIGHT = 14.5  # points per line of 11pt text
HEADING_MIN_HEIGHT = 20.0


def display_width(text: str) -> float:
    """Width of ``text`` (its widest line) in column-width units."""
    if "\n" in text:
        return max(display_width(line) for line in text.split("\n"))
    if text.isascii():
        return len(text) * ASCII_WIDTH
    total = 0.0
    for ch in text:
        wide = unicodedata.east_asian_width(ch) in ("W", "F")
        total += CJK_WIDTH if wide else ASCII_WIDTH
    return total


def clamp_width(width: float) -> float:
    """Computed widths stay within 4..60 so one long address cannot push the page out."""
    return round(min(max(width, MIN_WIDTH), MAX_WIDTH), 1)


def fit_column(heading_width: float, data_width: float) -> float:
    """Column width from its own heading and its (sampled) values, padded and clamped."""
    return clamp_width(max(data_width, min(heading_width, HEADING_CAP)) + PADDING)


def lines_needed(text: str, width: float) -> int:
    """Lines ``text`` wraps to in a cell ``width`` wide (explicit newlines count)."""
    usable = max(width - 1.0, 1.0)
    return sum(max(1, math.ceil(display_width(line) / usable)) for line in text.split("\n"))


def row_heights(cells: Sequence[tuple[str, int, int, float]], n_rows: int) -> list[float]:
    """Heights (points) for a block of wrapped rows.

    ``cells`` are ``(text, first_row, row_span, width)``: a cell spanning several rows spreads
    its lines over them. Excel does not grow rows for wrapped text inside merged cells, so
    the heading block needs explicit heights.
    """
    heights = [HEADING_MIN_HEIGHT] * n_rows
    for text, first, span, width in cells:
        need = (lines_needed(text, width) * LINE_HEIGHT + 6.0) / span
        for r in range(first, first + span):
            heights[r] = max(heights[r], need)
    return [round(h, 1) for h in heights]


def fit_widths(
    columns: Sequence[Column], block: HeadingBlock, sample: Sequence[RenderRow]
) -> list[float]:
    """Column widths from the single-column heading cells and a sample of data rows.

    Only a bounded sample (the first ``SAMPLE_ROWS`` rows) is measured: the writer streams,
    and measuring every cell would cost as much as writing it. ``Column.width`` (taken from
    the original form) wins when given and is used as is.
    """
    n = len(columns)
    head = [0.0] * n
    for _r, c, text, _rows, cols in block.text_cells():
        if cols == 1:
            head[c] = max(head[c], display_width(text))
    data = [0.0] * n
    for row in sample:
        for c, value in enumerate(row.cells[:n]):
            if value is not None:
                data[c] = max(data[c], display_width(as_text(value)))
    return [
        float(col.width) if col.width else fit_column(head[c], data[c])
        for c, col in enumerate(columns)
    ]


def heading_heights(block: HeadingBlock, widths: Sequence[float]) -> list[float]:
    """Row heights for the heading block so wrapped (and merged) headings are fully shown."""
    cells = [
        (text, r, rows, sum(widths[c : c + cols])) for r, c, text, rows, cols in block.text_cells()
    ]
    return row_heights(cells, block.height)
