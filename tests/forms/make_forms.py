"""Generate the legacy test forms in ``tests/forms/files/`` and their truth file.

Run from the repository root: ``.venv/bin/python -m tests.forms.make_forms``.

Each form imitates one department's real roster: a merged title, a unit/date line, one to
three heading rows with merged group headings, sample rows (≤ 30), a 合计 row where
departments put one, and a signature footer. ``truth.json`` records, for every column
letter, the field it holds, ``layout``, or ``new:<concept>`` where the dictionary has no
field (the same concept on two forms shares its name). The ``.xls`` form is written with
``xlwt`` (a generator-only dependency: ``.venv/bin/pip install xlwt``; LibreOffice is not
available here). The password-protected fixture is encrypted with ``msoffcrypto-tool``
when it is importable; otherwise the committed file is kept.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

from tests.forms.grid import Node, depth, leaves

HERE = Path(__file__).parent
FILES = HERE / "files"
TRUTH = HERE / "truth.json"
_TIANGAN = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"


@dataclass
class FormDef:
    """One legacy form: its layout, values and what each column truly is."""

    file: str
    department: str
    title: str | None
    columns: list[Node]
    rows: list[list[object]]
    truth: list[object]  # per leaf column
    entity: str
    filter: dict | None = None
    preamble: str | None = None
    subtitle: str | None = None
    unit_cells: list[tuple[int, str]] = field(default_factory=list)
    spacer: int = 0
    numbering: str | None = None  # "arabic" / "tiangan"
    unmerged_groups: bool = False
    households: list[int] = field(default_factory=list)  # member rows per household
    merge_cols: list[int] = field(default_factory=list)  # leaf columns merged per household
    total_row: list[object] | None = None
    blank_rows: int = 0  # a blank template: numbered empty rows
    footer: list[str] = field(
        default_factory=lambda: ["填表人：            审核人：            联系电话："]
    )
    widths: dict[int, float] = field(default_factory=dict)
    frequency: str | None = None  # what a person would set, where the form says it


class XlsxOut:
    """XlsxWriter with fixed document dates, so the same definitions give the same bytes."""

    def __init__(self, path: Path, sheet: str) -> None:
        self.wb = xlsxwriter.Workbook(str(path))
        self.wb.set_properties({"created": dt.datetime(2024, 6, 30, 9, 0, 0)})
        self.ws = self.wb.add_worksheet(sheet)
        self.cell = self.wb.add_format({"border": 1, "text_wrap": True, "valign": "vcenter"})
        self.head = self.wb.add_format(
            {"border": 1, "bold": True, "align": "center", "valign": "vcenter", "text_wrap": True}
        )
        self.title = self.wb.add_format({"bold": True, "font_size": 16, "align": "center"})
        self.date = self.wb.add_format({"border": 1, "num_format": "yyyy-mm-dd"})
        self.plain = self.wb.add_format({})

    def write(self, r: int, c: int, v: object, fmt: str = "cell") -> None:
        f = getattr(self, fmt)
        if isinstance(v, dt.date):
            self.ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), self.date)
        elif isinstance(v, str):
            self.ws.write_string(r, c, v, f)
        elif v is None:
            self.ws.write_blank(r, c, None, f)
        else:
            self.ws.write_number(r, c, v, f)

    def merge(self, r0: int, c0: int, r1: int, c1: int, v: object, fmt: str = "cell") -> None:
        self.ws.merge_range(r0, c0, r1, c1, "", getattr(self, fmt))
        self.write(r0, c0, v, fmt)

    def width(self, c: int, w: float) -> None:
        self.ws.set_column(c, c, w)

    def close(self) -> None:
        self.wb.close()


class XlsOut:
    """The same calls written with xlwt to an Excel 97–2003 ``.xls`` file."""

    def __init__(self, path: Path, sheet: str) -> None:
        import xlwt  # generator-only dependency

        self.path = path
        self.xlwt = xlwt
        self.wb = xlwt.Workbook(encoding="utf-8")
        self.ws = self.wb.add_sheet(sheet)
        self.date = xlwt.easyxf(num_format_str="YYYY-MM-DD")

    def write(self, r: int, c: int, v: object, fmt: str = "cell") -> None:
        if isinstance(v, dt.date):
            self.ws.write(r, c, dt.datetime(v.year, v.month, v.day), self.date)
        elif v is not None:
            self.ws.write(r, c, v)

    def merge(self, r0: int, c0: int, r1: int, c1: int, v: object, fmt: str = "cell") -> None:
        self.ws.write_merge(r0, r1, c0, c1, v if v is not None else "")

    def width(self, c: int, w: float) -> None:
        self.ws.col(c).width = int(w * 256)

    def close(self) -> None:
        self.wb.save(str(self.path))


def _place(out, nodes: list[Node], r: int, c: int, bottom: int, unmerged: bool) -> int:
    """Write a heading tree at (r, c); leaves are merged down to ``bottom``."""
    for n in nodes:
        if isinstance(n, str):
            if r < bottom:
                out.merge(r, c, bottom, c, n, "head")
            else:
                out.write(r, c, n, "head")
            c += 1
            continue
        name, children = n
        width = len(leaves(children))
        if unmerged or width == 1:
            out.write(r, c, name, "head")
        else:
            out.merge(r, c, r, c + width - 1, name, "head")
        _place(out, children, r + 1, c, bottom, unmerged)
        c += width
    return c


def write_form(form: FormDef) -> dict[str, object]:
    """Write one form; return its truth entry (1-based heading rows, letters → truth)."""
    from onesheet.domain.template_spec import column_letter

    path = FILES / form.file
    out = (XlsOut if form.file.endswith(".xls") else XlsxOut)(path, "Sheet1")
    n = len(leaves(form.columns))
    r = 0
    if form.preamble:
        out.write(r, 0, form.preamble, "plain")
        r += 1
    if form.title is not None:  # an export without a title row
        out.merge(r, 0, r, n - 1, form.title, "title")
        r += 1
    if form.subtitle:
        out.merge(r, 0, r, n - 1, form.subtitle, "plain")
        r += 1
    if form.unit_cells:
        for c, text in form.unit_cells:
            out.write(r, c, text, "plain")
        r += 1
    r += form.spacer
    d = depth(form.columns)
    h0 = r
    _place(out, form.columns, r, 0, r + d - 1, form.unmerged_groups)
    r += d
    if form.numbering:
        for c in range(n):
            out.write(r, c, c + 1 if form.numbering == "arabic" else _TIANGAN[c])
        r += 1
    start = r
    for row in form.rows:
        for c, v in enumerate(row):
            out.write(r, c, v)
        r += 1
    if form.households:
        top = start
        for size in form.households:
            if size > 1:
                for c in form.merge_cols:
                    out.merge(top, c, top + size - 1, c, form.rows[top - start][c])
            top += size
    for i in range(form.blank_rows):
        out.write(r, 0, i + 1)
        for c in range(1, n):
            out.write(r, c, None)
        r += 1
    if form.total_row:
        for c, v in enumerate(form.total_row):
            out.write(r, c, v)
        r += 1
    r += 1
    for line in form.footer:
        out.write(r, 0, line, "plain")
        r += 1
    for c, w in form.widths.items():
        out.width(c, w)
    out.close()
    entry = {
        "department": form.department,
        "title": form.title,
        "entity": form.entity,
        "kind": "aggregate" if form.entity == "aggregate" else "roster",
        "header_rows": list(range(h0 + 1, h0 + d + 1)),
        "filter": form.filter,
        "columns": {column_letter(i): t for i, t in enumerate(form.truth)},
    }
    if form.frequency is not None:
        entry["frequency"] = form.frequency
    return entry


def write_encrypted(path: Path) -> bool:
    """A real password-protected xlsx (password ``onesheet``), when msoffcrypto is there."""
    try:
        from msoffcrypto.format.ooxml import OOXMLFile
    except ImportError:
        return False
    plain = io.BytesIO()
    wb = xlsxwriter.Workbook(plain, {"in_memory": True})
    wb.set_properties({"created": dt.datetime(2024, 6, 30, 9, 0, 0)})
    wb.add_worksheet("Sheet1").write(0, 0, "加密的花名册")
    wb.close()
    plain.seek(0)
    encrypted = io.BytesIO()
    OOXMLFile(plain).encrypt("onesheet", encrypted)
    path.write_bytes(encrypted.getvalue())
    return True


def main() -> None:
    from tests.forms.forms_issue12 import issue12_forms
    from tests.forms.forms_other import other_forms
    from tests.forms.forms_people import people_forms
    from tests.forms.forms_styles import style_forms
    from tests.forms.forms_styles import write as write_style

    FILES.mkdir(parents=True, exist_ok=True)
    truth = {}
    for form in [*people_forms(), *other_forms(), *issue12_forms()]:
        assert len(form.truth) == len(leaves(form.columns)), form.file
        assert all(len(row) == len(form.truth) for row in form.rows), form.file
        truth[form.file] = write_form(form)
    for style in style_forms():
        truth[style.file] = write_style(style, FILES)
    TRUTH.write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    bad = FILES / "bad"
    bad.mkdir(exist_ok=True)
    made = write_encrypted(bad / "encrypted.xlsx")
    print(f"wrote {len(truth)} forms; encrypted fixture {'written' if made else 'kept'}")


if __name__ == "__main__":
    main()
