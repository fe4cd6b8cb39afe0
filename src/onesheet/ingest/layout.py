"""The official layout of a form, kept so OneSheet can print it the department's way.

Departments check a report by its look as much as its content: the title, the
"填报单位（盖章）… 填报日期" line, the exact heading block with its merged cells, and the
signature footer. The unit line becomes a template: where the original had blanks (or a
filled-in village name / date), ``{org_name}`` and ``{date_cn}`` are put instead.
"""

from __future__ import annotations

import re

from onesheet.domain.template_spec import Layout, Merge
from onesheet.ingest.structure import FormStructure
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


def build_layout(grid: SheetGrid, s: FormStructure, title: str) -> Layout:
    """Title, unit line template, heading block and footer as a ``Layout``."""
    rows, merges = heading_grid(grid, s)
    fields: dict[str, object] = {"title": title, "heading_rows": rows, "merges": merges}
    template = unit_template(s.unit_line)
    if template is not None:
        fields["unit_line"] = template
    if s.footer_lines:
        fields["footer_lines"] = s.footer_lines
    return Layout(**fields)  # type: ignore[arg-type]
