"""Every entity an audit event touched; API token expiry and last use; disabled users.

``audit_entity`` lists all the entities of an audited event (the event row keeps only the
first 200 ids), so "who read person X" can be answered; the ids already on earlier events
are copied into it. API tokens get an expiry (tokens issued before this revision expire 90
days after they were issued) and a last-used time; users can be disabled.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

from onesheet.store.migrations import frozen

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TOKEN_DAYS = 90  # what issuing a token defaults to (services/auth.py)
CHUNK = 5000


def upgrade() -> None:
    md = frozen.metadata()
    audit_entity = audit_entity_table(md)
    bind = op.get_bind()
    audit_entity.create(bind)
    for col in api_token_columns():
        op.add_column("api_token", col)
    for col in app_user_columns():
        op.add_column("app_user", col)
    _expire_old_tokens(bind)
    _copy_audited_ids(bind, audit_entity)


def audit_entity_table(md: sa.MetaData) -> sa.Table:
    """One row per entity an audit event touched (all of them, not the first 200), so
    "who read person X" is one indexed lookup (as this revision created it)."""
    return sa.Table(
        "audit_entity",
        md,
        sa.Column("event_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("entity_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("county_code", sa.String(6)),
        sa.Index("ix_audit_entity_entity", "entity_id", "event_id"),
    )


def api_token_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    """The columns this revision adds to ``api_token`` (0003): expiry and last use."""
    return [sa.Column("expires_at", sa.DateTime()), sa.Column("last_used_at", sa.DateTime())]


def app_user_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    """The column this revision adds to ``app_user`` (0001): when it was disabled."""
    return [sa.Column("disabled_at", sa.DateTime())]


def _expire_old_tokens(bind: sa.Connection) -> None:
    tokens = sa.table(
        "api_token",
        sa.column("id", sa.BigInteger),
        sa.column("created_at", sa.DateTime),
        sa.column("expires_at", sa.DateTime),
    )
    rows = bind.execute(sa.select(tokens.c.id, tokens.c.created_at)).all()
    for token_id, created in rows:
        bind.execute(
            sa.update(tokens)
            .where(tokens.c.id == token_id)
            .values(expires_at=created + timedelta(days=TOKEN_DAYS))
        )


def _copy_audited_ids(bind: sa.Connection, target: sa.Table) -> None:
    """The ids earlier events kept (up to 200 each) become ``audit_entity`` rows."""
    events = sa.table(
        "audit_event",
        sa.column("id", sa.BigInteger),
        sa.column("county_code", sa.String),
        sa.column("entity_ids", sa.Text),
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(events.c.id, events.c.county_code, events.c.entity_ids)
            .where(events.c.id > last, events.c.entity_ids != "")
            .order_by(events.c.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        out = []
        for event_id, county, ids in rows:
            seen = {int(i) for i in ids.split(",") if i.strip().isdigit()}
            out += [{"event_id": event_id, "entity_id": i, "county_code": county} for i in seen]
        if out:
            bind.execute(sa.insert(target), out)
        last = rows[-1][0]


def downgrade() -> None:
    raise NotImplementedError("migrations only add (see docs/architecture.md)")
