"""Import jobs kept in the database: visible from every worker, surviving a restart.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30

The table is defined here literally (frozen); the live ``store/import_jobs.import_job_table``
takes it from here, and ``tests/contract/test_migrations.py`` checks that the revisions add
up to the live schema.
"""

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from onesheet.store.migrations import frozen

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    frozen.create(tables)


def tables(md: MetaData) -> None:
    """The table this revision adds, as it created it (frozen)."""
    Table(
        "import_job",
        md,
        Column("id", String(32), primary_key=True),  # random token: ids reveal nothing
        Column("owner", String(80), nullable=False),  # username the import runs as
        Column("county", String(6)),
        Column("file", Text, nullable=False),
        Column("department", String(40), nullable=False),
        Column("entity", String(16), nullable=False),
        Column("options", Text, nullable=False),  # JSON {mapping, dry_run, county}
        Column("data", LargeBinary),  # the upload; dropped once the job finishes
        Column("status", String(10), nullable=False),  # queued | running | done | failed
        Column("stage", String(16), nullable=False),
        Column("done", Integer, nullable=False, default=0),
        Column("total", Integer, nullable=False, default=0),
        Column("summary", Text),  # JSON
        Column("error", Text),  # JSON
        Column("attempt", Integer, nullable=False, default=1),
        Column("created_at", DateTime, nullable=False),
        Column("started_at", DateTime),
        Column("finished_at", DateTime),
        Column("heartbeat_at", DateTime, nullable=False),
        Column("runner_pid", Integer),
        Column("runner_host", String(255)),
        Index("ix_import_job_owner_created", "owner", "created_at"),
        Index("ix_import_job_status", "status"),
    )


def downgrade() -> None:
    raise NotImplementedError("migrations only add (see docs/architecture.md)")
