"""Tables of demands on villages (涉村事项): registrations, Gate decisions, village flags.

``demand_tables(md)`` adds them to a MetaData; ``store.schema.metadata()`` calls it, and
migration 0011 creates them from the same definition.
"""

from __future__ import annotations

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

from onesheet.store.tables import Id

DEMAND_TABLES = ("demand", "demand_decision", "demand_flag")


def demand_tables(md: MetaData) -> None:
    """Add the demand tables to ``md`` (once)."""
    if "demand" in md.tables:
        return
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
