"""Template specs (报表模板): a department's form declared as data.

A template says which entity it lists (or which org units it counts), which dictionary field
each column shows, which rows it covers (a filter), and the official layout to reproduce.
Specs are validated here (Pydantic) and compiled to SQL only at the end, by the store.

CONTRACT — the forms importer produces these, the report renderer consumes them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Operator = Literal[
    "eq",
    "ne",
    "gt",
    "ge",
    "lt",
    "le",
    "in",
    "not_in",
    "is_null",
    "not_null",
    "contains",
    "age_ge",
    "age_lt",
]


class Condition(BaseModel):
    """``field op value``: e.g. person.is_dibao eq "1"; person.birth_date age_ge 65.

    ``age_ge`` / ``age_lt`` compare the age computed from a date field on the report date.
    Values are canonical strings (codes as codes, booleans "1"/"0", dates ISO).
    """

    model_config = ConfigDict(extra="forbid")
    field: str
    op: Operator
    value: Any = None


class AllOf(BaseModel):
    model_config = ConfigDict(extra="forbid")
    all: list[Filter] = Field(alias="and")


class AnyOf(BaseModel):
    model_config = ConfigDict(extra="forbid")
    any: list[Filter] = Field(alias="or")


Filter = Annotated[Condition | AllOf | AnyOf, Field(union_mode="left_to_right")]
AllOf.model_rebuild()
AnyOf.model_rebuild()

ColumnKind = Literal["field", "row_no", "remark", "blank", "count", "sum"]


class Column(BaseModel):
    """One column of the form, left to right.

    ``heading`` is the heading path, group headings first (``基本信息/姓名``).
    roster columns: kind ``field`` (shows ``field``), ``row_no`` (序号), ``remark`` (备注,
    left empty), ``blank`` (unmapped: left empty and listed as to-collect).
    aggregate columns: kind ``count`` (entities meeting ``condition``) or ``sum`` (of
    ``field`` over entities meeting ``condition``); the first aggregate column usually is
    kind ``field`` with field ``org.name`` (the org unit's name).
    ``merge_by_household``: roster cells merged down across one household's member rows.
    """

    model_config = ConfigDict(extra="forbid")
    letter: str
    heading: str
    kind: ColumnKind = "field"
    field: str | None = None
    condition: Filter | None = None
    merge_by_household: bool = False
    width: float | None = None  # Excel character units, from the original form when known


class Merge(BaseModel):
    """A merged range inside the heading block, 0-based rows relative to its first row."""

    model_config = ConfigDict(extra="forbid")
    first_row: int
    first_col: int
    last_row: int
    last_col: int


class CellStyle(BaseModel):
    """How a cell of the original form looks: font, alignment, number format, border.

    ``align``/``valign`` use XlsxWriter's words (left, center, right, center_across …; top,
    vcenter, bottom); ``num_format`` is a format code or a built-in Excel format number.
    """

    model_config = ConfigDict(extra="forbid")
    font_name: str | None = None
    font_size: float | None = None
    bold: bool = False
    italic: bool = False
    underline: bool = False
    align: str | None = None
    valign: str | None = None
    wrap: bool = False
    num_format: int | str | None = None
    border: bool = False


class LineCell(BaseModel):
    """One text cell of a line above or below the table.

    ``col``/``last_col`` are 0-based and relative to the form's first column (``last_col``:
    merged across to it); ``rows``: merged down over that many rows. ``text`` may hold
    placeholders (``{org_name}``, ``{year}``, ``{quarter_cn}``, ``{month}``, ``{date_cn}`` …);
    a literal brace is doubled. ``style`` indexes ``Layout.styles``.
    """

    model_config = ConfigDict(extra="forbid")
    col: int = 0
    last_col: int | None = None
    rows: int = 1
    text: str
    style: int | None = None


class LayoutRow(BaseModel):
    """A row of the original form outside the table, kept where it was.

    Above the heading ``row`` is the 0-based sheet row; in the footer it is the offset from
    the first footer row. ``role``: title, subtitle, unit (unit/date line), note, footer.
    """

    model_config = ConfigDict(extra="forbid")
    row: int
    role: Literal["title", "subtitle", "unit", "note", "footer"] = "note"
    cells: list[LineCell] = []
    height: float | None = None  # points, when the original set it


class PrintSetup(BaseModel):
    """The original sheet's page set-up (paper as Excel's paperSize number)."""

    model_config = ConfigDict(extra="forbid")
    paper: int | None = None
    fit_width: int | None = None  # fit to pages wide (None: not fitted)
    fit_height: int | None = None
    scale: int | None = None
    margins: list[float] | None = None  # left, right, top, bottom (inches)
    center_horizontally: bool = False


class Layout(BaseModel):
    """The official layout to reproduce: title, unit/date line, heading block, footer.

    Templates imported from a form also keep its rows as they were (``top_rows``,
    ``heading_row``, ``data_row``, ``footer_rows``), its cell styles, row heights and page
    set-up; all optional, so templates stored before keep their default look.
    """

    model_config = ConfigDict(extra="forbid")
    title: str
    unit_line: str | None = "填报单位（盖章）：{org_name}　　　　填报日期：{date_cn}"
    heading_rows: list[list[str | None]]  # the heading block as a grid (None = inside a merge)
    merges: list[Merge] = []
    footer_lines: list[str] = ["填表人：　　　　审核人：　　　　联系电话："]
    landscape: bool = True
    # The original's rows, when imported (replace title/unit_line/footer_lines in XLSX/CSV):
    top_rows: list[LayoutRow] = []  # title, subtitle, unit line, notes — at their sheet rows
    heading_row: int | None = None  # 0-based sheet row of the heading block's first row
    numbering: list[str] | None = None  # the 1 2 3 … row under the heading, when present
    data_row: int | None = None  # 0-based sheet row of the first data row
    footer_rows: list[LayoutRow] = []  # 填表人/审核人/报送日期 …, offsets from the first
    footer_gap: int = 1  # blank rows between the last data row and the footer
    styles: list[CellStyle] = []  # referenced by index from the fields below
    heading_styles: list[list[int | None]] = []  # per heading cell (covered cells too)
    numbering_styles: list[int | None] = []
    column_styles: list[int | None] = []  # per column, the data cells' style
    heading_heights: list[float | None] = []
    data_height: float | None = None
    print_setup: PrintSetup | None = None


class TemplateSpec(BaseModel):
    """A whole template. ``kind`` roster lists entities; aggregate counts per org unit."""

    model_config = ConfigDict(extra="forbid")
    id: str
    title: str
    department: str
    entity: Literal["person", "household", "enterprise", "house", "place"]
    kind: Literal["roster", "aggregate"] = "roster"
    columns: list[Column]
    filter: Filter | None = None
    frequency: Literal["once", "monthly", "quarterly", "yearly"] = "once"
    matter: str | None = None
    layout: Layout

    @model_validator(mode="after")
    def _letters_in_order(self) -> TemplateSpec:
        letters = [c.letter for c in self.columns]
        if len(set(letters)) != len(letters):
            raise ValueError(f"duplicate column letters: {letters}")
        return self


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA (Excel column letters)."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out
