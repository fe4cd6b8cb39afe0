"""Initial schema: org tree, entities, the observation log, sheet tables, users, audit.

The core tables are defined here as this revision created them; the sheet tables' columns
are frozen in ``snapshots/sheet_columns_0001.json`` (the built-in dictionary of this
revision), so later dictionary changes need their own migration.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from alembic import op
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from onesheet.store.migrations import frozen
from onesheet.store.migrations.frozen import Id

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    md = frozen.metadata()
    tables(md)
    for entity, columns in frozen.sheet_columns("sheet_columns_0001.json").items():
        frozen.sheet_table(md, entity, columns)
    md.create_all(op.get_bind())


def tables(md: MetaData) -> None:
    """The core tables as this revision created them (frozen)."""
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


def downgrade() -> None:
    raise NotImplementedError("migrations only add (see docs/architecture.md)")
