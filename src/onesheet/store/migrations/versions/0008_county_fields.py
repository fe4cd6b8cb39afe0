"""County fields: definitions and versions as rows, county code tables, the narrow current view.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from alembic import op
from sqlalchemy import MetaData

from onesheet.store.county_tables import COUNTY_TABLES, county_tables
from onesheet.store.tables import NAMING

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    md = MetaData(naming_convention=NAMING)
    county_tables(md)
    md.create_all(op.get_bind(), tables=[md.tables[name] for name in COUNTY_TABLES])


def downgrade() -> None:
    raise NotImplementedError("migrations only add (see docs/architecture.md)")
