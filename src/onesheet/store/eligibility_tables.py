"""Tables of eligibility rules, enrolment rosters, runs and proofs from data (数据代证明).

* ``eligibility_rule``: one row per version of a benefit's rule (``RuleSpec`` JSON) with its
  Gate status (draft → submitted → approved / rejected; an approved version supersedes the
  one before it).
* ``eligibility_decision``: every Gate step with actor, time, reason and the review figures.
* ``eligibility_enrolment``: who is paid (the roster), imported or confirmed from a run; a
  row is ended (``ended``), never deleted.
* ``eligibility_run`` / ``eligibility_run_entry``: each run's counts and each listed person,
  keyed by (run, person) (0014); ``eligibility_run_item`` holds the people of runs made
  before 0014 (one sequence value and two index entries a person: a county's run lists
  tens of thousands, and that was most of what storing them cost).
* ``proof_answer``: every proof question answered, with its signed payload.
* ``signing_key``: the installation's Ed25519 key pair (created on first use).

``eligibility_tables(md)`` adds them to a MetaData; ``store.schema.metadata()`` calls it;
migration 0010 creates them, 0014 ``eligibility_run_entry``.
"""

from __future__ import annotations

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

from onesheet.store.tables import Id

ELIGIBILITY_TABLES = (
    "eligibility_rule",
    "eligibility_decision",
    "eligibility_enrolment",
    "eligibility_run",
    "eligibility_run_item",
    "eligibility_run_entry",
    "proof_answer",
    "signing_key",
)

AMOUNT = Numeric(12, 2)


def eligibility_tables(md: MetaData) -> None:
    """Add the eligibility and proof tables to ``md`` (once)."""
    if "eligibility_rule" in md.tables:
        return
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
        "eligibility_run_entry",
        md,
        Column("run_id", Id, primary_key=True),
        Column("entity_id", Id, primary_key=True),
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
