"""Read one sheet of a department's XLSX / XLS / ODS file into a plain grid.

python-calamine reads all three formats fast and returns the *cached* result of formulas —
nothing is ever evaluated, so a form cannot run code on the county's machine. It also
gives merged ranges (checked with 0.9.1 on XLSX and XLS, never on ODS); for XLSX files
where it gives none, for column widths it does not expose, and for every ODS file's
merges, the sheet's XML is read with ``zipfile``.

Everything a person can get wrong — a Word file renamed ``.xlsx``, a password, an empty or
huge sheet, a zip that inflates to hundreds of megabytes — is refused with an
``InvalidInput`` naming the problem in Chinese and English, never a traceback. Macros and
links to other workbooks are never run or followed; they are reported as notes. A workbook
whose other sheets are instructions (填写说明) or code lists (字典) is read from its form
sheet, and the note says which sheet was picked and why the others were not.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine as pc

from onesheet.domain.findings import Finding, InvalidInput
from onesheet.domain.template_spec import column_letter
from onesheet.ingest import containers

Cell = str | float | int | dt.date | dt.datetime | None
Range = tuple[int, int, int, int]  # first row, first col, last row, last col; 0-based, inclusive

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_COLUMNS = 200
# A zip's members are checked before anything is inflated: more than this in total, or a
# compression ratio above _MAX_RATIO on more than _RATIO_FROM bytes, is a zip bomb.
DEFAULT_MAX_INFLATED = 256 * 1024 * 1024
_MAX_RATIO, _RATIO_FROM = 60, 32 * 1024 * 1024
_STRAY_GAP = 8  # empty columns between the form and a far-right stray cell
_STRAY_MAX = 3  # stray cells beyond such a gap (markers, stamps) that are dropped
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")


@dataclass
class SheetGrid:
    """One sheet as plain Python values: what the structure finder and matcher work on."""

    name: str
    cells: list[list[Cell]]  # rectangular; "" and whitespace-only text are None
    merges: list[Range] = field(default_factory=list)
    col_widths: dict[int, float] = field(default_factory=dict)  # 0-based column → chars
    sheet_names: list[str] = field(default_factory=list)
    file_format: str = "xlsx"
    notes: list[Finding] = field(default_factory=list)  # warnings: macros, sheet picked …

    @property
    def n_rows(self) -> int:
        return len(self.cells)

    @property
    def n_cols(self) -> int:
        return len(self.cells[0]) if self.cells else 0


def _refuse(code: str, zh: str, en: str, filename: str | None) -> InvalidInput:
    return InvalidInput([Finding(code, zh, en, file=filename)])


def load_bytes(source: str | Path | bytes, filename: str | None, max_bytes: int) -> bytes:
    """The file's bytes, refusing a missing or oversized file before reading it all."""
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise _refuse("file.missing", f"找不到文件 {path}", f"no such file: {path}", filename)
        size = path.stat().st_size
        if size > max_bytes:
            raise _too_big(size, max_bytes, filename)
        data = path.read_bytes()
    if len(data) > max_bytes:
        raise _too_big(len(data), max_bytes, filename)
    return data


def _too_big(size: int, limit: int, filename: str | None) -> InvalidInput:
    return _refuse(
        "file.too_large",
        f"文件 {_size(size)}，超过上限 {_size(limit)}；请删去无关工作表或拆分后再上传",
        f"file is {_size(size)}, over the {_size(limit)} limit; "
        "remove unrelated sheets or split it",
        filename,
    )


def _size(n: int) -> str:
    return f"{n / 1048576:.1f} MB" if n >= 1048576 else f"{n / 1024:.1f} KB"


def detect_format(data: bytes, filename: str | None = None) -> str:
    """``xlsx`` / ``xlsb`` / ``ods`` / ``xls`` from the bytes themselves, never the file name.

    A renamed text or Word file is refused here; an OLE container holding an
    ``EncryptedPackage`` stream is an Excel file saved with a password.
    """
    not_sheet = _refuse(
        "file.not_spreadsheet",
        "文件不是 Excel/WPS 表格（xlsx、xls、ods），请另存为 xlsx 后再上传",
        "not a spreadsheet (xlsx, xls or ods); save it as xlsx and try again",
        filename,
    )
    if data.startswith(_ZIP_MAGIC):
        try:
            check_inflated_size(data, filename)
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
                mimetype = zf.read("mimetype")[:80] if "mimetype" in names else b""
        except zipfile.BadZipFile:
            raise not_sheet from None
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "xl/workbook.bin" in names:
            return "xlsb"
        if b"opendocument.spreadsheet" in mimetype:
            return "ods"
        raise not_sheet
    if data.startswith(_OLE_MAGIC):
        if containers.is_encrypted_ooxml(data):
            raise _password(filename)
        return "xls"
    raise not_sheet


def check_inflated_size(
    data: bytes, filename: str | None, limit: int = DEFAULT_MAX_INFLATED
) -> None:
    """Refuse a zip bomb from the central directory's sizes, before any member is read."""
    total, packed, member, member_size = containers.zip_sizes(data)
    ratio = total / max(packed, 1)
    if total > limit or (total > _RATIO_FROM and ratio > _MAX_RATIO):
        raise _refuse(
            "file.zip_bomb",
            f"文件解压后有 {_size(total)}（压缩比 {ratio:.0f} 倍，最大的部件 {member} 为 "
            f"{_size(member_size)}），远超正常表格，已拒绝；请在 Excel/WPS 中另存为新文件后再上传",
            f"the file inflates to {_size(total)} (ratio {ratio:.0f}:1; largest part {member} "
            f"is {_size(member_size)}), far beyond a real form: refused. Save it as a new "
            "file in Excel/WPS and upload that",
            filename,
        )


def container_notes(data: bytes, fmt: str, filename: str | None) -> list[Finding]:
    """Warnings about parts that are never run or followed: macros, external links."""
    notes: list[Finding] = []
    if fmt in ("xlsx", "xlsb", "ods"):
        try:
            names = containers.zip_members(data)
        except zipfile.BadZipFile:
            names = []
        macros = any(n.lower().endswith("vbaproject.bin") or n.startswith("Basic/") for n in names)
        links = [n for n in names if n.startswith("xl/externalLinks/") and n.endswith(".xml")]
    else:
        ole = containers.ole_names(data)
        macros = bool({"_VBA_PROJECT_CUR", "VBA", "_VBA_PROJECT", "Macros"} & ole)
        links = []
    if macros:
        notes.append(
            Finding(
                "file.macros",
                "文件含有宏（VBA 代码）：OneSheet 不会运行宏，只读取单元格中保存的值",
                "the file contains macros (VBA): OneSheet never runs them and reads only the "
                "values saved in the cells",
                file=filename,
            )
        )
    if links:
        notes.append(
            Finding(
                "file.external_links",
                f"文件链接了 {len(links)} 个外部工作簿：不会打开链接，公式只取文件中保存的值；"
                "如需最新值，请先在 Excel/WPS 中“断开链接”后再上传",
                f"the file links to {len(links)} external workbook(s): links are not followed "
                "and formulas keep their saved values; break the links in Excel/WPS first if "
                "the values must be current",
                file=filename,
            )
        )
    return notes


def _password(filename: str | None) -> InvalidInput:
    return _refuse(
        "file.password_protected",
        "文件设置了打开密码，请在 Excel/WPS 中取消密码后再上传",
        "the file is password-protected; remove the password in Excel/WPS and upload again",
        filename,
    )


def read_sheet(
    source: str | Path | bytes,
    *,
    filename: str | None = None,
    sheet: str | int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_columns: int = DEFAULT_MAX_COLUMNS,
) -> SheetGrid:
    """Read one sheet; ``sheet`` is a name or 0-based index, needed when several have data."""
    if filename is None and not isinstance(source, bytes | bytearray):
        filename = Path(source).name
    data = load_bytes(source, filename, max_bytes)
    fmt = detect_format(data, filename)
    try:
        book = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except pc.PasswordError:
        raise _password(filename) from None
    except Exception as exc:  # calamine raises several unrelated types for broken files
        raise _refuse(
            "file.unreadable",
            f"文件已损坏或格式不受支持，无法读取（{type(exc).__name__}）",
            f"the file is damaged or in an unsupported format ({type(exc).__name__}: {exc})",
            filename,
        ) from None
    notes = container_notes(data, fmt, filename)
    with book:
        name, rows, merges, picked = _pick_sheet(book, sheet, filename)
        sheet_names = list(book.sheet_names)
    notes.extend(picked)
    cells = _to_cells(rows)
    if not cells:
        raise _refuse(
            "sheet.empty",
            f"工作表“{name}”是空的，没有标题和表头",
            f"sheet '{name}' is empty: no title and no headings",
            filename,
        )
    cells, stray = _trim_stray_columns(cells)
    if stray:
        notes.append(
            Finding(
                "sheet.stray_cells",
                f"工作表“{name}”表格右侧远处有 {len(stray)} 个孤立单元格（"
                f"{'、'.join(stray)}），不属于表格，已忽略",
                f"sheet '{name}' has {len(stray)} stray cell(s) far right of the table "
                f"({', '.join(stray)}); they are not part of the form and were ignored",
                file=filename,
            )
        )
    if len(cells[0]) > max_columns:
        raise _refuse(
            "sheet.too_many_columns",
            f"工作表“{name}”有 {len(cells[0])} 列，超过上限 {max_columns} 列",
            f"sheet '{name}' has {len(cells[0])} columns, over the limit of {max_columns}",
            filename,
        )
    widths: dict[int, float] = {}
    if fmt == "xlsx":
        if not merges:
            merges = containers.merged_ranges(data, name)
        widths = containers.column_widths(data, name)
    elif fmt == "ods" and not merges:
        merges = containers.ods_merged_ranges(data, name)
    n_rows, n_cols = len(cells), len(cells[0])
    merges = [m for m in merges if m[0] < n_rows and m[1] < n_cols and m != (m[0], m[1]) * 2]
    merges = [(r0, c0, r1, min(c1, n_cols - 1)) for r0, c0, r1, c1 in merges]
    return SheetGrid(name, cells, merges, widths, sheet_names, fmt, notes)


def _trim_stray_columns(cells: list[list[Cell]]) -> tuple[list[list[Cell]], list[str]]:
    """Drop a few cells far right of the table (a marker in the 256th column, a stamp):
    beyond a gap of empty columns, at most ``_STRAY_MAX`` cells. Returns their addresses."""
    width = len(cells[0])
    filled = [0] * width
    for row in cells:
        for c, v in enumerate(row):
            if v is not None:
                filled[c] += 1
    last = -1
    gap = 0
    for c in range(width):
        if filled[c]:
            if last >= 0 and gap >= _STRAY_GAP and sum(filled[c:]) <= _STRAY_MAX:
                stray = [
                    f"{column_letter(cc)}{r + 1}"
                    for r, row in enumerate(cells)
                    for cc in range(c, width)
                    if row[cc] is not None
                ]
                cut = last + 1
                return [row[:cut] for row in cells], stray
            last, gap = c, 0
        else:
            gap += 1
    return cells, []


_INSTRUCTION_NAME = re.compile(
    r"说明|须知|注意事项|指南|指引|填报要求|填表要求|readme|instruction", re.I
)
_CODES_NAME = re.compile(
    r"字典|代码|码表|编码|选项|下拉|数据源|参数|勿动|勿删|枚举|对照|dict|code|list|option", re.I
)
_CODE_VALUE = re.compile(r"^[0-9A-Za-z]{1,6}\s*[-－—:：.、]\s*\S+$")


def sheet_role(name: str, rows: list[list[object]]) -> tuple[str, str]:
    """``form`` / ``instructions`` / ``codes`` / ``cover`` / ``empty`` for one sheet, with
    the reason (a cover page has lines of text but no row of two cells).

    A sheet's name says it first (填写说明, 相关数据字典项, 字典勿动); otherwise its cells:
    instructions are long sentences in one or two columns; a code list is columns of
    labels ending in a colon over lists of short values, or ``01-汉族`` pairs.
    """
    values = [
        (r, c, str(v).strip())
        for r, row in enumerate(rows[:_ROLE_ROWS])
        for c, v in enumerate(row)
        if v not in ("", None) and str(v).strip()
    ]
    if not values:
        return "empty", "空表"
    if _INSTRUCTION_NAME.search(name):
        return "instructions", "名称为说明"
    if _CODES_NAME.search(name):
        return "codes", "名称为代码表"
    texts = [t for _, _, t in values]
    cols = {c for _, c, _ in values}
    long_share = sum(1 for t in texts if len(t) >= 25) / len(texts)
    if len(cols) <= 2 and long_share >= 0.3:
        return "instructions", "内容为说明文字"
    first_row = min(r for r, _, _ in values)
    top = [t for r, _, t in values if r == first_row]
    colon_top = sum(1 for t in top if t.endswith((":", "："))) / len(top)
    coded = sum(1 for t in texts if _CODE_VALUE.match(t)) / len(texts)
    if (len(top) >= 2 and colon_top >= 0.6) or coded >= 0.5:
        return "codes", "内容为代码列表"
    per_row = Counter(r for r, _, _ in values)
    if max(per_row.values()) < 2:  # a cover page: title, department, date — no table
        return "cover", "只有单列文字，没有表格"
    return "form", ""


_ROLE_ROWS = 200  # a sheet's role shows in its first rows

_ROLE_ZH = {"instructions": "填写说明", "codes": "代码表", "empty": "空表", "cover": "封面"}


def _pick_sheet(
    book: pc.CalamineWorkbook, sheet: str | int | None, filename: str | None
) -> tuple[str, list[list[object]], list[Range], list[Finding]]:
    """The chosen sheet, or the only visible worksheet that holds a form.

    Instruction and code-list sheets are recognised and passed over; the returned note
    names the sheet picked and the ones passed over. ``sheet`` (``--sheet``) overrides.
    """
    names = list(book.sheet_names)
    if sheet is not None:
        if isinstance(sheet, int) and not 0 <= sheet < len(names):
            sheet = str(sheet)
        if isinstance(sheet, str) and sheet not in names:
            raise _refuse(
                "sheet.not_found",
                f"没有名为“{sheet}”的工作表；文件中的工作表：{'、'.join(names)}",
                f"no sheet named '{sheet}'; the file has: {', '.join(names)}",
                filename,
            )
        chosen = sheet if isinstance(sheet, str) else names[sheet]
        return chosen, *_read(book, chosen), []
    visible = [
        m.name
        for m in book.sheets_metadata
        if m.typ == pc.SheetTypeEnum.WorkSheet and m.visible == pc.SheetVisibleEnum.Visible
    ] or names
    with_data = []
    skipped: list[tuple[str, str]] = []
    for name in visible:
        rows, merges = _read(book, name)
        if len(visible) == 1:  # nothing to choose between: no need to classify
            has_data = any(any(v not in ("", None) for v in row) for row in rows)
            return (name, rows, merges, []) if has_data else (name, [], [], [])
        role, _why = sheet_role(name, rows)
        if role == "empty":
            continue
        with_data.append((name, rows, merges, role))
        if role != "form":
            skipped.append((name, role))
    forms = [w for w in with_data if w[3] == "form"]
    if len(forms) > 1:
        listed = "、".join(n for n, *_ in forms)
        raise _refuse(
            "sheet.ambiguous",
            f"文件有多个含表格的工作表（{listed}），请指定要导入的工作表（--sheet）",
            f"the file has several sheets with forms ({', '.join(n for n, *_ in forms)}); "
            "choose one with --sheet",
            filename,
        )
    if not forms and len(with_data) > 1:
        listed = "、".join(n for n, *_ in with_data)
        raise _refuse(
            "sheet.ambiguous",
            f"文件有多个含数据的工作表（{listed}），看不出哪个是报表，请用 --sheet 指定",
            f"the file has several sheets with data ({', '.join(n for n, *_ in with_data)}) "
            "and none is clearly the form; choose one with --sheet",
            filename,
        )
    if not with_data:
        return visible[0], [], [], []
    name, rows, merges, _role = forms[0] if forms else with_data[0]
    notes = []
    if skipped and forms:
        zh = "、".join(f"“{n}”（{_ROLE_ZH[r]}）" for n, r in skipped)
        en = ", ".join(f"'{n}' ({r})" for n, r in skipped)
        notes.append(
            Finding(
                "sheet.picked",
                f"已自动选用工作表“{name}”；未导入 {zh}。如需其他工作表，请用 --sheet 指定",
                f"read sheet '{name}'; passed over {en}. Use --sheet to choose another",
                file=filename,
            )
        )
    return name, rows, merges, notes


def _read(book: pc.CalamineWorkbook, name: str) -> tuple[list[list[object]], list[Range]]:
    sheet = book.get_sheet_by_name(name)
    rows = sheet.to_python(skip_empty_area=False)
    raw = sheet.merged_cell_ranges or []
    merges = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in raw]
    return rows, merges


def _to_cells(rows: list[list[object]]) -> list[list[Cell]]:
    """Plain values: empty text → None, whole floats → int, trailing blank rows/cols cut."""
    last_row, last_col = -1, -1
    out: list[list[Cell]] = []
    for i, row in enumerate(rows):
        conv = [_cell(v) for v in row]
        out.append(conv)
        for j in range(len(conv) - 1, last_col, -1):
            if conv[j] is not None:
                last_col = j
                break
        if any(v is not None for v in conv):
            last_row = i
    if last_row < 0:
        return []
    width = last_col + 1
    return [(r + [None] * (width - len(r)))[:width] for r in out[: last_row + 1]]


def _cell(value: object) -> Cell:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 1e15 else value
    if isinstance(value, int | dt.date):
        return value
    return str(value)  # time / timedelta: kept as text, never guessed
