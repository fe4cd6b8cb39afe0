"""County fields: definitions and versions as rows, county code tables, the narrow current view.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from onesheet.store.migrations import frozen
from onesheet.store.migrations.frozen import Id

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    frozen.create(tables)


def tables(md: MetaData) -> None:
    """The tables this revision adds, as it created them (frozen)."""
    Table(
        "county_field",
        md,
        Column("county_code", String(6), primary_key=True),
        Column("key", String(80), primary_key=True),  # the draft's key; never reused
        Column("entity", String(20), nullable=False),
        Column("label_zh", Text, nullable=False),
        Column("label_en", Text, nullable=False, default=""),
        Column("value_type", String(12), nullable=False),
        Column("unit", String(20)),
        Column("code_table", String(80)),
        Column("sensitivity", String(12), nullable=False),
        Column("mask", String(12)),
        Column("owner", String(40), nullable=False),  # department key (一数一源)
        Column("readers", Text, nullable=False, default="[]"),  # JSON: departments granted
        Column("synonyms", Text, nullable=False, default="[]"),  # JSON: wordings
        # confirmed (by a steward, waiting for its template's approval) | active | deprecated
        Column("status", String(12), nullable=False),
        Column("template_id", String(40)),  # the template that brought it
        Column("version", Integer, nullable=False, default=1),
        Column("updated_by", String(80), nullable=False),
        Column("updated_at", DateTime, nullable=False),
    )
    Table(
        "county_field_version",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("county_code", String(6), nullable=False),
        Column("key", String(80), nullable=False, index=True),
        Column("version", Integer, nullable=False),
        Column("action", String(12), nullable=False),  # confirm | activate | change | deprecate
        Column("definition", Text, nullable=False),  # the whole definition as JSON
        Column("actor", String(80), nullable=False),
        Column("at", DateTime, nullable=False),
        Column("reason", Text, nullable=False, default=""),
    )
    Table(
        "county_code_table",
        md,
        Column("county_code", String(6), primary_key=True),
        Column("key", String(80), primary_key=True),
        Column("label_zh", Text, nullable=False),
        Column("entries", Text, nullable=False),  # JSON [[code, name], …]
        Column("created_by", String(80), nullable=False),
        Column("created_at", DateTime, nullable=False),
    )
    t = Table(
        "sheet_value",
        md,
        Column("entity_id", BigInteger, primary_key=True, autoincrement=False),
        Column("field_key", String(80), primary_key=True),
        Column("county_code", String(6), nullable=False),
        Column("entity_type", String(20), nullable=False),
        Column("value", Text, nullable=False),  # canonical text, as in the log
        Column("source", String(40), nullable=False),  # the winning observation's source
        Column("valid_from", DateTime, nullable=False),
        Column("updated_at", DateTime, nullable=False),
    )
    Index("ix_sheet_value_field", t.c.county_code, t.c.field_key)


def downgrade() -> None:
    raise NotImplementedError("migrations only add (see docs/architecture.md)")
