"""Collection tasks and their items; the linkage review queue.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

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
    UniqueConstraint,
)

from onesheet.store.migrations import frozen
from onesheet.store.migrations.frozen import Id

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    frozen.create(tables)


def tables(md: MetaData) -> None:
    """The tables this revision adds, as it created them (frozen)."""
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


def downgrade() -> None:
    raise NotImplementedError("migrations only add (see docs/architecture.md)")
