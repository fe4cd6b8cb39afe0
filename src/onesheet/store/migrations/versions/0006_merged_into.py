"""The dictionary's ``person.merged_into`` (record linkage's duplicate marker) gets its column.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sheet_person", sa.Column("merged_into", sa.BigInteger()))


def downgrade() -> None:
    raise NotImplementedError("migrations only add (see docs/architecture.md)")
