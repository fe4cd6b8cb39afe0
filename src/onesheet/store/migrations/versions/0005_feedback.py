"""Burden feedback from villages and towns.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import json
from importlib.resources import files

from alembic import op

from onesheet.store.tables import FEEDBACK_TABLES, build_metadata

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    snapshot = files("onesheet.store.migrations") / "snapshots" / "sheet_columns_0001.json"
    columns = {k: [tuple(c) for c in v] for k, v in json.loads(snapshot.read_text()).items()}
    md = build_metadata(columns, revision=5)
    md.create_all(op.get_bind(), tables=[md.tables[name] for name in FEEDBACK_TABLES])


def downgrade() -> None:
    raise NotImplementedError("migrations only add (see docs/architecture.md)")
