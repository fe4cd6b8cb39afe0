"""Cell formats for the XLSX form, created once per workbook.

XlsxWriter formats are workbook objects; creating one per cell would bloat styles.xml, so
every combination the writer needs (text/number × normal/total, plus the missing fill) is
built up front per column and looked up by index while streaming.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook

from onesheet.domain.template_spec import Column
from onesheet.export.common import is_text_column

MISSING_FILL = "#FFFF99"  # Excel's "light yellow": visible on screen, pale when printed
FONT = "宋体"
TITLE_SIZE = 18


class _FormatCache:
    """One ``Format`` per distinct property set."""

    def __init__(self, workbook: Workbook) -> None:
        self.workbook = workbook
        self.cache: dict[tuple[tuple[str, object], ...], Format] = {}

    def get(self, **props: object) -> Format:
        props.setdefault("font_name", FONT)
        key = tuple(sorted(props.items()))
        fmt = self.cache.get(key)
        if fmt is None:
            fmt = self.cache[key] = self.workbook.add_format(props)
        return fmt


@dataclass(frozen=True)
class SheetFormats:
    """Formats by role; the per-column lists are indexed by column position."""

    title: Format
    line: Format
    heading: Format
    text: list[Format]
    number: list[Format]
    text_total: list[Format]
    number_total: list[Format]
    missing: list[Format]
    list_heading: Format
    list_cell: Format


def build_formats(workbook: Workbook, columns: Sequence[Column]) -> SheetFormats:
    """All formats of one form: borders on every data cell, yellow for missing values."""
    cache = _FormatCache(workbook)
    cell = {"border": 1, "valign": "vcenter"}
    text, number, text_total, number_total, missing = [], [], [], [], []
    for col in columns:
        extra: dict[str, object] = {"text_wrap": True}
        if col.kind == "row_no":
            extra = {"align": "center"}
        elif is_text_column(col):
            extra["num_format"] = "@"  # stays text when a cadre types into it later
        num_extra = {"align": "center"} if col.kind == "row_no" else {}
        text.append(cache.get(**cell, **extra))
        number.append(cache.get(**cell, **num_extra))
        text_total.append(cache.get(**cell, **extra, bold=True))
        number_total.append(cache.get(**cell, **num_extra, bold=True))
        missing.append(cache.get(**cell, **extra, bg_color=MISSING_FILL, pattern=1))
    return SheetFormats(
        title=cache.get(bold=True, font_size=TITLE_SIZE, align="center", valign="vcenter"),
        line=cache.get(align="left", valign="vcenter"),
        heading=cache.get(bold=True, border=1, text_wrap=True, align="center", valign="vcenter"),
        text=text,
        number=number,
        text_total=text_total,
        number_total=number_total,
        missing=missing,
        list_heading=cache.get(bold=True, border=1, align="center", valign="vcenter"),
        list_cell=cache.get(border=1, text_wrap=True, valign="vcenter"),
    )
