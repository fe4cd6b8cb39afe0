"""What a renderer is given and what it reports back.

The renderers know nothing about the database: the report service resolves codes to names,
formats dates the way the form writes them and hands over one ``RenderRow`` per form row, in
order. Keeping this boundary plain data is what lets the XLSX and CSV writers stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class RenderRow:
    """One data row of the form.

    ``cells`` holds one display value per spec column, already formatted: ``str`` for text
    (names not codes, dates as the form writes them, ID/phone/account numbers as ``str``),
    ``int``/``float``/``Decimal`` for counts and sums, ``None`` for empty. The value given for
    the 序号 column is ignored (the renderer numbers rows) except on the total row.

    ``household``: rows of one household are consecutive and share this key; columns with
    ``merge_by_household`` are merged down over them.
    ``missing``: ``(column index, why)`` for values the sheet lacks; those cells stay empty,
    are highlighted and are listed on the 待采集 sheet under ``entity_label``.
    ``is_total``: the 合计 row of an aggregate report (bold, no 序号).
    """

    cells: Sequence[object]
    household: int | None = None
    missing: Sequence[tuple[int, str]] = ()
    entity_label: str = ""
    is_total: bool = False


@dataclass(frozen=True)
class RenderContext:
    """Who the form is for and as of when: fills the unit/date line placeholders."""

    org_name: str
    report_date: date
    generated_by: str = ""
    # (entity, field, why) items that concern a whole column rather than one row (a column
    # the actor may not see): listed first on 待采集.
    notes: Sequence[tuple[str, str, str]] = field(default_factory=tuple)


@dataclass
class RenderStats:
    """Rows written, missing values listed, and wall time — for logs and the UI."""

    rows: int
    missing: int
    seconds: float
