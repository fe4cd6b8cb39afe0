"""Read one sheet of a department's XLSX / XLS / ODS file into a plain grid.

python-calamine reads all three formats fast and returns the *cached* result of formulas —
nothing is ever evaluated, so a form cannot run code on the county's machine. It also
gives merged ranges (checked with 0.9.1 on XLSX and XLS); for XLSX files where it gives
none, and for column widths it does not expose, the sheet's XML is read with ``zipfile``.

Everything a person can get wrong — a Word file renamed ``.xlsx``, a password, an empty or
huge sheet, a workbook with several sheets — is refused with an ``InvalidInput`` naming
the problem in Chinese and English, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine as pc

from onesheet.domain.findings import Finding, InvalidInput
from onesheet.ingest import containers

Cell = str | float | int | dt.date | dt.datetime | None
Range = tuple[int, int, int, int]  # first row, first col, last row, last col; 0-based, inclusive

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_COLUMNS = 200
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
    with book:
        name, rows, merges = _pick_sheet(book, sheet, filename)
        sheet_names = list(book.sheet_names)
    cells = _to_cells(rows)
    if not cells:
        raise _refuse(
            "sheet.empty",
            f"工作表“{name}”是空的，没有标题和表头",
            f"sheet '{name}' is empty: no title and no headings",
            filename,
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
    n_rows, n_cols = len(cells), len(cells[0])
    merges = [m for m in merges if m[0] < n_rows and m[1] < n_cols and m != (m[0], m[1]) * 2]
    return SheetGrid(name, cells, merges, widths, sheet_names, fmt)


def _pick_sheet(
    book: pc.CalamineWorkbook, sheet: str | int | None, filename: str | None
) -> tuple[str, list[list[object]], list[Range]]:
    """The chosen sheet, or the only visible worksheet that has data."""
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
        return chosen, *_read(book, chosen)
    visible = [
        m.name
        for m in book.sheets_metadata
        if m.typ == pc.SheetTypeEnum.WorkSheet and m.visible == pc.SheetVisibleEnum.Visible
    ] or names
    with_data = []
    for name in visible:
        rows, merges = _read(book, name)
        if any(any(v not in ("", None) for v in row) for row in rows):
            with_data.append((name, rows, merges))
    if len(with_data) > 1:
        listed = "、".join(n for n, _, _ in with_data)
        raise _refuse(
            "sheet.ambiguous",
            f"文件有多个含数据的工作表（{listed}），请指定要导入的工作表（--sheet）",
            f"the file has several sheets with data ({', '.join(n for n, _, _ in with_data)}); "
            "choose one with --sheet",
            filename,
        )
    if with_data:
        return with_data[0]
    return visible[0], [], []


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
