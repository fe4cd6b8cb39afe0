"""Find the parts of a legacy form: title, unit/date line, heading block, data, footer.

County forms follow one pattern with endless variation: a merged title (often preceded by
"附件2"), a "填报单位（盖章）… 填报日期" line, one to three heading rows where merged group
headings sit above their columns, sometimes a numbering row (1, 2, 3… or 甲乙丙), the data
rows (or none, for a blank template), a 合计 row, and a "填表人 / 审核人 / 联系电话" footer.
Each part is found from the cells and merged ranges themselves, never from fixed row
numbers, so a form whose headings start on row 5 reads like one whose headings start on 3.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field

from onesheet.ingest.workbook import Cell, Range, SheetGrid

_SCAN_ROWS = 60  # the title and headings always sit in the first rows
_MAX_HEADING_ROWS = 4
MAX_SAMPLES = 50

_PREAMBLE = re.compile(r"^(附件|附表|表)\s*[\d一二三四五六七八九十]*\s*[:：]?$")
_UNIT = re.compile(
    r"(填报|填表|报送|统计|制表|上报)?单位|(填报|填表|报送|统计|上报)(日期|时间)|截[至止]|"
    r"盖章|年\s*月\s*日|乡镇[（(]街道[)）]\s*[:：]|村[（(]社区[)）]\s*[:：]|日期\s*[:：]"
)
_FOOTER = re.compile(
    r"填表人|填报人|审核人|负责人|联系电话|制表|审核|审批|核对人|统计人|经办人|签字|签章|"
    r"^(注|说明|备注|填表说明|填报说明)\s*[:：]|^\d{1,2}[.、．](?=\D)|盖章|年\s*月\s*日"
)
_TOTAL = re.compile(r"^(合\s*计|总\s*计|小\s*计|全村合计|共计)$")
_TIANGAN = "甲乙丙丁戊己庚辛壬癸"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


@dataclass
class HeadingColumn:
    """One column of the table and its heading path (group headings first)."""

    col: int
    path: list[str]

    @property
    def leaf(self) -> str:
        return self.path[-1] if self.path else ""


@dataclass
class FormStructure:
    """Where each part of the form is; rows and columns are 0-based sheet positions."""

    title: str | None
    title_rows: list[int]
    unit_line: str | None
    unit_rows: list[int]
    header_rows: list[int]
    columns: list[HeadingColumn]
    merges: list[Range]  # merges touching the heading block (sheet positions)
    numbering_row: int | None
    data_rows: list[int]
    total_rows: list[int]
    footer_lines: list[str]
    footer_rows: list[int]
    household_cols: set[int] = field(default_factory=set)  # cells merged down across rows
    note_rows: list[int] = field(default_factory=list)  # stamps, notes, code rows above
    evidence: list[str] = field(default_factory=list)  # why the heading is where it is

    @property
    def first_col(self) -> int:
        return self.columns[0].col if self.columns else 0


def text_of(value: Cell) -> str:
    """A cell as stripped text; numbers without a trailing ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class _Grid:
    """The sheet plus a lookup from a covered cell to its merge's top-left cell."""

    def __init__(self, grid: SheetGrid) -> None:
        self.cells = grid.cells
        self.width = grid.n_cols
        self.merges = grid.merges
        self.owner: dict[tuple[int, int], tuple[int, int]] = {}
        for r0, c0, r1, c1 in grid.merges:
            if r0 >= _SCAN_ROWS:
                continue
            for r in range(r0, r1 + 1):
                for c in range(c0, min(c1, self.width - 1) + 1):
                    self.owner[(r, c)] = (r0, c0)

    def text(self, r: int, c: int) -> str:
        """The text shown at (r, c): a covered cell shows its merge's text."""
        r0, c0 = self.owner.get((r, c), (r, c))
        return text_of(self.cells[r0][c0]) if r0 < len(self.cells) else ""

    def filled(self, r: int) -> list[int]:
        """Columns of row r holding their own (top-left) value."""
        return [c for c, v in enumerate(self.cells[r]) if v is not None]

    def covered(self, r: int, c: int) -> bool:
        return (r, c) in self.owner

    def span(self, r: int, c: int) -> int:
        """How many columns the merge starting at (r, c) spans (1 when not merged)."""
        for r0, c0, _r1, c1 in self.merges:
            if r0 == r and c0 == c:
                return c1 - c0 + 1
        return 1


def find_structure(grid: SheetGrid, vocab: frozenset[str] | None = None) -> FormStructure:
    """Locate title, unit line, heading block, numbering row, data rows and footer.

    ``vocab`` (normalised wordings the dictionary knows: 姓名, 身份证号 …) is evidence that
    a row is the heading; without it the cells' shapes decide alone.
    """
    g = _Grid(grid)
    n = len(g.cells)
    h0, title_rows, unit_rows, note_rows = _locate_heading(g, vocab or frozenset())
    h1 = _heading_end(g, h0, vocab or frozenset())
    header_rows = list(range(h0, h1 + 1))
    virtual = _virtual_groups(g, h0, h1)
    columns = _heading_columns(g, h0, h1, virtual)
    fc = columns[0].col if columns else 0
    lc = columns[-1].col if columns else g.width - 1
    numbering = h1 + 1 if h1 + 1 < n and _is_numbering(g, h1 + 1, fc, lc) else None
    start = (numbering if numbering is not None else h1) + 1
    footer_rows = _footer_rows(g, start, fc, lc)
    end = footer_rows[0] if footer_rows else n
    data_rows, total_rows = [], []
    for i in range(start, end):
        row = g.cells[i][fc : lc + 1]
        if any(v is not None for v in row):
            (total_rows if _is_total(row) else data_rows).append(i)
    heading_merges = [m for m in g.merges if m[0] >= h0 and m[0] <= h1]
    household = {
        c0 for r0, c0, r1, c1 in g.merges if r0 >= start and c0 == c1 and r1 > r0 and r0 < end
    }
    title = " ".join(t for t in (_title_text(g, i) for i in title_rows) if t)
    unit_line = "　".join(
        "　".join(text_of(v) for v in g.cells[i] if v is not None) for i in unit_rows
    )
    footer_lines = [
        "　　".join(text_of(v) for v in g.cells[i] if v is not None)
        for i in footer_rows
        if any(v is not None for v in g.cells[i])
    ]
    return FormStructure(
        title=title or None,
        title_rows=title_rows,
        unit_line=unit_line or None,
        unit_rows=unit_rows,
        header_rows=header_rows,
        columns=columns,
        merges=heading_merges + virtual,
        numbering_row=numbering,
        data_rows=data_rows,
        total_rows=total_rows,
        footer_lines=footer_lines,
        footer_rows=footer_rows,
        household_cols=household,
        note_rows=note_rows,
        evidence=_evidence(g, h0, h1, title_rows, unit_rows, note_rows, numbering),
    )


def _title_text(g: _Grid, r: int) -> str:
    """The title in a title row: the widest, then longest text that is not a stamp."""
    cells = [c for c in g.filled(r) if not _is_stamp(text_of(g.cells[r][c]))]
    if not cells:
        return ""
    best = max(cells, key=lambda c: (_titleish(text_of(g.cells[r][c])), g.span(r, c),
                                     len(text_of(g.cells[r][c]))))  # fmt: skip
    return " ".join(text_of(g.cells[r][best]).split())


_UNIT_LABEL = re.compile(
    r"^(填报|填表|报送|统计|制表|上报|申报)(单位|日期|时间|人)|^(单位名称|截[至止](日期|时间)?)"
    r"|^(乡镇|村|社区|村\(社区\)|村（社区）)(名称)?[:：]"
)
_STAMP = re.compile(
    r"^(版本|版次|表号|表式|编号|文号|批准文号|制表机关|批准机关|有效期|密级|模板|样表|样式)"
    r"|^[Vv]\s*\d+(\.\d+)*$|^第\s*\d+\s*版$|^\d{4}\s*版$|版$|^\(?(样表|模板|样本)\)?$"
)
_TITLE_WORDS = re.compile(r"表|册|名单|台账|清单|统计|汇总|明细|登记|情况|名录|信息|数据|模板|档案")
# Words that name a whole form (花名册, 统计表) — never a group over some columns, unlike
# 情况 / 信息 (家庭情况, 户主信息), which are both.
_FORM_WORDS = re.compile(r"表|册|名单|台账|清单|汇总|明细|名录|档案|模板")
_NOTE = re.compile(
    r"^(注|说明|备注|填表说明|填报说明|填写说明|温馨提示|提示|要求)\s*[:：]|^[一二三四五六七八九十\d]{1,2}\s*[、.．]"
)
_CODE_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.?$")


def _is_stamp(text: str) -> bool:
    t = "".join(text.split())
    return bool(_STAMP.search(t)) and len(t) <= 24


def _titleish(text: str) -> int:
    t = "".join(text.split())
    return int(bool(_TITLE_WORDS.search(t))) + int(4 <= len(t) <= 60)


def _is_unit_row(texts: list[str], width: int) -> bool:
    """A 填报单位 / 填报日期 line, with or without colons, or a line of "label：" cells."""
    joined = "".join(texts)
    if not texts or len(texts) > max(4, width // 2):
        return False
    if _UNIT.search(joined) and re.search(r"[:：]|年\s*月\s*日|盖章", joined):
        return True
    if any(_UNIT_LABEL.match("".join(t.split())) for t in texts):
        return True
    colon = sum(1 for t in texts if re.search(r"[:：]\s*$|[:：]\s*_+\s*$", t))
    return len(texts) >= 2 and colon * 3 >= len(texts) * 2


def _row_kind(g: _Grid, r: int, vocab: frozenset[str]) -> str:
    """What row r looks like above the data: blank, preamble, stamp, unit, note, title,
    code (a row of field identifiers such as CARD_ID), group or heading."""
    filled = g.filled(r)
    if not filled:
        return "blank"
    texts = [text_of(g.cells[r][c]) for c in filled]
    joined = "".join("".join(texts).split())
    if len(filled) <= 2 and _PREAMBLE.match(joined):
        return "preamble"
    if all(_is_stamp(t) for t in texts):
        return "stamp"
    if _is_unit_row(texts, g.width):
        return "unit"
    strs = [g.cells[r][c] for c in filled if isinstance(g.cells[r][c], str)]
    if len(strs) >= 2 and sum(1 for t in strs if _CODE_ID.match(t.strip())) * 2 > len(strs):
        return "code"
    known = sum(1 for t in texts if _vocab_hit(t, vocab))
    covered = sum(g.span(r, c) for c in filled)
    if len(filled) <= 3 and known < 2:
        longest = max(texts, key=len)
        wide = len(filled) >= 2 and covered * 10 >= g.width * 8
        titled = any(_TITLE_WORDS.search(t) and len(t) > 8 for t in texts)
        if wide and not titled and _below_is_heading(g, r, vocab):
            return "group"
        if _NOTE.match(longest) or len(longest) > 60:
            return "note"
        if (len(filled) >= 2 or _lone_group(g, r, longest)) and _tops_a_block(g, r):
            return "heading"
        if len(filled) == 1 or covered * 2 < g.width or len(filled) < 3:
            return "title"
    if not _heading_like(g, r) and known < 2:
        return "data"
    return "heading"


def _vocab_hit(text: str, vocab: frozenset[str]) -> bool:
    if not vocab:
        return False
    from onesheet.ingest.normalise import normalise_heading  # local: avoid a cycle

    return normalise_heading(text)[0] in vocab


def _lone_group(g: _Grid, r: int, text: str) -> bool:
    """One short label, not a title's words, typed over a column inside the table below
    (监护人 above 姓名 电话, or above a sub-group row 父亲 … 母亲 and then their columns): a
    group heading, where a title starts at the left edge."""
    c = g.filled(r)[0]
    rows = _label_rows_below(g, r)
    if not rows or g.cells[r + 1][c] is None:
        return False
    below = g.filled(max(rows, key=lambda x: len(g.filled(x))))
    t = "".join(text.split())
    return (
        len(below) >= 3
        and below[0] < c <= below[-1]
        and len(t) <= 8
        and not _FORM_WORDS.search(t)
        and not (_TITLE_WORDS.search(t) and len(t) > 6)  # 家庭情况, 户主信息: a group
    )


def _left_group(g: _Grid, r: int) -> bool:
    """A second line under the title that is a group label at the table's left edge, typed
    once without a merge: one short label (no digits, brackets, colon or a form's words,
    which a subtitle has) over the first column of a full heading-like row."""
    filled = g.filled(r)
    if len(filled) != 1 or g.span(r, filled[0]) > 1 or r + 1 >= len(g.cells):
        return False
    c = filled[0]
    t = "".join(text_of(g.cells[r][c]).split())
    below = g.filled(r + 1)
    return (
        2 <= len(t) <= 6
        and not re.search(r"[\d０-９()（）:：\[\]【】年月]", t)
        and not _FORM_WORDS.search(t)
        and len(below) >= 3
        and below[0] == c
        and _heading_like(g, r + 1)
        and _tops_a_block(g, r)
    )


def _label_rows_below(g: _Grid, r: int) -> list[int]:
    """The rows right under row r that could continue a heading block: consecutive,
    non-empty and heading-like (short texts only), at most ``_MAX_HEADING_ROWS - 1``."""
    out: list[int] = []
    for nxt in range(r + 1, min(len(g.cells), r + _MAX_HEADING_ROWS)):
        if not g.filled(nxt) or not _heading_like(g, nxt):
            break
        out.append(nxt)
    return out


def _cols(g: _Grid, r: int) -> set[int]:
    """The columns row r's own cells show text in, merges included."""
    return {c + k for c in g.filled(r) for k in range(g.span(r, c))}


def _tops_a_block(g: _Grid, r: int) -> bool:
    """Row r is the top of a heading typed without merges, two or three rows deep: the
    cells of the rows under it sit mostly where row r is empty (group labels typed once,
    sub-groups and columns below them), and together the rows span the table."""
    here = _cols(g, r)
    union = set(here)
    below: list[int] = []
    for nxt in _label_rows_below(g, r):
        cells = g.filled(nxt)
        if nxt == r + 1 and len(cells) < 2:
            return False
        below += cells
        union |= _cols(g, nxt)
        outside = sum(1 for c in below if c not in here)
        if outside * 2 >= len(below) and len(union) * 10 >= g.width * 8:
            return True
    return False


def _below_is_heading(g: _Grid, r: int, vocab: frozenset[str]) -> bool:
    """The next non-empty row has at least three short text cells."""
    for nxt in range(r + 1, min(len(g.cells), r + 3)):
        if g.filled(nxt):
            return len(g.filled(nxt)) >= 3 and _heading_like(g, nxt)
    return False


def _locate_heading(g: _Grid, vocab: frozenset[str]) -> tuple[int, list[int], list[int], list[int]]:
    """The first heading row, and the title, unit and note rows above it.

    A row is a heading candidate by its shape (several short text cells, or group cells
    merged across the table) and by the wordings it holds; a candidate is taken only when
    what follows it can be the table (data, numbering, blank) — not a title or a unit line,
    which means it was a hidden row of field codes or a stray block above the real form.
    """
    n = len(g.cells)
    limit = min(n, _SCAN_ROWS)
    titles: list[int] = []
    units: list[int] = []
    notes: list[int] = []
    r = 0
    while r < limit:
        kind = _row_kind(g, r, vocab)
        if kind == "title" and titles and not units and _left_group(g, r):
            kind = "heading"  # 人员信息 under the title, over 姓名 身份证号码 …
        if kind in ("heading", "group"):
            if _table_follows(g, r, vocab):
                return r, titles, units, notes
            notes.append(r)
        elif kind == "title":
            if not units and len(titles) < 3:
                titles.append(r)
            else:
                notes.append(r)
        elif kind == "unit":
            units.append(r)
        elif kind in ("stamp", "note", "code", "preamble"):
            notes.append(r)
        elif kind == "data":
            break
        r += 1
    # Nothing convincing: fall back to the first row with two or more cells, else the last
    # title-like row as a one-row heading.
    for r in range(limit):
        if r not in units and len(g.filled(r)) >= 2 and _row_kind(g, r, vocab) != "code":
            return (
                r,
                [t for t in titles if t < r],
                [u for u in units if u < r],
                [x for x in notes if x < r],
            )
    h0 = (titles or units or [0])[-1]
    return (
        h0,
        [t for t in titles if t < h0],
        [u for u in units if u < h0],
        [x for x in notes if x < h0],
    )


def _table_follows(g: _Grid, h0: int, vocab: frozenset[str]) -> bool:
    """After the heading block comes data, a numbering row, a footer or nothing."""
    h1 = _heading_end(g, h0, vocab)
    for r in range(h1 + 1, min(len(g.cells), h1 + 4)):
        if not g.filled(r):
            continue
        kind = _row_kind(g, r, vocab)
        if kind in ("title", "unit", "code"):
            return False
        # a short row above a full heading row is not the heading; a block that already
        # holds a full row (a group label over its columns) is followed by text data
        widest = max(len(g.filled(x)) for x in range(h0, h1 + 1))
        return not (kind == "heading" and len(g.filled(r)) >= 3 and widest < 3)
    return True


def _evidence(
    g: _Grid,
    h0: int,
    h1: int,
    titles: list[int],
    units: list[int],
    notes: list[int],
    numbering: int | None,
) -> list[str]:
    out = [f"表头第 {h0 + 1}–{h1 + 1} 行：{len(g.filled(h0))} 个文字单元格"]
    if titles:
        out.append("标题行：" + "、".join(str(t + 1) for t in titles))
    if units:
        out.append("填报单位/日期行：" + "、".join(str(u + 1) for u in units))
    if notes:
        out.append("跳过的行（版本号、说明、字段代码等）：" + "、".join(str(x + 1) for x in notes))
    if numbering is not None:
        out.append(f"栏目序号行：第 {numbering + 1} 行")
    return out


def _heading_like(g: _Grid, r: int) -> bool:
    """Every value in row r is short heading text: no numbers, dates or long strings."""
    values = [g.cells[r][c] for c in g.filled(r)]
    if not values:
        return False
    for v in values:
        if not isinstance(v, str):
            return False
        t = v.strip()
        if len(t) > 30 or re.fullmatch(r"[\dXx\-./: ]+", t) or _TOTAL.match(t):
            return False
    return True


def _heading_end(g: _Grid, h0: int, vocab: frozenset[str] = frozenset()) -> int:
    """The last heading row: follow merges down, group cells to their children, and a row
    of known headings typed under the first one without any merge (two-row headings)."""
    h1 = h0
    n = len(g.cells)
    while True:
        for r0, _c0, r1, _c1 in g.merges:
            if h0 <= r0 <= h1 and r1 > h1 and r1 - h0 < _MAX_HEADING_ROWS:
                h1 = r1
        nxt = h1 + 1
        if nxt >= n or nxt - h0 >= _MAX_HEADING_ROWS or not _heading_like(g, nxt):
            return h1
        group_above = any(
            r0 == h1 and c1 > c0 and any(g.cells[nxt][c] is not None for c in range(c0, c1 + 1))
            for r0, c0, _r1, c1 in g.merges
        )
        under_blank = any(not any(g.text(r, c) for r in range(h0, h1 + 1)) for c in g.filled(nxt))
        if not (
            group_above
            or under_blank
            or _completed_below(g, h0, nxt)
            or _filled_group(g, h1, nxt)
            or _known_row(g, nxt, vocab)
            or _units_row(g, nxt)
        ):
            return h1
        h1 = nxt


def _completed_below(g: _Grid, h0: int, nxt: int) -> bool:
    """Row ``nxt`` is a sub-group row of a heading typed without merges (父亲 … 母亲 under
    家庭情况): it is sparser than a heading-like row further down that puts text under
    columns blank in every heading row so far — the block goes on to that row."""
    above = set().union(*(_cols(g, r) for r in range(h0, nxt)))
    n = len(g.filled(nxt))
    for e in _label_rows_below(g, nxt - 1)[1:]:
        if e - h0 >= _MAX_HEADING_ROWS:
            break
        if len(g.filled(e)) > n and any(c not in above for c in g.filled(e)):
            return True
    return False


def _known_row(g: _Grid, r: int, vocab: frozenset[str]) -> bool:
    """Row r reads as headings the dictionary knows (at least two, half of its cells) and is
    not a numbering row: values under a heading are not wordings of fields."""
    filled = g.filled(r)
    if len(filled) < 2 or _is_numbering(g, r, filled[0], filled[-1]):
        return False
    known = {text_of(g.cells[r][c]) for c in filled if _vocab_hit(text_of(g.cells[r][c]), vocab)}
    return len(known) >= 2 and len(known) * 2 >= len(filled)


_MEASURE = (
    r"(元|万元|千元|人|户|个|间|次|岁|周岁|亩|㎡|m2|m²|平方米|平米|米|公斤|千克|kg|cm|%|小时|天|"
    r"年|月|层|套|辆|头|只|吨|人次|户次)"
)
_UNIT_WORD = re.compile(rf"^[(（]?{_MEASURE}(/{_MEASURE})?[)）]?$", re.I)  # 元, （㎡）, 元/亩


def _is_unit(text: str) -> bool:
    return bool(_UNIT_WORD.match("".join(text.split())))


def _units_row(g: _Grid, r: int) -> bool:
    """A row of units under the headings (元, 人, ㎡ …): part of the heading, a note on each
    column, not the first data row."""
    filled = g.filled(r)
    return len(filled) >= 2 and all(_is_unit(text_of(g.cells[r][c])) for c in filled)


def _filled_group(g: _Grid, r: int, nxt: int) -> bool:
    """Row r holds a group typed into every cell above its columns (the "unmerge and fill"
    habit): a run of one text over two or more columns whose cells in row ``nxt`` differ."""
    c = 0
    while c < g.width:
        t = g.text(r, c)
        end = c
        while end + 1 < g.width and t and g.text(r, end + 1) == t and not g.covered(r, end + 1):
            end += 1
        if end > c:
            # the columns under the run: all named, not the group again, and split into at
            # least two names (a sub-group typed into each of its own cells repeats too)
            below = [g.text(nxt, k) for k in range(c, end + 1)]
            if all(below) and len(set(below)) >= 2 and t not in below:
                return True
        c = end + 1
    return False


def _virtual_groups(g: _Grid, h0: int, h1: int) -> list[Range]:
    """Group headings typed in one cell without merging: extend them over their children.

    Rows are read bottom-up so a group two rows above the leaves (家庭情况 over 父亲 …
    母亲) can extend over the sub-groups found below it. A group ends at the next label of
    its own row, at a column with nothing under it, or — when its children repeat those of
    the group just before it (父亲 姓名 电话, 母亲 姓名 电话) — where that repetition ends,
    so a column typed on the bottom row after the last group stays its own."""
    out: list[Range] = []
    lower: list[Range] = []
    for r in range(h1 - 1, h0 - 1, -1):
        here: list[Range] = []
        prev: Range | None = None
        parents = [c for c in g.filled(r) if any(_own_text(g, x, c) for x in range(r + 1, h1 + 1))]
        # Headings typed on this row with nothing below (the ungrouped ones typed on the
        # top row) bound every group by themselves; only when there are none can a column
        # after a group's children be the row's own, typed on a lower row.
        ambiguous = len(parents) == len(g.filled(r))
        for c in parents:
            if g.span(r, c) > 1:
                continue  # merged across: its merge says how far it goes
            end = c
            person = ambiguous and _is_role_group(text_of(g.cells[r][c]))
            while end + 1 < g.width and _continues(g, r, c, end + 1, person, lower):
                end += 1
            if prev is not None and prev[3] == c - 1:
                w = prev[3] - prev[1] + 1
                theirs = [g.text(h1, k) for k in range(prev[1], prev[3] + 1)]
                if end - c + 1 > w and [g.text(h1, k) for k in range(c, c + w)] == theirs:
                    end = c + w - 1
            if end > c:
                prev = (r, c, r, end)
                here.append(prev)
        out += here
        lower = here
    return sorted(out)


def _own_text(g: _Grid, r: int, c: int) -> str:
    """The text row r shows at column c by itself — not a merge coming down from above."""
    owner = g.owner.get((r, c), (r, c))
    return g.text(r, c) if owner[0] == r else ""


def _continues(g: _Grid, r: int, c: int, k: int, person: bool, lower: list[Range]) -> bool:
    """Column k is still under the group typed at (r, c): row r is empty there, and the
    row below names a child (a person's attribute, for a role group) or is inside a
    sub-group that starts under this group."""
    if g.cells[r][k] is not None or g.covered(r, k):
        return False
    t = g.text(r + 1, k)
    if t:
        return not (person and not _PERSONAL.search(t))
    return any(c <= c0 < k <= c1 for _r0, c0, _r1, c1 in lower)


# What a person has: a group naming another person (监护人, 户主) typed once, without a
# merge, covers that person's attributes only — 补贴标准 after 监护人/姓名/电话 is the row's.
_PERSONAL = re.compile(
    r"姓名|名字|电话|手机|联系|身份证|证件|关系|住址|地址|性别|年龄|出生|单位|职务|民族|"
    r"务工|工作|职业|学历|文化程度|健康"
)


def _is_role_group(text: str) -> bool:
    from onesheet.ingest.normalise import normalise_heading  # local: avoid a cycle
    from onesheet.ingest.wordings import roles_in

    return bool(roles_in(normalise_heading(text)[0]))


def _heading_columns(g: _Grid, h0: int, h1: int, virtual: list[Range]) -> list[HeadingColumn]:
    owner = dict(g.owner)
    for r0, c0, _r1, c1 in virtual:
        for c in range(c0, c1 + 1):
            owner[(r0, c)] = (r0, c0)
    cols: list[HeadingColumn] = []
    units = {r for r in range(h0 + 1, h1 + 1) if _units_row(g, r)}  # not 低保/户, 低保/人
    for c in range(g.width):
        path: list[str] = []
        for r in range(h0, h1 + 1):
            rr, cc = owner.get((r, c), (r, c))
            t = text_of(g.cells[rr][cc])
            if t and path and rr in units:
                path[-1] = f"{path[-1]}（{t.strip('()（）')}）"  # a units row: a note
            elif t and (not path or path[-1] != t):
                path.append(t)
        cols.append(HeadingColumn(c, path))
    named = [i for i, col in enumerate(cols) if col.path]
    if not named:
        return []
    return cols[named[0] : named[-1] + 1]


def _is_numbering(g: _Grid, r: int, fc: int, lc: int) -> bool:
    """A row of column numbers under the headings: 1 2 3 …, 甲 乙 丙 …, ① ② …, A B C …."""
    values = [text_of(g.cells[r][c]) for c in range(fc, lc + 1) if g.cells[r][c] is not None]
    if len(values) < 3 or len(values) < (lc - fc + 1) // 2:
        return False
    keys = []
    for v in values:
        v = v.strip("()（）")
        if v.isdigit():
            keys.append(int(v))
        elif len(v) == 1 and v in _TIANGAN:
            keys.append(_TIANGAN.index(v) + 1)
        elif len(v) == 1 and v in _CIRCLED:
            keys.append(_CIRCLED.index(v) + 1)
        elif len(v) == 1 and v.isascii() and v.isalpha():
            keys.append(ord(v.upper()) - 64)
        else:
            return False
    steps = sum(1 for a, b in itertools.pairwise(keys) if b == a + 1)
    return steps >= len(keys) - 2 and keys[0] <= 2


def _footer_rows(g: _Grid, start: int, fc: int, lc: int) -> list[int]:
    """Rows after the data that hold the signature / note lines, scanned from the bottom."""
    width = lc - fc + 1
    rows: list[int] = []
    r = len(g.cells) - 1
    while r >= start:
        filled = [c for c in g.filled(r)]
        if filled:
            text = "".join(text_of(g.cells[r][c]) for c in filled)
            if len(filled) > max(4, width // 3) or not _FOOTER.search(text):
                break
            rows.append(r)
        elif rows:
            rows.append(r)
        r -= 1
    rows.reverse()
    while rows and not any(v is not None for v in g.cells[rows[0]]):
        rows.pop(0)
    return rows


def _is_total(row: list[Cell]) -> bool:
    return any(isinstance(v, str) and _TOTAL.match(v.strip()) for v in row[:3])


def column_samples(grid: SheetGrid, s: FormStructure, col: int, limit: int = MAX_SAMPLES) -> list:
    """Non-empty values of one column from the first data rows (evidence, not data)."""
    out: list[Cell] = []
    for r in s.data_rows:
        v = grid.cells[r][col] if col < len(grid.cells[r]) else None
        if v is not None and not (isinstance(v, str) and not v.strip()):
            out.append(v)
            if len(out) >= limit:
                break
    return out


def is_date(value: Cell) -> bool:
    return isinstance(value, dt.date)
