"""Eligibility rules, enrolment rosters, runs, and proofs answered from data.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from alembic import op
from sqlalchemy import MetaData

from onesheet.store.eligibility_tables import ELIGIBILITY_TABLES, eligibility_tables
from onesheet.store.tables import NAMING

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    md = MetaData(naming_convention=NAMING)
    eligibility_tables(md)
    bind = op.get_bind()
    for name in ELIGIBILITY_TABLES:
        md.tables[name].create(bind)


def downgrade() -> None:
    raise NotImplementedError("migrations only add (see docs/architecture.md)")
