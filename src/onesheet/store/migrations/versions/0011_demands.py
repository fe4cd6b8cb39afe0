"""Demands on villages: registrations, their Gate decisions and villages' flags.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from alembic import op
from sqlalchemy import MetaData

from onesheet.store.demand_tables import DEMAND_TABLES, demand_tables
from onesheet.store.tables import NAMING

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    md = MetaData(naming_convention=NAMING)
    demand_tables(md)
    for name in DEMAND_TABLES:
        md.tables[name].create(op.get_bind())


def downgrade() -> None:
    raise NotImplementedError("migrations only add (see docs/architecture.md)")
