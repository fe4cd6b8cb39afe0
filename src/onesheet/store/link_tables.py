"""Tables of the import and linkage work: the review queue of grey-zone rows.

Defined by ``link_tables(md)`` so ``build_metadata`` can add them at schema revision 3.
Until that revision is registered, ``queue_table()`` falls back to a private MetaData and
``ensure(conn)`` creates the table where it is missing (checkfirst), so imports work on a
database initialised at revision 2.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
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
from onesheet.store.tables import NAMING, Id

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


@cache
def _fallback() -> MetaData:
    md = MetaData(naming_convention=NAMING)
    link_tables(md)
    return md


def queue_table() -> Table:
    """The queue table: from the schema once registered there, else the fallback."""
    found = metadata().tables.get("link_queue")
    return found if found is not None else _fallback().tables["link_queue"]


def ensure(conn: Connection) -> None:
    """Create the linkage tables if missing (until migration 0003 creates them)."""
    queue_table().create(conn, checkfirst=True)
