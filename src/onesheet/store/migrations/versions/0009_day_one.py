"""A real county's first day: dated org-tree events, urban-rural class, account state.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from alembic import op
from sqlalchemy import MetaData

from onesheet.store.dayone_tables import app_user_columns, org_event_table, org_unit_columns
from onesheet.store.tables import NAMING

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    md = MetaData(naming_convention=NAMING)
    table = org_event_table(md)
    table.create(op.get_bind())
    with op.batch_alter_table("org_unit") as batch:
        for col in org_unit_columns():
            batch.add_column(col)
    with op.batch_alter_table("app_user") as batch:
        for col in app_user_columns():
            batch.add_column(col)


def downgrade() -> None:
    raise NotImplementedError("migrations only add (see docs/architecture.md)")
