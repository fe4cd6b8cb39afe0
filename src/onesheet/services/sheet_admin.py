"""Administrator services over the whole sheet: rebuild/check the view, raw CSV export."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from onesheet.domain.access import Actor, field_visibility, require_org
from onesheet.domain.dictionary import ENTITY_TYPES, Field
from onesheet.domain.masking import mask_value
from onesheet.export.csv_out import neutralise
from onesheet.services.base import Store, service, utcnow
from onesheet.store import audit, county_fields, rebuild
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
    with store.reading() as conn:  # a snapshot: never waits for an import's write lock
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
    """Write the current view of ``entity`` as CSV (UTF-8 with BOM, codes as codes): every
    stored built-in field, then the county fields of the county exported (their values live
    in ``sheet_value``), each as the actor may see it (hidden fields left out, masked ones
    masked, as on every other read).

    The file is written next to ``out`` and renamed when complete, so a failed export never
    leaves a half-written file behind. Returns the number of rows.
    """
    if entity not in ENTITY_TYPES:
        raise ValueError(f"未知的对象类型 {entity}（可选：{', '.join(ENTITY_TYPES)}）")
    if org_code:
        require_org(actor, org_code)
    scope = org_code or actor.org_code
    tmp = out.with_name(out.name + ".part")
    with store.transaction() as conn, tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        county_fields.refresh(store, conn)
        fields = _exported_fields(store, actor, entity, scope)
        masked = {f.key for f in fields if field_visibility(actor, f, store.grants) == "masked"}
        writer = csv.writer(fh)
        writer.writerow(["entity_id", "org_code", *[f.key for f in fields]])
        read: list[int] = []
        chunk: list[Mapping[str, Any]] = []
        for m in stream_sheet(conn, entity, scope):
            chunk.append(m)
            if len(chunk) >= EXPORT_CHUNK:
                _write_rows(writer, conn, chunk, fields, masked, read)
        _write_rows(writer, conn, chunk, fields, masked, read)
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


EXPORT_CHUNK = 2000


def _exported_fields(store: Store, actor: Actor, entity: str, scope: str | None) -> list[Field]:
    """Stored built-in fields, then the county fields of the exported county (every
    county's when the export spans the installation), less those the actor may not see."""
    county = scope[:6] if scope else None
    return [
        f
        for f in store.dictionary.for_entity(entity)
        if f.stored
        and (f.county_code is None or county in (None, f.county_code))
        and field_visibility(actor, f, store.grants) != "hidden"
    ]


def _write_rows(  # type: ignore[no-untyped-def]
    writer,
    conn,
    chunk: list[Mapping[str, Any]],
    fields: list[Field],
    masked: set[str],
    read: list[int],
) -> None:
    """Write and empty ``chunk``: wide columns from the rows, the county values of the
    chunk's entities read at once; masked fields masked."""
    if not chunk:
        return
    ids = [m["entity_id"] for m in chunk]
    county = [f.key for f in fields if not f.in_sheet_table]
    extra = county_fields.values_of(conn, ids, county) if county else {}
    for m in chunk:
        held = extra.get(m["entity_id"], {})
        cells = []
        for f in fields:
            value = from_column(f.type, m[f.name]) if f.in_sheet_table else held.get(f.key)
            if f.key in masked:
                value = mask_value(f.mask, value)
            cells.append(neutralise(value or ""))
        writer.writerow([m["entity_id"], m["org_code"], *cells])
    read.extend(ids)
    chunk.clear()
