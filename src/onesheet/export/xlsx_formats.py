"""Cell formats for the XLSX form, created once per workbook.

XlsxWriter formats are workbook objects; creating one per cell would bloat styles.xml, so
every combination the writer needs (text/number × normal/total, plus the missing fill) is
built up front per column and looked up by index while streaming.

A template imported from a form carries the form's own cell styles (``Layout.styles``): its
data cells then take the original's font, alignment (centred stays centred), number format
and borders, and the title, heading and footer cells theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook

from onesheet.domain.template_spec import CellStyle, Column, Layout
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
    styles: list[Format]  # the form's own styles, by ``Layout.styles`` index

    def styled(self, index: int | None, fallback: Format) -> Format:
        """The form's style ``index``, or ``fallback`` when the form gave none."""
        if index is None or not 0 <= index < len(self.styles):
            return fallback
        return self.styles[index]


def style_props(style: CellStyle) -> dict[str, object]:
    """A ``CellStyle`` as XlsxWriter format properties."""
    props: dict[str, object] = {}
    if style.font_name:
        props["font_name"] = style.font_name
    if style.font_size:
        props["font_size"] = style.font_size
    for key in ("bold", "italic"):
        if getattr(style, key):
            props[key] = True
    if style.underline:
        props["underline"] = 1
    if style.align:
        props["align"] = style.align
    if style.valign and style.valign != "bottom":
        props["valign"] = style.valign
    if style.wrap:
        props["text_wrap"] = True
    if style.num_format not in (None, 0, ""):
        props["num_format"] = style.num_format
    if style.border:
        props["border"] = 1
    return props


def _column_props(
    col: Column, style: CellStyle | None
) -> tuple[dict[str, object], dict[str, object]]:
    """(text, number) properties of a column's data cells."""
    if style is None:
        cell: dict[str, object] = {"border": 1, "valign": "vcenter"}
        extra: dict[str, object] = {"text_wrap": True}
        if col.kind == "row_no":
            extra = {"align": "center"}
        elif is_text_column(col):
            extra["num_format"] = "@"  # stays text when a cadre types into it later
        num_extra = {"align": "center"} if col.kind == "row_no" else {}
        return {**cell, **extra}, {**cell, **num_extra}
    props = style_props(style)
    text = dict(props)
    if is_text_column(col) and col.kind != "row_no":
        text["num_format"] = "@"
    elif props.get("num_format") != "@":
        text.pop("num_format", None)
    number = {k: v for k, v in props.items() if not (k == "num_format" and v == "@")}
    return text, number


def build_formats(
    workbook: Workbook, columns: Sequence[Column], layout: Layout | None = None
) -> SheetFormats:
    """All formats of one form: borders on every data cell, yellow for missing values; the
    form's own cell styles where the template kept them."""
    cache = _FormatCache(workbook)
    own = layout.styles if layout is not None else []
    col_styles = layout.column_styles if layout is not None else []
    text, number, text_total, number_total, missing = [], [], [], [], []
    for c, col in enumerate(columns):
        index = col_styles[c] if c < len(col_styles) else None
        style = own[index] if index is not None and 0 <= index < len(own) else None
        t_props, n_props = _column_props(col, style)
        text.append(cache.get(**t_props))
        number.append(cache.get(**n_props))
        text_total.append(cache.get(**{**t_props, "bold": True}))
        number_total.append(cache.get(**{**n_props, "bold": True}))
        missing.append(cache.get(**t_props, bg_color=MISSING_FILL, pattern=1))
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
        styles=[cache.get(**style_props(st)) for st in own],
    )
