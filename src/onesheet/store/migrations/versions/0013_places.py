"""Places and facilities (场所/设施): the current-view table of the ``place`` entity.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30

Schools, shelters, hazard sources, rented rooms and business premises are entities like
people and houses: their observations go to the one log (``entity``/``observation`` need no
change — ``entity_type`` is ``place``, ``natural_key`` stays empty because a place has no
number of its own), their county fields to ``sheet_value``, their queue entries to
``link_queue``. Only the wide current view is new. The table is defined here literally
(frozen), one typed column per stored built-in ``place.*`` field of this revision laid out
as revision 0001 laid out the sheet tables (``frozen.sheet_table``); the live
definition comes from ``data/fields.yaml`` through ``store/schema.metadata()``, and
``tests/contract/test_migrations.py`` checks that the two agree.
"""

from alembic import op

from onesheet.store.migrations import frozen

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# The stored built-in ``place.*`` fields of this revision: (column, dictionary value type).
PLACE_COLUMNS = [
    ("name", "text"),
    ("kind", "code"),  # code table place_kind
    ("address", "text"),
    ("manager_name", "text"),
    ("manager_phone", "phone"),
    ("managing_unit", "text"),
    ("area", "decimal"),
    ("capacity", "integer"),
    ("description", "text"),
    ("is_focus", "boolean"),
    ("opened_date", "date"),
    ("inspected_date", "date"),
    ("coordinates", "text"),
]


def upgrade() -> None:
    md = frozen.metadata()
    frozen.sheet_table(md, "place", PLACE_COLUMNS)
    md.create_all(op.get_bind())


def downgrade() -> None:
    raise NotImplementedError("migrations only add (see docs/architecture.md)")
