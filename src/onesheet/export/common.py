"""Layout logic shared by the XLSX and CSV writers.

Both writers must agree on the heading block, the 序号 numbering, which household rows
belong together and which missing values get listed, so those rules live here once.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from onesheet.domain.template_spec import Column, TemplateSpec
from onesheet.export.model import RenderContext, RenderRow

MISSING_SHEET = "待采集"
SAMPLE_ROWS = 200
_INVALID_SHEET_CHARS = str.maketrans("", "", "[]:*?/\\")
# Columns whose values are identifiers, never quantities: kept as text even if given as int.
_TEXT_HEADING_WORDS = (
    "身份",
    "证件",
    "号码",
    "电话",
    "手机",
    "联系方式",
    "账号",
    "帐号",
    "卡号",
    "证号",
    "编号",
    "代码",
    "编码",
)
_TEXT_FIELD_WORDS = (
    "id_number",
    "phone",
    "mobile",
    "tel",
    "account",
    "card",
    "cert",
    "code",
    "_no",
)
LONG_DIGITS = 11  # more digits than this and Excel shows 1.2E+11 (and rounds past 15)


def date_cn(d: date) -> str:
    """``2026年11月30日`` — how forms write the report date (no zero padding)."""
    return f"{d.year}年{d.month}月{d.day}日"


class _KeepUnknown(dict[str, object]):
    """Leave ``{unknown}`` placeholders as written instead of failing the whole report."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


_QUARTER_CN = "一二三四"


def fill_placeholders(text: str, ctx: RenderContext) -> str:
    """Fill ``{org_name}``, ``{date_cn}``, ``{date}``, ``{year}``, ``{month}``, ``{day}``,
    ``{quarter}`` (4) and ``{quarter_cn}`` (四) from the report's unit and date."""
    d = ctx.report_date
    quarter = (d.month - 1) // 3 + 1
    values = _KeepUnknown(
        org_name=ctx.org_name,
        date_cn=date_cn(d),
        date=d.isoformat(),
        year=d.year,
        month=d.month,
        day=d.day,
        quarter=quarter,
        quarter_cn=_QUARTER_CN[quarter - 1],
    )
    try:
        return text.format_map(values)
    except (ValueError, IndexError, AttributeError):
        return text  # stray braces in an official line: print it as it is


def display_title(spec: TemplateSpec, ctx: RenderContext) -> str:
    """The report's title: the kept title lines filled for this unit and period, else the
    layout's title."""
    lines = [
        fill_placeholders(cell.text, ctx)
        for line in sorted(spec.layout.top_rows, key=lambda x: x.row)
        if line.role == "title"
        for cell in line.cells
    ]
    return " ".join(t for t in lines if t) or fill_placeholders(spec.layout.title, ctx)


def sheet_name(title: str) -> str:
    """The title as an Excel sheet name: no ``[]:*?/\\``, at most 31 chars, not ``待采集``."""
    name = title.translate(_INVALID_SHEET_CHARS).strip().strip("'")[:31].strip().strip("'")
    if not name or name == MISSING_SHEET:
        return "报表"
    return name


@dataclass(frozen=True)
class HeadingBlock:
    """The heading grid padded to the column count, with merges as ``(r0, c0, r1, c1)``."""

    grid: list[list[str | None]]
    merges: list[tuple[int, int, int, int]]

    @property
    def height(self) -> int:
        return len(self.grid)

    def text_cells(self) -> Iterator[tuple[int, int, str, int, int]]:
        """``(row, col, text, row_span, col_span)`` for each cell that shows text."""
        spans = {(m[0], m[1]): (m[2] - m[0] + 1, m[3] - m[1] + 1) for m in self.merges}
        for r, cells in enumerate(self.grid):
            for c, text in enumerate(cells):
                if text:
                    yield (r, c, text, *spans.get((r, c), (1, 1)))


def heading_block(spec: TemplateSpec) -> HeadingBlock:
    """The layout's heading block, validated; derived from the column paths if it has none."""
    n = len(spec.columns)
    layout = spec.layout
    if not layout.heading_rows:
        return _derive_heading(spec.columns)
    grid: list[list[str | None]] = []
    for i, cells in enumerate(layout.heading_rows):
        if len(cells) > n:
            raise ValueError(f"heading row {i + 1} has {len(cells)} cells for {n} columns")
        grid.append(list(cells) + [""] * (n - len(cells)))
    merges = []
    for m in layout.merges:
        if not (0 <= m.first_row <= m.last_row < len(grid) and 0 <= m.first_col <= m.last_col < n):
            raise ValueError(f"heading merge {m} lies outside the {len(grid)}×{n} heading")
        if (m.first_row, m.first_col) != (m.last_row, m.last_col):
            merges.append((m.first_row, m.first_col, m.last_row, m.last_col))
    return HeadingBlock(grid, merges)


def _derive_heading(columns: Sequence[Column]) -> HeadingBlock:
    """Build the heading from ``group/leaf`` paths: groups merge across, leaves merge down."""
    paths = [c.heading.split("/") for c in columns]
    depth = max((len(p) for p in paths), default=1)
    grid: list[list[str | None]] = [[""] * len(paths) for _ in range(depth)]
    merges: list[tuple[int, int, int, int]] = []
    for c, path in enumerate(paths):
        leaf_row = len(path) - 1
        grid[leaf_row][c] = path[-1]
        if leaf_row < depth - 1:
            merges.append((leaf_row, c, depth - 1, c))
            for r in range(leaf_row + 1, depth):
                grid[r][c] = None
    for level in range(depth - 1):
        c = 0
        while c < len(paths):
            key = tuple(paths[c][: level + 1]) if level < len(paths[c]) - 1 else None
            end = c
            while (
                key
                and end + 1 < len(paths)
                and tuple(paths[end + 1][: level + 1]) == key
                and level < len(paths[end + 1]) - 1
            ):
                end += 1
            if key:
                grid[level][c] = key[-1]
                for k in range(c + 1, end + 1):
                    grid[level][k] = None
                if end > c:
                    merges.append((level, c, level, end))
            c = end + 1
    return HeadingBlock(grid, merges)


def missing_labels(columns: Sequence[Column]) -> list[str]:
    """What the 待采集 sheet calls each column: the leaf heading, or the path if ambiguous."""
    leaves = [c.heading.split("/")[-1] for c in columns]
    return [
        leaf if leaves.count(leaf) == 1 else c.heading
        for leaf, c in zip(leaves, columns, strict=True)
    ]


def is_text_column(column: Column) -> bool:
    """ID, phone, account and code columns: text even when a number was passed."""
    if any(w in column.heading for w in _TEXT_HEADING_WORDS):
        return True
    field = (column.field or "").lower()
    return any(w in field for w in _TEXT_FIELD_WORDS)


def as_text(value: object) -> str:
    """A display value as the text a CSV cell (or a width estimate) shows."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return "" if value != value else f"{value:.15g}"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def check_cells(row: RenderRow, n: int) -> None:
    """One value per spec column: a short row would silently shift every later column."""
    if len(row.cells) != n:
        raise ValueError(f"row has {len(row.cells)} cells for {n} columns: {row.cells!r}")


class RowNumberer:
    """序号: 1..n per row, or per household when the 序号 column merges by household.

    The total row gets no number.
    """

    def __init__(self, per_household: bool) -> None:
        self.per_household = per_household
        self.count = 0
        self._household: int | None = None

    def number(self, row: RenderRow) -> int | None:
        if row.is_total:
            self._household = None
            return None
        same = self.per_household and row.household is not None
        if not (same and row.household == self._household):
            self.count += 1
        self._household = row.household
        return self.count


class FlatRows:
    """What the flat writers (CSV, JSON) track per row: 序号 and which items to list.

    ``step(row)`` checks the row and returns its 序号 (or None) and its listed missing items.
    """

    def __init__(self, spec: TemplateSpec) -> None:
        cols = spec.columns
        self.n = len(cols)
        self.merged = frozenset(i for i, c in enumerate(cols) if c.merge_by_household)
        self.row_no = next((i for i, c in enumerate(cols) if c.kind == "row_no"), None)
        self.numberer = RowNumberer(per_household=self.row_no in self.merged)
        self._household: object = object()

    def step(self, row: RenderRow) -> tuple[int | None, list[tuple[int, str]]]:
        check_cells(row, self.n)
        top = row.is_total or row.household is None or row.household != self._household
        self._household = None if row.is_total else row.household
        number = self.numberer.number(row) if self.row_no is not None else None
        listed = listed_missing(row, top, self.merged, self.n) if row.missing else []
        return number, listed


def household_groups(rows: Iterable[RenderRow], enabled: bool) -> Iterator[list[RenderRow]]:
    """Consecutive rows of one household as a list; every other row alone.

    Only one household is ever held, so memory does not grow with the report.
    """
    if not enabled:
        for row in rows:
            yield [row]
        return
    group: list[RenderRow] = []
    key: int | None = None
    for row in rows:
        if group and key is not None and row.household == key and not row.is_total:
            group.append(row)
            continue
        if group:
            yield group
        group, key = [row], (None if row.is_total else row.household)
    if group:
        yield group


def listed_missing(
    row: RenderRow, top: bool, merged: frozenset[int], n: int
) -> list[tuple[int, str]]:
    """The row's missing items worth listing.

    A household-merged cell shows only the household's first row, so later rows' items for
    those columns would just repeat it on 待采集 and are dropped.
    """
    out = []
    for col, why in row.missing:
        if not 0 <= col < n:
            raise ValueError(f"missing column index {col} outside 0..{n - 1}")
        if top or col not in merged:
            out.append((col, why))
    return out


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary file beside ``target``, renamed over it only if the block succeeds.

    A failed or interrupted export never leaves a half-written form that looks complete.
    The file keeps ``mkstemp``'s owner-only mode: forms carry ID numbers.
    """
    target = Path(target)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
