"""Demands on villages: registrations, their Gate decisions and villages' flags.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
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

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    frozen.create(tables)


def tables(md: MetaData) -> None:
    """The tables this revision adds, as it created them (frozen)."""
    Table(
        "demand",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("county_code", String(6), nullable=False),
        Column("kind", String(16), nullable=False),  # form | meeting | inspection | app …
        Column("title", Text, nullable=False),
        Column("department", String(40), nullable=False),
        Column("villages", Text, nullable=False),  # JSON [org code, …] (subtrees)
        Column("frequency", String(10), nullable=False),
        Column("minutes", Integer, nullable=False),  # per occurrence per village (estimated)
        Column("basis", Text, nullable=False),
        Column("matter", String(20)),  # responsibility-list item code
        Column("starts_on", Date, nullable=False),
        Column("ends_on", Date),
        Column("data_fields", Text, nullable=False, default="[]"),  # JSON [field key]
        Column("topics", Text, nullable=False, default="[]"),  # JSON [topic]
        Column("status", String(10), nullable=False),  # submitted | approved | rejected | merged
        Column("merged_into", BigInteger),
        Column("registered_by", String(80), nullable=False),
        Column("registered_at", DateTime, nullable=False),
        Column("decided_at", DateTime),
        Column("version", Integer, nullable=False, default=1),
        Index("ix_demand_county_status", "county_code", "status"),
    )
    Table(
        "demand_decision",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("demand_id", BigInteger, nullable=False, index=True),
        Column("decision", String(12), nullable=False),  # approved | rejected | merged
        Column("target_id", BigInteger),  # merged: the demand it joined
        Column("actor", String(80), nullable=False),
        Column("at", DateTime, nullable=False),
        Column("reason", Text, nullable=False, default=""),
        Column("review", Text, nullable=False, default=""),  # review figures JSON at the time
    )
    Table(
        "demand_flag",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("county_code", String(6), nullable=False),
        Column("org_code", String(20), nullable=False, index=True),
        Column("author", String(80), nullable=False),
        Column("demand_id", BigInteger),  # the registered demand flagged, if any
        Column("kind", String(16)),
        Column("department", String(40)),
        Column("outcome", String(10), nullable=False),  # filed | explained
        Column("feedback_id", BigInteger),  # filed: the feedback item (未准入事项)
        Column("created_at", DateTime, nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("migrations only add (see docs/architecture.md)")
