"""Burden feedback from villages and towns.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from onesheet.store.migrations import frozen
from onesheet.store.migrations.frozen import Id

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    frozen.create(tables)


def tables(md: MetaData) -> None:
    """The tables this revision adds, as it created them (frozen)."""
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


def downgrade() -> None:
    raise NotImplementedError("migrations only add (see docs/architecture.md)")
