"""Data rows written as ready-made XML into XlsxWriter's constant_memory row file.

Profiling a 30-column roster showed ~18 µs per cell inside XlsxWriter (a decorated call,
a cell tuple, dimension checks, a generic tag writer with attribute escaping), i.e. most of a
report's time. A form's data rows are regular — every cell's style index is known per
column — so this module writes each row as one string: ``<row r="5"><c r="A5" s="3">…``,
the exact XML XlsxWriter itself writes for inline strings in constant_memory mode (control
characters as ``_xHHHH_``, whitespace preserved, ``&<>`` escaped, numbers as ``%.16G``).
Everything else — title, headings, merges, formats, print set-up, the package — is still
XlsxWriter's, so the layout is unchanged and the tests read it back the same way.

It depends on three XlsxWriter internals (``fh`` / ``previous_row`` / ``_write_single_row``
and the ``dim_*`` bounds); :func:`supported` checks them and the writer falls back to the
public per-cell API when any is missing.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator, Sequence

from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from onesheet.domain.template_spec import column_letter

_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b-\x1f]|_x[0-9a-fA-F]{4}_|^\s|\s$")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_LITERAL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")


def supported(ws: Worksheet) -> bool:
    """Whether this XlsxWriter exposes what :class:`RawRows` relies on (3.x does)."""
    needed = (
        "fh",
        "previous_row",
        "_write_single_row",
        "dim_rowmin",
        "dim_colmax",
        "table",
        "default_row_height",
    )
    return bool(getattr(ws, "constant_memory", False)) and all(hasattr(ws, a) for a in needed)


def inline_string(text: str) -> str:
    """The ``<is><t>…</t></is>`` body XlsxWriter writes for ``text`` in constant_memory mode."""
    if not _NEEDS_ESCAPE.search(text):
        return f"<is><t>{text}</t></is>"
    text = _LITERAL_ESCAPE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f"<is><t{space}>{text}</t></is>"


class RawRows:
    """Writes whole rows of ``n`` columns straight into a constant_memory worksheet.

    Each cell is ``(kind, value, format)`` with kind ``s`` (text), ``n`` (number) or ``b``
    (blank with a format); the style index is ``Format.xf_index``, assigned on first use by
    ``_get_xf_index`` as XlsxWriter does. Rows must come in increasing order, after any row
    written through the public API, and nothing may be written to a row of theirs afterwards.
    """

    def __init__(self, ws: Worksheet, n: int) -> None:
        self.ws = ws
        self.letters = [column_letter(c) for c in range(n)]
        self.n = n

    def write(
        self, r: int, cells: Sequence[tuple[str, object, Format]], height: float | None = None
    ) -> None:
        """Row ``r`` (0-based): ``cells`` as (kind, value, format), one per column;
        ``height`` in points, written as XlsxWriter's ``set_row`` would."""
        ws = self.ws
        if r > ws.previous_row:
            ws._write_single_row(r)  # flush the row the public API may still hold
        ws.previous_row = r + 1
        if ws.dim_rowmin is None or r < ws.dim_rowmin:
            ws.dim_rowmin = r
        if ws.dim_rowmax is None or r > ws.dim_rowmax:
            ws.dim_rowmax = r
        if ws.dim_colmin is None or ws.dim_colmin > 0:
            ws.dim_colmin = 0
        if ws.dim_colmax is None or ws.dim_colmax < self.n - 1:
            ws.dim_colmax = self.n - 1
        row = str(r + 1)
        letters = self.letters
        head = f'<row r="{row}"'
        if height is not None:
            pixels = int(height * 4.0 / 3.0 + 0.5)
            if pixels != ws.default_row_height:
                head += f' ht="{pixels * 0.75:.16g}" customHeight="1"'
        parts = [head + ">"]
        append = parts.append
        for c, (kind, value, fmt) in enumerate(cells):
            xf = fmt.xf_index
            if xf is None:
                xf = fmt._get_xf_index()
            if kind == "s":
                append(
                    f'<c r="{letters[c]}{row}" s="{xf}" t="inlineStr">{inline_string(value)}</c>'
                )  # type: ignore[arg-type]
            elif kind == "n":
                append(f'<c r="{letters[c]}{row}" s="{xf}"><v>{value:.16G}</v></c>')
            else:
                append(f'<c r="{letters[c]}{row}" s="{xf}"/>')
        append("</row>")
        ws.fh.write("".join(parts))


class CompactMerges:
    """XlsxWriter's ``Worksheet.merge`` list, stored as one unsigned-int array.

    XLSX puts ``<mergeCells>`` after all the rows, so every household's merged range is held
    until the file closes — the one thing that grows with a report. As lists of four ints
    that is ~120 bytes a range (≈36 MB for a 400,000-row roster); here it is 16. XlsxWriter
    only ``append``s to, takes ``len`` of and iterates over this object.
    """

    def __init__(self, existing: Sequence[Sequence[int]] = ()) -> None:
        self._cells = array("I")
        for item in existing:
            self.append(item)

    def append(self, item: Sequence[int]) -> None:
        self._cells.extend(item)

    def __len__(self) -> int:
        return len(self._cells) // 4

    def __iter__(self) -> Iterator[tuple[int, int, int, int]]:
        cells = self._cells
        for i in range(0, len(cells), 4):
            yield cells[i], cells[i + 1], cells[i + 2], cells[i + 3]
