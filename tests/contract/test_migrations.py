"""The migrated schema is exactly what the code's metadata describes (on both backends)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from onesheet.store.schema import metadata


def test_migrations_match_metadata(store):
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata())
    assert diff == [], "a dictionary or table change needs a new migration"
