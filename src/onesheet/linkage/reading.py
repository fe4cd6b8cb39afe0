"""Read a department's export (CSV in whatever encoding, XLSX/XLS) into headings and rows.

Chinese Excel saves CSV as GBK, newer systems write UTF-8 with or without a BOM. Each
encoding is tried *strictly* in the order UTF-8 BOM → UTF-8 → GB18030 (a superset of GBK):
GBK bytes almost never decode as UTF-8, so the first strict success is the right one, and a
file that decodes in none is refused rather than imported as mojibake. Spreadsheets are read
by the forms importer's calamine reader (no formula evaluation, size limits).

Python's csv module refuses a cell over its field limit (128 KiB) with a bare ``csv.Error``;
``_csv_grid`` turns that into a finding naming the file, row and column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from onesheet.domain.findings import Finding, InvalidInput, finding
from onesheet.domain.template_spec import column_letter
from onesheet.ingest.workbook import DEFAULT_MAX_BYTES, read_sheet

ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")


@dataclass
class ExportTable:
    """Headings and data rows; ``first_row`` is the 1-based file row of ``rows[0]``."""

    headings: list[str]
    rows: list[list[object]]
    first_row: int
    encoding: str | None = None
    findings: list[Finding] = field(default_factory=list)  # records refused while reading


def decode(data: bytes, filename: str | None = None) -> tuple[str, str]:
    """The text and the encoding it was in; InvalidInput when none fits."""
    for encoding in ENCODINGS:
        if encoding == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
            continue
        try:
            return data.decode(encoding), "utf-8" if encoding == "utf-8-sig" else encoding
        except UnicodeDecodeError:
            continue
    raise InvalidInput([finding("file.encoding", file=filename)])


def _csv_grid(text: str, filename: str | None) -> tuple[list[list[object]], list[Finding]]:
    """Every record of the CSV text, and a finding for each record an unbalanced quote ran
    on: a cell opened with a quote that never closes swallows the separators (and lines)
    after it — ``"张三,330523…`` would read as one name. Such a record (fewer cells than the
    heading, one of them holding a separator or a line break) is refused and left empty, so
    the rows keep their numbers, and reading resumes on the line after the one it began
    on. A cell past the csv field limit is a Finding that stops the file."""
    lines = list(io.StringIO(text))  # lines end at "\n" only, as csv expects
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    grid: list[list[object]] = []
    findings: list[Finding] = []
    width: int | None = None  # cells of the heading row, once seen
    at = 0  # the line the next record starts on
    while at < len(lines):
        fed = [at]

        def feed(start: int = at, fed: list[int] = fed) -> Iterator[str]:
            for n in range(start, len(lines)):
                fed[0] = n + 1
                yield lines[n]

        reader, start = csv.reader(feed()), at
        resumed = False
        try:
            for record in reader:
                if width is None and sum(1 for v in record if v.strip()) >= 2:
                    width = len(record)
                if width is not None and _unbalanced(record, width):
                    findings.append(_quote_finding(filename, len(grid) + 1, lines[start]))
                    grid.append([])
                    at, resumed = start + 1, True
                    break
                grid.append(list(record))
                start = fed[0]
        except csv.Error as exc:
            raise _csv_error(exc, text, offsets[start], filename, len(grid) + 1) from None
        if not resumed:
            break
    return grid, findings


def _unbalanced(record: list[str], width: int) -> bool:
    """A cell ran on past where it should have closed: it swallowed the separators of the
    rest of its row (the row came out short) or the lines of the rows after it."""
    if any("\n" in c.strip() and "," in c for c in record):
        return True
    return len(record) < width and any("," in c or "\n" in c.strip() for c in record)


def _quote_finding(filename: str | None, row: int, line: str) -> Finding:
    shown = line.strip()
    shown = shown if len(shown) <= 40 else shown[:40] + "…"
    return finding("file.csv_quote", shown=shown, file=filename, row=row)


def _csv_error(
    exc: csv.Error, text: str, start: int, filename: str | None, row: int
) -> InvalidInput:
    if "field larger than field limit" not in str(exc):
        return InvalidInput([finding("file.csv_malformed", exc=exc, file=filename, row=row)])
    limit = csv.field_size_limit()
    column = _oversized_column(text, start, limit)
    return InvalidInput(
        [
            finding(
                "file.cell_too_big",
                limit=limit // 1024,
                file=filename,
                row=row,
                column=column_letter(column) if column is not None else None,
            )
        ]
    )


def _oversized_column(record: str, i: int, limit: int) -> int | None:
    """The 0-based column of the first cell longer than ``limit`` in the record starting at
    offset ``i`` of ``record`` (comma-separated, double-quoted as Excel writes)."""
    column, length, quoted = 0, 0, False
    while i < len(record):
        ch = record[i]
        if quoted:
            if ch == '"' and record[i + 1 : i + 2] == '"':
                i += 1
            elif ch == '"':
                quoted = False
                i += 1
                continue
        elif ch == '"':
            quoted = True
            i += 1
            continue
        elif ch == ",":
            column, length = column + 1, 0
            i += 1
            continue
        elif ch in "\r\n":
            return None  # the record ended without a cell that long
        length += 1
        if length > limit:
            return column
        i += 1
    return None


def _is_csv(data: bytes, filename: str | None) -> bool:
    name = (filename or "").lower()
    if name.endswith((".csv", ".txt")):
        return True
    return not data.startswith((b"PK\x03\x04", bytes.fromhex("D0CF11E0A1B11AE1")))


def _heading_row(grid: list[list[object]], filename: str | None) -> int:
    """The first row with at least two filled cells (title lines above it are skipped)."""
    for i, row in enumerate(grid[:20]):
        if sum(1 for v in row if v not in (None, "")) >= 2:
            return i
    raise InvalidInput([finding("file.no_headings", file=filename)])


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def read_export(
    data: bytes, filename: str | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> ExportTable:
    """Headings and rows of an export; ID-like cells stay text (CSV never passes a float)."""
    if len(data) > max_bytes:
        raise InvalidInput([finding("file.too_big", max_bytes=max_bytes, file=filename)])
    encoding, findings = None, []
    if _is_csv(data, filename):
        text, encoding = decode(data, filename)
        grid, findings = _csv_grid(text, filename)
    else:
        grid = [list(r) for r in read_sheet(data, filename=filename).cells]
    grid = [[None if _blank(v) else v for v in row] for row in grid]
    head = _heading_row(grid, filename)
    width = len(grid[head])
    headings = [str(v).strip() if v is not None else "" for v in grid[head]]
    rows = [(r + [None] * width)[:width] for r in grid[head + 1 :]]
    last = max((i for i, r in enumerate(rows) if any(v is not None for v in r)), default=-1)
    refused = [f for f in findings if f.row is not None and f.row > head + 1]
    return ExportTable(headings, rows[: last + 1], head + 2, encoding, refused)
