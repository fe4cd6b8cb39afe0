"""Table definitions. Core tables are fixed; the per-entity sheet tables have one column per
stored dictionary field, so they are built from a column list. This module is the live
schema only: the migrations define their own tables literally (``store/migrations/frozen.py``).

Every table holding entity data carries ``county_code``: it is the distribution key on the
scale-out path (Citus), and keeps a county's work on one shard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BigInteger ids, but INTEGER on SQLite so that ROWID aliasing (autoincrement) works.
Id = BigInteger().with_variant(Integer(), "sqlite")

# Dictionary value type → column type of the sheet (current view) tables.
SHEET_COLUMN_TYPES = {
    "text": Text,
    "integer": BigInteger,
    "decimal": lambda: Numeric(20, 4),
    "date": Date,
    "boolean": Boolean,
    "code": lambda: String(16),
    "id_number": lambda: String(18),
    "phone": lambda: String(20),
    "uscc": lambda: String(18),
    "ref": BigInteger,
}

SheetColumns = Mapping[str, Sequence[tuple[str, str]]]  # entity → [(column name, value type)]


def sheet_table_name(entity: str) -> str:
    """The current-view table of an entity type (``sheet_person`` …)."""
    return f"sheet_{entity}"


def build_metadata(sheet_columns: SheetColumns) -> MetaData:
    """The current core tables plus one sheet table per entity.

    This is the live schema, not a revision's: the migrations in ``migrations/versions``
    define their tables literally (frozen), and ``tests/contract/test_migrations.py`` checks
    that they add up to what this builds. Which revision is newest comes from that folder
    (``onesheet.store.migrations.head_revision``), not from a constant here.
    """
    from onesheet.store.link_tables import link_tables  # it reads Id/NAMING from here

    md = MetaData(naming_convention=NAMING)
    _core_tables(md)
    for entity, columns in sheet_columns.items():
        _sheet_table(md, entity, columns)
    _gate_tables(md)
    _web_tables(md)
    _task_tables(md)
    link_tables(md)
    _feedback_tables(md)
    _audit_entity_table(md)
    return md


# Added by revision 0007 (every entity an audited event touched), with the columns
# ``api_token.expires_at``/``last_used_at`` and ``app_user.disabled_at``.


def _audit_entity_table(md: MetaData) -> None:
    """One row per entity an audit event touched (all of them, not the first 200), so
    "who read person X" is one indexed lookup."""
    Table(
        "audit_entity",
        md,
        Column("event_id", BigInteger, primary_key=True, autoincrement=False),
        Column("entity_id", BigInteger, primary_key=True, autoincrement=False),
        Column("county_code", String(6)),
        Index("ix_audit_entity_entity", "entity_id", "event_id"),
    )


# Added by revision 0005 (the grassroots' burden feedback).


def _feedback_tables(md: MetaData) -> None:
    """反馈: a village or town flags a burden; it is followed until someone resolves it."""
    Table(
        "feedback",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("county_code", String(6), nullable=False),
        Column("org_code", String(20), nullable=False, index=True),
        Column("author", String(80), nullable=False),
        Column("kind", String(20), nullable=False),  # repeats_sheet | outside_gate | …
        Column("department", String(40)),  # the department the burden came from
        Column("template_id", String(40)),
        Column("text", Text, nullable=False),
        Column("status", String(12), nullable=False),  # open | acknowledged | resolved | dismissed
        Column("created_at", DateTime, nullable=False),
        Column("handled_by", String(80)),
        Column("handled_at", DateTime),
        Column("resolution", Text, nullable=False, default=""),
        Column("version", Integer, nullable=False, default=1),
    )


# Added by revision 0002 (forms, the Gate, report runs).


def _core_tables(md: MetaData) -> None:
    Table(
        "org_unit",
        md,
        Column("code", String(20), primary_key=True),
        Column("name", Text, nullable=False),
        Column("level", String(10), nullable=False),
        Column("parent_code", String(20), index=True),
        Column("county_code", String(6), nullable=False, index=True),
        Column("kind", String(10), nullable=False, default=""),
        Column("source", String(20), nullable=False, default="synthetic"),
    )
    Table(
        "department",
        md,
        Column("key", String(40), primary_key=True),
        Column("name_zh", Text, nullable=False),
        Column("name_en", Text, nullable=False),
    )
    Table(
        "id_counter",
        md,
        Column("name", String(40), primary_key=True),
        Column("next_value", BigInteger, nullable=False),
    )
    Table(
        "batch",
        md,
        Column("id", Id, primary_key=True, autoincrement=False),
        Column("kind", String(20), nullable=False),
        Column("county_code", String(6), nullable=False, index=True),
        Column("source", String(40), nullable=False),
        Column("actor", String(80), nullable=False),
        Column("started_at", DateTime, nullable=False),
        Column("description", Text, nullable=False, default=""),
        Column("content_hash", String(64), index=True),
        Column("observation_count", BigInteger, nullable=False, default=0),
    )
    Table(
        "entity",
        md,
        Column("id", Id, primary_key=True, autoincrement=False),
        Column("entity_type", String(20), nullable=False),
        Column("county_code", String(6), nullable=False),
        Column("org_code", String(20), nullable=False),
        Column("natural_key", String(40)),
        Column("created_at", DateTime, nullable=False),
        Column("batch_id", BigInteger, nullable=False),
        UniqueConstraint("entity_type", "natural_key", name="uq_entity_natural_key"),
        Index("ix_entity_county_type", "county_code", "entity_type"),
    )
    Table(
        "observation",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("county_code", String(6), nullable=False),
        Column("entity_id", BigInteger, nullable=False),
        Column("entity_type", String(20), nullable=False),
        Column("field_key", String(80), nullable=False),
        Column("value", Text),
        Column("kind", String(10), nullable=False),  # value | tombstone | settle
        Column("valid_from", DateTime, nullable=False),
        Column("recorded_at", DateTime, nullable=False),
        Column("source", String(40), nullable=False),
        Column("actor", String(80), nullable=False),
        Column("batch_id", BigInteger, nullable=False),
        Column("reason", Text),
        Index("ix_observation_entity_field", "entity_id", "field_key"),
    )
    Table(
        "conflict",
        md,
        Column("entity_id", BigInteger, primary_key=True),
        Column("field_key", String(80), primary_key=True),
        Column("county_code", String(6), nullable=False, index=True),
        Column("entity_type", String(20), nullable=False),
        Column("org_code", String(20), nullable=False, index=True),
        Column("detail", Text, nullable=False),  # JSON: [{source, value, observation_id}]
        Column("opened_at", DateTime, nullable=False),
    )
    Table(
        "app_user",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("username", String(80), nullable=False, unique=True),
        Column("role", String(20), nullable=False),
        Column("org_code", String(20), nullable=False),
        Column("department", String(40)),
        Column("password_hash", Text, nullable=False),
        Column("created_at", DateTime, nullable=False),
        Column("failed_logins", Integer, nullable=False, default=0),
        Column("locked_until", DateTime),
        Column("disabled_at", DateTime),
    )
    Table(
        "field_grant",
        md,
        Column("department", String(40), primary_key=True),
        Column("field_key", String(80), primary_key=True),
        Column("unmasked", Boolean, nullable=False, default=False),
    )
    Table(
        "audit_event",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("at", DateTime, nullable=False),
        Column("actor", String(80), nullable=False),
        Column("role", String(20), nullable=False),
        Column("action", String(60), nullable=False),
        Column("county_code", String(6)),
        Column("entity_type", String(20)),
        Column("entity_count", Integer, nullable=False, default=0),
        Column("entity_ids", Text, nullable=False, default=""),
        Column("fields", Text, nullable=False, default=""),
        Column("detail", Text, nullable=False, default=""),
        Index("ix_audit_event_actor_at", "actor", "at"),
    )


# Added by revision 0004 (collection tasks; the linkage review queue).


def _task_tables(md: MetaData) -> None:
    """Collection tasks (采集任务): per village and period, the values an approved template
    needs that the sheet lacks; the only way a form may ask a village for anything."""
    Table(
        "collection_task",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("template_id", String(40), nullable=False, index=True),
        Column("county_code", String(6), nullable=False),
        Column("org_code", String(20), nullable=False, index=True),  # the village
        Column("period", String(10), nullable=False),  # 2026-11 | 2026Q4 | 2026 | once
        Column("status", String(10), nullable=False),  # open | done
        Column("items_total", Integer, nullable=False, default=0),
        Column("items_filled", Integer, nullable=False, default=0),
        Column("created_at", DateTime, nullable=False),
        Column("completed_at", DateTime),
        Column("version", Integer, nullable=False, default=1),
        UniqueConstraint("template_id", "org_code", "period", name="uq_collection_task_period"),
    )
    Table(
        "task_item",
        md,
        Column("task_id", BigInteger, primary_key=True),
        Column("entity_id", BigInteger, primary_key=True),
        Column("field_key", String(80), primary_key=True),
        Column("county_code", String(6), nullable=False),
        Column("reason", String(10), nullable=False),  # missing | stale
        Column("status", String(10), nullable=False),  # open | filled
        Column("filled_at", DateTime),
        Column("filled_by", String(80)),
        Column("batch_id", BigInteger),
        Index("ix_task_item_task_status", "task_id", "status"),
    )


# Added by revision 0003 (browser sessions, API tokens).


def _web_tables(md: MetaData) -> None:
    """Server-side sessions and API tokens; only SHA-256 hashes of the secrets are stored."""
    Table(
        "web_session",
        md,
        Column("token_hash", String(64), primary_key=True),
        Column("username", String(80), nullable=False, index=True),
        Column("csrf_token", String(64), nullable=False),
        Column("created_at", DateTime, nullable=False),
        Column("expires_at", DateTime, nullable=False),
    )
    Table(
        "api_token",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("token_hash", String(64), nullable=False, unique=True),
        Column("username", String(80), nullable=False, index=True),
        Column("label", Text, nullable=False, default=""),
        Column("created_at", DateTime, nullable=False),
        Column("revoked_at", DateTime),
        Column("expires_at", DateTime),
        Column("last_used_at", DateTime),
    )


def _gate_tables(md: MetaData) -> None:
    """Templates (报表模板) and their Gate decisions (报表准入), learnt wordings, report runs."""
    Table(
        "form_template",
        md,
        Column("id", String(40), primary_key=True),
        Column("title", Text, nullable=False),
        Column("department", String(40), nullable=False, index=True),
        Column("entity", String(20), nullable=False),  # person … house, or aggregate
        Column("kind", String(12), nullable=False),  # roster | aggregate
        Column("status", String(12), nullable=False, index=True),  # draft … approved
        Column("matter", String(40)),  # responsibility-list item code it serves
        Column("frequency", String(12), nullable=False, default="once"),
        Column("spec", Text, nullable=False),  # TemplateSpec JSON
        Column("analysis", Text, nullable=False, default=""),  # importer JSON contract
        Column("source_file", Text, nullable=False, default=""),
        Column("content_hash", String(64), index=True),
        Column("created_by", String(80), nullable=False),
        Column("created_at", DateTime, nullable=False),
        Column("updated_at", DateTime, nullable=False),
        Column("version", Integer, nullable=False, default=1),
    )
    Table(
        "template_decision",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("template_id", String(40), nullable=False, index=True),
        Column("decision", String(12), nullable=False),  # submitted | approved | rejected …
        Column("actor", String(80), nullable=False),
        Column("at", DateTime, nullable=False),
        Column("reason", Text, nullable=False, default=""),
        Column("review", Text, nullable=False, default=""),  # review figures JSON at the time
    )
    Table(
        "draft_field",
        md,
        Column("key", String(80), primary_key=True),
        Column("entity", String(20), nullable=False),
        Column("label_zh", Text, nullable=False),
        Column("label_en", Text, nullable=False, default=""),
        Column("value_type", String(12), nullable=False),
        Column("synonyms", Text, nullable=False, default="[]"),  # JSON list of wordings
        Column("proposed_by", String(40), nullable=False),  # template id
        Column("created_at", DateTime, nullable=False),
    )
    Table(
        "heading_synonym",
        md,
        Column("heading", String(200), primary_key=True),  # normalised wording
        Column("entity", String(20), primary_key=True),
        Column("field_key", String(80), nullable=False),
        Column("actor", String(80), nullable=False),
        Column("at", DateTime, nullable=False),
    )
    Table(
        "responsibility_item",
        md,
        Column("county_code", String(6), primary_key=True),
        Column("code", String(20), primary_key=True),
        Column("list_kind", String(12), nullable=False),  # main | assist | negative | certificate
        Column("category", Text, nullable=False, default=""),
        Column("item", Text, nullable=False),
        Column("source", Text, nullable=False, default=""),
    )
    Table(
        "report_run",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("template_id", String(40), nullable=False, index=True),
        Column("county_code", String(6), nullable=False),
        Column("org_code", String(20), nullable=False),
        Column("report_date", Date, nullable=False),
        Column("actor", String(80), nullable=False),
        Column("role", String(20), nullable=False),
        Column("at", DateTime, nullable=False),
        Column("format", String(8), nullable=False),
        Column("rows", BigInteger, nullable=False, default=0),
        Column("values_filled", BigInteger, nullable=False, default=0),
        Column("values_missing", BigInteger, nullable=False, default=0),
        Column("seconds", Numeric(12, 3), nullable=False, default=0),
    )


def _sheet_table(md: MetaData, entity: str, columns: Sequence[tuple[str, str]]) -> Table:
    cols = [
        Column("entity_id", BigInteger, primary_key=True, autoincrement=False),
        Column("county_code", String(6), nullable=False),
        Column("org_code", String(20), nullable=False),
        Column("version", Integer, nullable=False, default=1),
        Column("updated_at", DateTime, nullable=False),
    ]
    for name, value_type in columns:
        cols.append(Column(name, SHEET_COLUMN_TYPES[value_type]()))
    table = Table(sheet_table_name(entity), md, *cols)
    Index(f"ix_{table.name}_org", table.c.county_code, table.c.org_code)
    if entity == "person":
        Index("ix_sheet_person_id_number", table.c.id_number)
        Index("ix_sheet_person_name", table.c.name)
    return table
