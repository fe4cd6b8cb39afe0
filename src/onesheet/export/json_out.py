"""Write a form as JSON for systems that call the API: headings, rows and what is missing.

Streamed row by row (one ``json.dumps`` per row) so a large report is never held as one
object; missing items are collected as they come (one short tuple per item) and written
after the rows.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, TextIO

from onesheet.domain.template_spec import TemplateSpec
from onesheet.export.common import (
    FlatRows,
    as_text,
    atomic_path,
    display_title,
    fill_placeholders,
    missing_labels,
)
from onesheet.export.model import RenderContext, RenderRow, RenderStats


def _plain(value: object) -> object:
    """JSON-safe cell: numbers stay numbers (Decimal as text, exact), the rest as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return as_text(value)


def write_json(
    spec: TemplateSpec, rows: Iterable[RenderRow], out: Path | BinaryIO, ctx: RenderContext
) -> RenderStats:
    """``{"title", "unit_line", "columns", "rows", "missing"}`` to a path or binary stream."""
    start = time.perf_counter()
    if isinstance(out, str | Path):
        with atomic_path(Path(out)) as tmp, tmp.open("w", encoding="utf-8") as fh:
            n, missing = _write(spec, rows, fh, ctx)
    else:
        fh = io.TextIOWrapper(out, encoding="utf-8")
        try:
            n, missing = _write(spec, rows, fh, ctx)
            fh.flush()
        finally:
            fh.detach()
    return RenderStats(rows=n, missing=missing, seconds=time.perf_counter() - start)


def _write(
    spec: TemplateSpec, rows: Iterable[RenderRow], fh: TextIO, ctx: RenderContext
) -> tuple[int, int]:
    cols = spec.columns
    labels = missing_labels(cols)
    head = {
        "title": display_title(spec, ctx),
        "unit_line": fill_placeholders(spec.layout.unit_line or "", ctx),
        "org_name": ctx.org_name,
        "report_date": ctx.report_date.isoformat(),
        "columns": [{"letter": c.letter, "heading": c.heading} for c in cols],
    }
    fh.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": [')
    missing: list[tuple[str, str, str]] = list(ctx.notes)
    flat = FlatRows(spec)
    count = 0
    for row in rows:
        number, listed = flat.step(row)
        cells = [_plain(v) for v in row.cells]
        for c, _why in row.missing:
            cells[c] = None
        if number is not None:
            cells[flat.row_no] = number  # type: ignore[index]
        for c, why in listed:
            missing.append((row.entity_label, labels[c], why))
        fh.write(("," if count else "") + "\n" + json.dumps(cells, ensure_ascii=False))
        count += 1
    items = [{"entity": e, "field": f, "why": w} for e, f, w in missing]
    fh.write('\n], "missing": ' + json.dumps(items, ensure_ascii=False) + "}\n")
    return count, len(missing)
