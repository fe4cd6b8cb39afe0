"""A real county's first day: dated org-tree events, urban-rural class, account state.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from alembic import op
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    Text,
)

from onesheet.store.migrations import frozen
from onesheet.store.migrations.frozen import Id

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    md = frozen.metadata()
    org_event(md)
    md.create_all(op.get_bind())
    with op.batch_alter_table("org_unit") as batch:
        for col in org_unit_columns():
            batch.add_column(col)
    with op.batch_alter_table("app_user") as batch:
        for col in app_user_columns():
            batch.add_column(col)


def org_event(md: MetaData) -> None:
    """The dated org-tree events (frozen)."""
    Table(
        "org_event",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("county_code", String(6), nullable=False),
        Column("org_code", String(20), nullable=False),
        Column("kind", String(10), nullable=False),  # create | rename | reclass | merge
        Column("effective", Date, nullable=False),  # the day the change took effect
        Column("old_name", Text),
        Column("new_name", Text),
        Column("old_kind", String(10)),
        Column("new_kind", String(10)),
        Column("old_class", String(3)),
        Column("new_class", String(3)),
        Column("into_code", String(20)),  # merge: the surviving unit
        Column("recorded_at", DateTime, nullable=False),
        Column("actor", String(80), nullable=False),
        Column("note", Text, nullable=False, default=""),
        Index("ix_org_event_org_effective", "org_code", "effective"),
    )


def org_unit_columns() -> list[Column]:  # type: ignore[type-arg]
    return [
        Column("urban_rural", String(3)),
        Column("merged_into", String(20)),
        Column("ended_on", Date),
    ]


def app_user_columns() -> list[Column]:  # type: ignore[type-arg]
    return [
        Column("full_name", Text),
        Column("phone", String(20)),
        Column("must_change_password", Boolean, nullable=False, server_default="0"),
        Column("password_set_at", DateTime),
        Column("last_login_at", DateTime),
    ]


def downgrade() -> None:
    raise NotImplementedError("migrations only add (see docs/architecture.md)")
