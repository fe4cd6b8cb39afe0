"""Tables of the import and linkage work: the review queue of grey-zone rows.

Defined by ``link_tables(md)``; ``build_metadata`` adds them, and migration 0004 creates them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from onesheet.store.schema import metadata
from onesheet.store.tables import Id

LINK_TABLES = ("link_queue",)


def link_tables(md: MetaData) -> None:
    """Add the linkage tables to ``md``."""
    Table(
        "link_queue",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("county_code", String(6), nullable=False),
        Column("entity_type", String(20), nullable=False),
        Column("kind", String(20), nullable=False),  # import (a grey-zone row) | duplicate
        Column("source", String(40), nullable=False),  # the department
        Column("batch_id", BigInteger),  # the import that queued it
        Column("file", Text, nullable=False, default=""),
        Column("row_no", Integer),
        Column("record", Text, nullable=False),  # JSON {field_key: canonical value}
        Column("candidates", Text, nullable=False),  # JSON [[entity_id, probability], …]
        Column("best_probability", Float, nullable=False, default=0.0),
        Column("org_code", String(20), nullable=False),
        Column(
            "status", String(10), nullable=False, default="open"
        ),  # open|linked|created|rejected
        Column("decided_by", String(80)),
        Column("decided_at", DateTime),
        Column("decision_entity_id", BigInteger),
        Column("decision_batch_id", BigInteger),
        Column("created_at", DateTime, nullable=False),
        Index("ix_link_queue_county_status", "county_code", "status"),
    )


def queue_table() -> Table:
    """The review queue table (registered in the schema at revision 4)."""
    return metadata().tables["link_queue"]
