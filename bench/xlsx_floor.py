"""The floor a report is measured against: rows written by a bare XlsxWriter.

``bench/reports.py`` and ``bench/burden.py`` compare a OneSheet report with the same SELECT
streamed into XlsxWriter in ``constant_memory`` mode, each value written by its type with no
format and no layout — the least any XlsxWriter-based report can cost. Both use this one
writer, so their floors are the same floor.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from xlsxwriter import Workbook


def bare_xlsx(rows: Iterable[Sequence[object]], out: Path) -> int:
    """Write ``rows`` from the second row on (numbers as numbers, the rest as text, ``None``
    left empty) and close the file; returns how many rows were written."""
    wb = Workbook(str(out), {"constant_memory": True})
    ws = wb.add_worksheet()
    n = 0
    for n, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, int | float) and not isinstance(v, bool):
                ws.write_number(n, c, v)
            else:
                ws.write_string(n, c, str(v))
    wb.close()
    return n
