"""The live core tables and sheet tables, taken from the revisions that created them.

Each table is written once: literally, in the migration that created it
(``store/migrations/versions``, frozen). This module reads it from there
(``frozen.revision_module``) and applies what later revisions changed, from those
revisions' own definitions — the dependency runs live → migration, never back, so the
migrations stay standalone. The per-entity sheet tables have one column per stored field of
the live dictionary, so they are built from a column list, laid out as revision 0001 laid
them out (``frozen.sheet_table``). A change to a table is a new migration first; the live
schema then takes it from there.

Every table holding entity data carries ``county_code``: it is the distribution key on the
scale-out path (Citus), and keeps a county's work on one shard.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Column, MetaData

from onesheet.store.migrations import frozen
from onesheet.store.migrations.frozen import Id, revision_module

__all__ = ["Id", "SheetColumns", "add_columns", "build_metadata", "sheet_table_name"]

SheetColumns = Mapping[str, Sequence[tuple[str, str]]]  # entity → [(column name, value type)]


def sheet_table_name(entity: str) -> str:
    """The current-view table of an entity type (``sheet_person`` …)."""
    return f"sheet_{entity}"


def add_columns(md: MetaData, table: str, columns: Iterable[Column]) -> None:  # type: ignore[type-arg]
    """Append the columns a later revision added to ``table`` (as that revision wrote them)."""
    for col in columns:
        md.tables[table].append_column(col)


def build_metadata(sheet_columns: SheetColumns) -> MetaData:
    """The current core tables plus one sheet table per entity, revision by revision.

    ``store.schema.metadata()`` adds the tables of revisions 0008 onwards through their own
    modules (``county_tables`` …). Which revision is newest comes from the versions folder
    (``onesheet.store.migrations.head_revision``), not from a constant here.
    """
    md = frozen.metadata()
    revision_module("0001").tables(md)  # org tree, entities, the log, users, audit
    for entity, columns in sheet_columns.items():  # 0001, 0006 (merged_into), 0013 (place)
        frozen.sheet_table(md, entity, columns)
    revision_module("0002").tables(md)  # forms and the Gate
    revision_module("0003").tables(md)  # browser sessions, API tokens
    revision_module("0004").tables(md)  # collection tasks, the linkage review queue
    revision_module("0005").tables(md)  # burden feedback
    audit = revision_module("0007")  # every audited entity; token expiry; disabled users
    audit.audit_entity_table(md)
    add_columns(md, "api_token", audit.api_token_columns())
    add_columns(md, "app_user", audit.app_user_columns())
    return md
