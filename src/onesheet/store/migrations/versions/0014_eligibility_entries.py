"""A run's listed people keyed by (run, person): ``eligibility_run_entry``.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30

A run decides in the database and writes its listed people there — tens of thousands for a
county — so what each row costs to write is most of a run's own cost beyond its SELECT.
``eligibility_run_item`` (0010) pays a sequence value and two index entries per person (its
``id`` key and the ``run_id`` index); this table is keyed by (run, person) alone: one index
entry per person, no sequence, and it still answers what is asked of a run's people — all
of one run, one person of a run (taken out to be judged one by one), a page of one list.
New runs write here; ``eligibility_run_item`` keeps the runs written before (migrations only
add). The table is defined literally here (frozen).
"""

from sqlalchemy import Column, MetaData, Numeric, String, Table, Text

from onesheet.store.migrations import frozen
from onesheet.store.migrations.frozen import Id

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    frozen.create(tables)


def tables(md: MetaData) -> None:
    """The table this revision adds, as it created it (frozen)."""
    Table(
        "eligibility_run_entry",
        md,
        Column("run_id", Id, primary_key=True),
        Column("entity_id", Id, primary_key=True),
        Column("list", String(8), nullable=False),  # new | kept | dropped | unknown
        Column("org_code", String(20), nullable=False),
        Column("tier", String(40)),
        Column("amount", Numeric(12, 2)),
        Column("reason", Text, nullable=False, default=""),
    )


def downgrade() -> None:
    raise NotImplementedError("migrations only add (see docs/architecture.md)")
