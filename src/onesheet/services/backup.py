"""``onesheet backup`` / ``onesheet restore``: a whole-database copy and its return.

Both report the same figures (entities per type, observations, org units, accounts and the
schema revision), so a restore can be compared with the backup it came from; the test then
runs ``sheet rebuild --check`` on the restored database.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from onesheet.domain.access import Actor
from onesheet.domain.dictionary import ENTITY_TYPES
from onesheet.services.base import Store, service, utcnow
from onesheet.store import audit
from onesheet.store import backup as copies
from onesheet.store.migrate import current_revision
from onesheet.store.row_counts import sheet_rows, table_rows


@dataclass(frozen=True)
class Figures:
    backend: str
    revision: str | None
    counts: dict[str, int]


def _figures(store: Store) -> Figures:
    with store.engine.connect() as conn:
        counts = sheet_rows(conn, ENTITY_TYPES)
        for name in ("observation", "org_unit", "app_user"):
            counts[name] = table_rows(conn, name)
    return Figures(copies.backend(store.engine), current_revision(store.engine), counts)


@service("backup_create", permission="sheet.export", audit="backup.create")
def backup_database(store: Store, actor: Actor, out: Path) -> Figures:
    """Copy the database to ``out`` while the application keeps running."""
    if out.exists():
        raise ValueError(f"{out} 已存在，不会覆盖 (exists; not overwritten)")
    figures = _figures(store)
    with store.transaction() as conn:  # the event is in the copy too: it says who made it
        audit.write_event(
            conn, actor, "backup.create", now=utcnow(), detail=f"{out.name} {figures.counts}"
        )
    copies.backup(store.engine, out)
    return figures


@service("backup_restore", permission="seed.run", audit="backup.restore")
def restore_database(store: Store, actor: Actor, source: Path, *, replace: bool = False) -> Figures:
    """Load a backup into this (empty, unless ``replace``) database; returns its figures."""
    if not source.is_file():
        raise FileNotFoundError(f"找不到备份文件 {source}")
    copies.restore(store.engine, source, replace=replace)
    figures = _figures(store)
    with store.transaction() as conn:
        audit.write_event(
            conn, actor, "backup.restore", now=utcnow(), detail=f"{source.name} {figures.counts}"
        )
    return figures
