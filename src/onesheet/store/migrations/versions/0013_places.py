"""Places and facilities (场所/设施): the current-view table of the ``place`` entity.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30

Schools, shelters, hazard sources, rented rooms and business premises are entities like
people and houses: their observations go to the one log (``entity``/``observation`` need no
change — ``entity_type`` is ``place``, ``natural_key`` stays empty because a place has no
number of its own), their county fields to ``sheet_value``, their queue entries to
``link_queue``. Only the wide current view is new. The table is defined here literally
(frozen), one typed column per stored built-in ``place.*`` field of this revision; the live
definition comes from ``data/fields.yaml`` through ``store/schema.metadata()``, and
``tests/contract/test_migrations.py`` checks that the two agree.
"""

from alembic import op
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
)

from onesheet.store.migrations import frozen

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    md = frozen.metadata()
    place = Table(
        "sheet_place",
        md,
        Column("entity_id", BigInteger, primary_key=True, autoincrement=False),
        Column("county_code", String(6), nullable=False),
        Column("org_code", String(20), nullable=False),
        Column("version", Integer, nullable=False, default=1),
        Column("updated_at", DateTime, nullable=False),
        Column("name", Text),
        Column("kind", String(16)),  # code table place_kind
        Column("address", Text),
        Column("manager_name", Text),
        Column("manager_phone", String(20)),
        Column("managing_unit", Text),
        Column("area", Numeric(20, 4)),
        Column("capacity", BigInteger),
        Column("description", Text),
        Column("is_focus", Boolean),
        Column("opened_date", Date),
        Column("inspected_date", Date),
        Column("coordinates", Text),
    )
    Index("ix_sheet_place_org", place.c.county_code, place.c.org_code)
    md.create_all(op.get_bind())


def downgrade() -> None:
    raise NotImplementedError("migrations only add (see docs/architecture.md)")
