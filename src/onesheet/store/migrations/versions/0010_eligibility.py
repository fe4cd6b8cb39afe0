"""Eligibility rules, enrolment rosters, runs, and proofs answered from data.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from onesheet.store.migrations import frozen
from onesheet.store.migrations.frozen import Id

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    frozen.create(tables)


AMOUNT = Numeric(12, 2)


def tables(md: MetaData) -> None:
    """The tables this revision adds, as it created them (frozen)."""
    Table(
        "eligibility_rule",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("county_code", String(6), nullable=False),
        Column("rule_key", String(40), nullable=False),
        Column("version", Integer, nullable=False),
        Column("benefit", Text, nullable=False),
        Column("department", String(40), nullable=False),
        Column("spec", Text, nullable=False),  # RuleSpec JSON
        Column(
            "status", String(12), nullable=False
        ),  # draft|submitted|approved|rejected|superseded
        Column("created_by", String(80), nullable=False),
        Column("created_at", DateTime, nullable=False),
        Column("updated_at", DateTime, nullable=False),
        UniqueConstraint("county_code", "rule_key", "version"),
    )
    Table(
        "eligibility_decision",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("rule_id", Id, nullable=False, index=True),
        Column("action", String(12), nullable=False),  # submit | approve | reject
        Column("actor", String(80), nullable=False),
        Column("role", String(20), nullable=False),
        Column("at", DateTime, nullable=False),
        Column("reason", Text, nullable=False, default=""),
        Column("figures", Text, nullable=False, default="{}"),  # JSON review figures
    )
    Table(
        "eligibility_enrolment",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("county_code", String(6), nullable=False),
        Column("rule_key", String(40), nullable=False),
        Column("entity_id", Id, nullable=False),
        Column("org_code", String(20), nullable=False),  # where the person was when enrolled
        Column("tier", String(40)),
        Column("amount", AMOUNT),
        Column("since", Date, nullable=False),
        Column("ended", Date),
        Column("end_reason", Text),
        Column("source", String(12), nullable=False),  # import | run
        Column("actor", String(80), nullable=False),
        Column("at", DateTime, nullable=False),
        Index("ix_eligibility_enrolment_rule", "county_code", "rule_key", "org_code"),
        Index("ix_eligibility_enrolment_entity", "entity_id"),
    )
    Table(
        "eligibility_run",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("county_code", String(6), nullable=False),
        Column("rule_id", Id, nullable=False),
        Column("rule_key", String(40), nullable=False),
        Column("org_code", String(20), nullable=False),
        Column("month", String(7), nullable=False),
        Column("actor", String(80), nullable=False),
        Column("role", String(20), nullable=False),
        Column("at", DateTime, nullable=False),
        Column("new", Integer, nullable=False, default=0),
        Column("kept", Integer, nullable=False, default=0),
        Column("dropped", Integer, nullable=False, default=0),
        Column("unknown", Integer, nullable=False, default=0),
        Column("amount", AMOUNT, nullable=False, default=0),  # monthly total, new + kept
        Column("values_read", Integer, nullable=False, default=0),
        Column("seconds", Numeric(12, 3), nullable=False, default=0),
        Column("confirmed", Boolean, nullable=False, default=False),
        Index("ix_eligibility_run_org", "county_code", "org_code"),
    )
    Table(
        "eligibility_run_item",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("run_id", Id, nullable=False, index=True),
        Column("entity_id", Id, nullable=False),
        Column("list", String(8), nullable=False),  # new | kept | dropped | unknown
        Column("org_code", String(20), nullable=False),
        Column("tier", String(40)),
        Column("amount", AMOUNT),
        Column("reason", Text, nullable=False, default=""),
    )
    Table(
        "proof_answer",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("serial", String(40), nullable=False, unique=True),
        Column("county_code", String(6), nullable=False),
        Column("kind", String(20), nullable=False),  # residence | kinship | alive | hukou
        Column("matter", Text, nullable=False),
        Column("answer", String(12), nullable=False),  # yes | no | unknown
        Column("payload", Text, nullable=False),  # the canonical JSON that was signed
        Column("signature", String(128), nullable=False),  # hex
        Column("key_id", String(16), nullable=False),
        Column("actor", String(80), nullable=False),
        Column("role", String(20), nullable=False),
        Column("at", DateTime, nullable=False),
    )
    Table(
        "signing_key",
        md,
        Column("key_id", String(16), primary_key=True),
        Column("public_key", String(64), nullable=False),  # hex
        Column("private_key", String(64), nullable=False),  # hex seed
        Column("created_at", DateTime, nullable=False),
        Column("retired_at", DateTime),
    )


def downgrade() -> None:
    raise NotImplementedError("migrations only add (see docs/architecture.md)")
