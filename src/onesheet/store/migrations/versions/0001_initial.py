"""Initial schema: org tree, entities, the observation log, sheet tables, users, audit.

The sheet tables' columns are frozen in ``snapshots/sheet_columns_0001.json`` (the built-in
dictionary of this revision), so later dictionary changes need their own migration.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import json
from importlib.resources import files

from alembic import op

from onesheet.store.tables import build_metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    snapshot = files("onesheet.store.migrations") / "snapshots" / "sheet_columns_0001.json"
    columns = {k: [tuple(c) for c in v] for k, v in json.loads(snapshot.read_text()).items()}
    build_metadata(columns, revision=1).create_all(op.get_bind())


def downgrade() -> None:
    raise NotImplementedError("migrations only add (see docs/architecture.md)")
