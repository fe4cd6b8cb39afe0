"""Collection tasks and their items; the linkage review queue.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import json
from importlib.resources import files

from alembic import op

from onesheet.store.tables import TASK_TABLES, build_metadata

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    snapshot = files("onesheet.store.migrations") / "snapshots" / "sheet_columns_0001.json"
    columns = {k: [tuple(c) for c in v] for k, v in json.loads(snapshot.read_text()).items()}
    md = build_metadata(columns, revision=4)
    md.create_all(op.get_bind(), tables=[md.tables[name] for name in TASK_TABLES])


def downgrade() -> None:
    raise NotImplementedError("migrations only add (see docs/architecture.md)")
