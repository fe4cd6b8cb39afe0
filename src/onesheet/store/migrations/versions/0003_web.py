"""Browser sessions and API tokens (hashed).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from sqlalchemy import (
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    Text,
)

from onesheet.store.migrations import frozen
from onesheet.store.migrations.frozen import Id

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    frozen.create(tables)


def tables(md: MetaData) -> None:
    """The tables this revision adds, as it created them (frozen)."""
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
    )


def downgrade() -> None:
    raise NotImplementedError("migrations only add (see docs/architecture.md)")
