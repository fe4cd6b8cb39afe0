"""The official layout of a form, kept so OneSheet can print it the department's way.

Departments check a report by its look as much as its content: the title, the
"填报单位（盖章）… 填报日期" line, the exact heading block with its merged cells, and the
signature footer. The unit line becomes a template: where the original had blanks (or a
filled-in village name / date), ``{org_name}`` and ``{date_cn}`` are put instead.

The form's rows are kept where they were (``build_layout``): each title, subtitle, unit and
note row above the heading at its sheet row, the heading block's and the data's first rows,
the footer rows; period words in title lines become placeholders (2024年 → ``{year}年``,
第四季度 → ``第{quarter_cn}季度``, 11月 → ``{month}月``) and a leading village or town name
``{org_name}``, so a report says its own period and unit. From an XLSX the cells' styles
(font, alignment, number format, border), row heights and page set-up are read from the
package's XML (``read_styles``); XLS and ODS keep positions, merges and text only.
"""

from __future__ import annotations

import contextlib
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field

from onesheet.domain.template_spec import (
    CellStyle,
    Layout,
    LayoutRow,
    LineCell,
    Merge,
    PrintSetup,
)
from onesheet.ingest.containers import _sheet_path, cell_index
from onesheet.ingest.structure import FormStructure, text_of
from onesheet.ingest.workbook import SheetGrid

_LABEL = re.compile(
    r"((?:填报|填表|报送|统计|制表|上报)?单位(?:名称)?\s*(?:[（(]\s*盖\s*章\s*[)）])?"
    r"|(?:填报|填表|报送|统计|上报|截[至止])?(?:日期|时间))\s*[:：]"
)
_MEASURE = re.compile(r"^(人|户|元|万元|个|亩|平方米|㎡|间|人、户|户、人|人/户|户/人|万元、人)$")
_SEP = "　　　　"


def unit_template(line: str | None) -> str | None:
    """``填报单位（盖章）：____ 填报日期：  年 月 日`` → ``…：{org_name}　　　　…：{date_cn}``.

    Returns None when the line has no unit or date label (the caller keeps the default),
    and the line itself when its only "单位" is a unit of measure (单位：人).
    """
    if not line:
        return None
    found = list(_LABEL.finditer(line))
    if not found:
        return None
    parts: list[str] = []
    literal_only = True
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(line)
        value = line[m.end() : end].strip(" 　_")
        label = re.sub(r"\s+", "", m.group(1)) + "："
        if "单位" in m.group(1):
            if _MEASURE.match(value.replace(" ", "")):
                parts.append(label + value)
                continue
            parts.append(label + "{org_name}")
        else:
            parts.append(label + "{date_cn}")
        literal_only = False
    if literal_only:
        return line.strip()
    prefix = line[: found[0].start()].strip()
    return (prefix + "　" if prefix else "") + _SEP.join(parts)


def heading_grid(grid: SheetGrid, s: FormStructure) -> tuple[list[list[str | None]], list[Merge]]:
    """The heading block as text (None inside a merge) and its merges, relative to it."""
    if not s.columns or not s.header_rows:
        return [], []
    h0, h1 = s.header_rows[0], s.header_rows[-1]
    fc, lc = s.columns[0].col, s.columns[-1].col
    inside: set[tuple[int, int]] = set()
    merges: list[Merge] = []
    for r0, c0, r1, c1 in grid.merges:
        if not (h0 <= r0 <= h1 and fc <= c0 <= lc):
            continue
        r1, c1 = min(r1, h1), min(c1, lc)
        if (r1, c1) == (r0, c0):
            continue
        merges.append(
            Merge(first_row=r0 - h0, first_col=c0 - fc, last_row=r1 - h0, last_col=c1 - fc)
        )
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    inside.add((r, c))
    rows: list[list[str | None]] = []
    for r in range(h0, h1 + 1):
        row: list[str | None] = []
        for c in range(fc, lc + 1):
            if (r, c) in inside:
                row.append(None)
            else:
                v = grid.cells[r][c]
                row.append("" if v is None else str(v).strip())
        rows.append(row)
    merges.sort(key=lambda m: (m.first_row, m.first_col))
    return rows, merges


_NUM_CN = "一二三四"
_DATE = re.compile(
    r"(?<!\d)(19[5-9]\d|20\d\d)(\s*)年(\s*)(1[0-2]|0?[1-9])(\s*)月(?:(\s*)(3[01]|[12]\d|0?[1-9])(\s*)日)?"
)
_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(\s*)年")
_QUARTER = re.compile(r"(第?)([一二三四1-4])(\s*)季度")
_MONTH = re.compile(r"(?<![\d\-－~～至到}])(1[0-2]|0?[1-9])(\s*)月(?!\d)")
_PLACE = re.compile(
    r"([\u4e00-\u9fff]{1,7}?)(自治区|省|自治州|市|州|盟|县|旗|社区|街道|居委会|村委会|村|镇|乡|区)"
)
_LOCAL = ("社区", "街道", "居委会", "村委会", "村", "镇", "乡")
_NOT_PLACE = re.compile(
    r"^(农|乡|城|城乡|城市|全|本|各|该|行政|自然|所在|户籍|居住|每|乡镇|村|镇|新农|美丽|和谐)$"
)
_NOT_PLACE_IN = re.compile(r"所在|户籍|居住|行政|自然|农|城乡|各|全|本")
_LEAD = re.compile(r"^(\s*[（(【\[]?\s*(?:\{year\}\s*年度?)?\s*)")


def period_template(text: str) -> str:
    """Period words as placeholders; literal braces doubled first (``str.format`` rules)."""
    text = text.replace("{", "{{").replace("}", "}}")

    def date(m: re.Match[str]) -> str:
        out = f"{{year}}{m.group(2)}年{m.group(3)}{{month}}{m.group(5)}月"
        if m.group(7):
            out += f"{m.group(6)}{{day}}{m.group(8)}日"
        return out

    text = _DATE.sub(date, text)
    text = _YEAR.sub(lambda m: f"{{year}}{m.group(2)}年", text)
    text = _QUARTER.sub(
        lambda m: (
            m.group(1)
            + ("{quarter}" if m.group(2).isdigit() else "{quarter_cn}")
            + m.group(3)
            + "季度"
        ),
        text,
    )
    return _MONTH.sub(lambda m: f"{{month}}{m.group(2)}月", text)


def place_template(text: str) -> str:
    """A leading village/town name (after any 县/市 prefix) as ``{org_name}``.

    ``柳林村2024年度…`` → ``{org_name}…``; ``某县城关镇柳林村…`` → ``某县{org_name}…``. Only
    at the start of the line (after an opening bracket or a leading year): words that merely
    end in 村 or 乡 (农村, 城乡, 户籍所在村) are left alone.
    """
    lead = _LEAD.match(text)
    pos = lead.end() if lead else 0
    first: int | None = None
    end = pos
    while True:
        m = _PLACE.match(text, end)
        stem = m.group(1) if m else ""
        if not m or _NOT_PLACE.match(stem) or _NOT_PLACE_IN.search(stem) or "{" in stem:
            break
        if m.group(2) in _LOCAL:
            if first is None:
                first = m.start()
        elif first is not None:
            break  # a district after a village is not a prefix of it
        end = m.end()
    if first is None:
        return text
    last = end
    return text[:first] + "{org_name}" + text[last:]


# --- styles, heights and page set-up of an XLSX sheet ------------------------------------

_H_ALIGN = {
    "left": "left",
    "center": "center",
    "right": "right",
    "fill": "fill",
    "justify": "justify",
    "centerContinuous": "center_across",
    "distributed": "distributed",
}
_V_ALIGN = {
    "top": "top",
    "center": "vcenter",
    "bottom": "bottom",
    "justify": "vjustify",
    "distributed": "vdistributed",
}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(el: ET.Element, name: str) -> ET.Element | None:
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _flag(el: ET.Element | None) -> bool:
    return el is not None and el.get("val", "1") not in ("0", "false", "none")


@dataclass
class SheetStyles:
    """What ``read_styles`` found: a style per cell, row heights, the page set-up."""

    xfs: list[CellStyle] = field(default_factory=list)  # by cellXfs index
    cells: dict[tuple[int, int], int] = field(default_factory=dict)  # (row, col) → xf
    row_xf: dict[int, int] = field(default_factory=dict)  # a row's own style
    heights: dict[int, float] = field(default_factory=dict)
    print_setup: PrintSetup | None = None
    landscape: bool | None = None

    def style(self, r: int, c: int) -> CellStyle | None:
        xf = self.cells.get((r, c), self.row_xf.get(r))
        if xf is None or not 0 <= xf < len(self.xfs):
            return None
        return self.xfs[xf]


def _cell_xfs(styles_xml: bytes) -> list[CellStyle]:
    root = ET.fromstring(styles_xml)
    sections = {_local(c.tag): c for c in root}
    codes: dict[int, str] = {}
    for nf in sections.get("numFmts", []):
        try:
            codes[int(nf.get("numFmtId", ""))] = nf.get("formatCode", "")
        except ValueError:
            continue
    fonts: list[dict[str, object]] = []
    for f in sections.get("fonts", []):
        props: dict[str, object] = {}
        for c in f:
            name = _local(c.tag)
            if name == "name":
                props["font_name"] = c.get("val")
            elif name == "sz":
                with contextlib.suppress(ValueError):
                    props["font_size"] = float(c.get("val", ""))
            elif name in ("b", "i", "u"):
                key = {"b": "bold", "i": "italic", "u": "underline"}[name]
                props[key] = _flag(c) or (name == "u" and c.get("val") not in ("none",))
        fonts.append(props)
    borders: list[bool] = []
    for b in sections.get("borders", []):
        borders.append(
            any(_local(c.tag) in ("left", "right", "top", "bottom") and c.get("style") for c in b)
        )
    out: list[CellStyle] = []
    for xf in sections.get("cellXfs", []):
        props = {}
        try:
            font = int(xf.get("fontId", "0"))
            props.update(fonts[font] if font < len(fonts) else {})
            border = int(xf.get("borderId", "0"))
            props["border"] = borders[border] if border < len(borders) else False
            num = int(xf.get("numFmtId", "0"))
        except ValueError:
            num = 0
        if num in codes:
            props["num_format"] = codes[num]
        elif num == 49:
            props["num_format"] = "@"
        elif num:
            props["num_format"] = num
        al = _child(xf, "alignment")
        if al is not None:
            props["align"] = _H_ALIGN.get(al.get("horizontal", ""))
            props["valign"] = _V_ALIGN.get(al.get("vertical", ""), "bottom")
            props["wrap"] = al.get("wrapText") in ("1", "true")
        out.append(CellStyle(**props))  # type: ignore[arg-type]
    return out


def _print_setup(el: ET.Element, setup: dict[str, object]) -> None:
    name = _local(el.tag)
    if name == "pageSetUpPr" and el.get("fitToPage") in ("1", "true"):
        setup["fit"] = True
    elif name == "printOptions":
        setup["center_horizontally"] = el.get("horizontalCentered") in ("1", "true")
    elif name == "pageMargins":
        with contextlib.suppress(ValueError):
            setup["margins"] = [float(el.get(k, "")) for k in ("left", "right", "top", "bottom")]
    elif name == "pageSetup":
        for key, attr in (("paper", "paperSize"), ("scale", "scale")):
            if el.get(attr, "").isdigit():
                setup[key] = int(el.get(attr, ""))
        for key, attr in (("fit_width", "fitToWidth"), ("fit_height", "fitToHeight")):
            setup[key] = int(el.get(attr, "1")) if el.get(attr, "1").isdigit() else 1
        if el.get("orientation") in ("landscape", "portrait"):
            setup["landscape"] = el.get("orientation") == "landscape"


def read_styles(data: bytes, sheet_name: str, rows: set[int]) -> SheetStyles | None:
    """Styles of the cells in ``rows`` (0-based), their heights and the page set-up.

    None when the bytes are not an XLSX package or the sheet is not found. The sheet's XML
    is streamed; only the wanted rows' cells are kept.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        return None
    with zf:
        path = _sheet_path(zf, sheet_name)
        if path is None or path not in zf.namelist():
            return None
        try:
            found = SheetStyles(xfs=_cell_xfs(zf.read("xl/styles.xml")))
        except (KeyError, ET.ParseError):
            found = SheetStyles()
        setup: dict[str, object] = {}
        try:
            with zf.open(path) as part:
                _stream_sheet(part, rows, found, setup)
        except (ET.ParseError, OSError, zipfile.BadZipFile):
            pass
    if "landscape" in setup:
        found.landscape = bool(setup.pop("landscape"))
    fit = setup.pop("fit", False)
    if not fit:
        setup.pop("fit_width", None)
        setup.pop("fit_height", None)
    if setup:
        found.print_setup = PrintSetup(**setup)  # type: ignore[arg-type]
    return found


def _stream_sheet(
    part: object, rows: set[int], found: SheetStyles, setup: dict[str, object]
) -> None:
    """Rows' cell styles and heights, then the page set-up after ``sheetData``."""
    for _event, el in ET.iterparse(part, events=("end",)):  # type: ignore[arg-type]
        name = _local(el.tag)
        if name == "row":
            r = int(el.get("r", "0")) - 1
            if r in rows:
                if el.get("customHeight") in ("1", "true") and el.get("ht"):
                    found.heights[r] = float(el.get("ht", "0"))
                if el.get("s") and el.get("customFormat") in ("1", "true"):
                    found.row_xf[r] = int(el.get("s", "0"))
                for c in el:
                    ref = c.get("r")
                    if ref:  # a cell without ``s`` has the workbook's default style, xf 0
                        found.cells[cell_index(ref)] = int(c.get("s", "0"))
            el.clear()
        elif name in ("pageSetUpPr", "printOptions", "pageMargins", "pageSetup"):
            _print_setup(el, setup)


# --- the layout ---------------------------------------------------------------------------


class _Styles:
    """Distinct styles collected into ``Layout.styles``, referenced by index."""

    def __init__(self, sheet: SheetStyles | None) -> None:
        self.sheet = sheet
        self.table: list[CellStyle] = []
        self.index: dict[str, int] = {}

    def at(self, r: int, c: int) -> int | None:
        style = self.sheet.style(r, c) if self.sheet else None
        if style is None:
            return None
        key = style.model_dump_json()
        if key not in self.index:
            self.index[key] = len(self.table)
            self.table.append(style)
        return self.index[key]


def _line_cells(
    grid: SheetGrid, r: int, fc: int, lc: int, styles: _Styles, role: str
) -> list[LineCell]:
    """The text cells of sheet row ``r`` within the form's columns, with their merges."""
    spans = {(m[0], m[1]): m for m in grid.merges if m[0] == r}
    cells: list[LineCell] = []
    used: set[int] = set()
    for c, value in enumerate(grid.cells[r]):
        text = text_of(value)
        if not text:
            continue
        col = min(max(c - fc, 0), lc - fc)
        if col in used:
            prev = cells[-1]
            prev.text += "　" + _text(text, role)
            continue
        used.add(col)
        m = spans.get((r, c))
        last = min(m[3], lc) - fc if m else None
        cells.append(
            LineCell(
                col=col,
                last_col=last if last is not None and last > col else None,
                rows=(m[2] - m[0] + 1) if m else 1,
                text=_text(text, role),
                style=styles.at(r, c),
            )
        )
    return cells


def _text(text: str, role: str) -> str:
    if role in ("title", "subtitle"):
        return place_template(period_template(text))
    if role == "unit":
        return unit_template(text.replace("{", "{{").replace("}", "}}")) or text.replace(
            "{", "{{"
        ).replace("}", "}}")
    return text.replace("{", "{{").replace("}", "}}")


def build_layout(
    grid: SheetGrid, s: FormStructure, title: str, source: bytes | None = None
) -> Layout:
    """Title, unit line template, heading block and footer as a ``Layout``, with the form's
    rows where they were and, given the XLSX's bytes, its styles and page set-up."""
    rows, merges = heading_grid(grid, s)
    fields: dict[str, object] = {"title": title, "heading_rows": rows, "merges": merges}
    template = unit_template(s.unit_line)
    if template is not None:
        fields["unit_line"] = template
    if s.footer_lines:
        fields["footer_lines"] = s.footer_lines
    if not rows or not s.columns:
        return Layout(**fields)  # type: ignore[arg-type]
    fc, lc = s.columns[0].col, s.columns[-1].col
    h0, h1 = s.header_rows[0], s.header_rows[-1]
    data_row = s.data_rows[0] if s.data_rows else (s.numbering_row or h1) + 1
    wanted = set(range(0, data_row + 1)) | set(s.footer_rows)
    sheet = None
    if source is not None and grid.file_format == "xlsx":
        sheet = read_styles(source, grid.name, wanted)
    styles = _Styles(sheet)
    roles = {r: "title" for r in s.title_rows[:1]}
    roles.update({r: "subtitle" for r in s.title_rows[1:]})
    roles.update({r: "unit" for r in s.unit_rows})
    heights = sheet.heights if sheet else {}
    top: list[LayoutRow] = []
    for r in range(0, h0):
        cells = _line_cells(grid, r, fc, lc, styles, roles.get(r, "note"))
        if cells:
            top.append(
                LayoutRow(row=r, role=roles.get(r, "note"), cells=cells, height=heights.get(r))  # type: ignore[arg-type]
            )
    footer: list[LayoutRow] = []
    for r in s.footer_rows:
        cells = _line_cells(grid, r, fc, lc, styles, "footer")
        if cells:
            footer.append(
                LayoutRow(
                    row=r - s.footer_rows[0], role="footer", cells=cells, height=heights.get(r)
                )
            )
    last_data = max(s.data_rows + s.total_rows, default=None)
    gap = 1
    if s.footer_rows and last_data is not None:
        gap = min(max(s.footer_rows[0] - last_data - 1, 0), 3)
    fields.update(
        top_rows=top,
        heading_row=h0,
        data_row=data_row,
        footer_rows=footer,
        footer_gap=gap,
        heading_styles=[[styles.at(r, c) for c in range(fc, lc + 1)] for r in range(h0, h1 + 1)],
        column_styles=[styles.at(data_row, c) for c in range(fc, lc + 1)]
        if data_row not in s.footer_rows
        else [],
        heading_heights=[heights.get(r) for r in range(h0, h1 + 1)],
        data_height=heights.get(data_row),
    )
    if s.numbering_row is not None:
        nr = s.numbering_row
        fields["numbering"] = [text_of(v) for v in grid.cells[nr][fc : lc + 1]]
        fields["numbering_styles"] = [styles.at(nr, c) for c in range(fc, lc + 1)]
        fields["data_row"] = max(data_row, nr + 1)
    if sheet is not None:
        if sheet.landscape is not None:
            fields["landscape"] = sheet.landscape
        fields["print_setup"] = sheet.print_setup
    fields["styles"] = styles.table
    return Layout(**fields)  # type: ignore[arg-type]
