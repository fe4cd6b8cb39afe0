"""Administrator services over the whole sheet: rebuild/check the view, raw CSV export."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path

from onesheet.domain.access import Actor, require_org
from onesheet.domain.dictionary import ENTITY_TYPES
from onesheet.export.csv_out import neutralise
from onesheet.services.base import Store, service, utcnow
from onesheet.store import audit, rebuild
from onesheet.store.row_counts import sheet_rows, stream_sheet
from onesheet.store.sheet_view import from_column


@service("sheet_rebuild", permission="sheet.rebuild", audit="sheet.rebuild")
def rebuild_view(
    store: Store,
    actor: Actor,
    *,
    check_only: bool,
    progress: Callable[[int], None] | None = None,
) -> rebuild.RebuildReport:
    """Recompute the current view from the log (or only compare, with ``check_only``)."""
    with store.transaction() as conn:
        now = utcnow()
        report = rebuild.rebuild(
            conn, store.dictionary, check_only=check_only, now=now, progress=progress
        )
        audit.write_event(
            conn,
            actor,
            "sheet.rebuild",
            now=now,
            detail=f"check_only={check_only} differing={report.differing_rows}",
        )
        return report


def count_entities(store: Store) -> dict[str, int]:
    """Rows per sheet table (for progress bars; no personal data)."""
    with store.engine.connect() as conn:
        return sheet_rows(conn, ENTITY_TYPES)


@service("sheet_export", permission="sheet.export", audit="sheet.export")
def export_csv(
    store: Store,
    actor: Actor,
    entity: str,
    out: Path,
    *,
    org_code: str | None = None,
) -> int:
    """Write the current view of ``entity`` as CSV (UTF-8 with BOM, codes as codes).

    The file is written next to ``out`` and renamed when complete, so a failed export never
    leaves a half-written file behind. Returns the number of rows.
    """
    if entity not in ENTITY_TYPES:
        raise ValueError(f"未知的对象类型 {entity}（可选：{', '.join(ENTITY_TYPES)}）")
    if org_code:
        require_org(actor, org_code)
    scope = org_code or actor.org_code
    fields = store.dictionary.for_entity(entity, stored_only=True)
    tmp = out.with_name(out.name + ".part")
    with store.transaction() as conn, tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["entity_id", "org_code", *[f.key for f in fields]])
        read: list[int] = []
        for m in stream_sheet(conn, entity, scope):
            values = [neutralise(from_column(f.type, m[f.name]) or "") for f in fields]
            writer.writerow([m["entity_id"], m["org_code"], *values])
            read.append(m["entity_id"])
        count = len(read)
        audit.write_event(
            conn,
            actor,
            "sheet.export",
            now=utcnow(),
            entity_type=entity,
            entity_ids=read,
            fields=[f.key for f in fields],
            detail=f"rows={count} org={scope}",
        )
    os.replace(tmp, out)
    return count
