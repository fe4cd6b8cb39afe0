"""Forms and the Gate: templates, their decisions, draft fields, learnt heading wordings,
responsibility lists and report runs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)

from onesheet.store.migrations import frozen
from onesheet.store.migrations.frozen import Id

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    frozen.create(tables)


def tables(md: MetaData) -> None:
    """The tables this revision adds, as it created them (frozen)."""
    Table(
        "form_template",
        md,
        Column("id", String(40), primary_key=True),
        Column("title", Text, nullable=False),
        Column("department", String(40), nullable=False, index=True),
        Column("entity", String(20), nullable=False),  # person … house, or aggregate
        Column("kind", String(12), nullable=False),  # roster | aggregate
        Column("status", String(12), nullable=False, index=True),  # draft … approved
        Column("matter", String(40)),  # responsibility-list item code it serves
        Column("frequency", String(12), nullable=False, default="once"),
        Column("spec", Text, nullable=False),  # TemplateSpec JSON
        Column("analysis", Text, nullable=False, default=""),  # importer JSON contract
        Column("source_file", Text, nullable=False, default=""),
        Column("content_hash", String(64), index=True),
        Column("created_by", String(80), nullable=False),
        Column("created_at", DateTime, nullable=False),
        Column("updated_at", DateTime, nullable=False),
        Column("version", Integer, nullable=False, default=1),
    )
    Table(
        "template_decision",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("template_id", String(40), nullable=False, index=True),
        Column("decision", String(12), nullable=False),  # submitted | approved | rejected …
        Column("actor", String(80), nullable=False),
        Column("at", DateTime, nullable=False),
        Column("reason", Text, nullable=False, default=""),
        Column("review", Text, nullable=False, default=""),  # review figures JSON at the time
    )
    Table(
        "draft_field",
        md,
        Column("key", String(80), primary_key=True),
        Column("entity", String(20), nullable=False),
        Column("label_zh", Text, nullable=False),
        Column("label_en", Text, nullable=False, default=""),
        Column("value_type", String(12), nullable=False),
        Column("synonyms", Text, nullable=False, default="[]"),  # JSON list of wordings
        Column("proposed_by", String(40), nullable=False),  # template id
        Column("created_at", DateTime, nullable=False),
    )
    Table(
        "heading_synonym",
        md,
        Column("heading", String(200), primary_key=True),  # normalised wording
        Column("entity", String(20), primary_key=True),
        Column("field_key", String(80), nullable=False),
        Column("actor", String(80), nullable=False),
        Column("at", DateTime, nullable=False),
    )
    Table(
        "responsibility_item",
        md,
        Column("county_code", String(6), primary_key=True),
        Column("code", String(20), primary_key=True),
        Column("list_kind", String(12), nullable=False),  # main | assist | negative | certificate
        Column("category", Text, nullable=False, default=""),
        Column("item", Text, nullable=False),
        Column("source", Text, nullable=False, default=""),
    )
    Table(
        "report_run",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("template_id", String(40), nullable=False, index=True),
        Column("county_code", String(6), nullable=False),
        Column("org_code", String(20), nullable=False),
        Column("report_date", Date, nullable=False),
        Column("actor", String(80), nullable=False),
        Column("role", String(20), nullable=False),
        Column("at", DateTime, nullable=False),
        Column("format", String(8), nullable=False),
        Column("rows", BigInteger, nullable=False, default=0),
        Column("values_filled", BigInteger, nullable=False, default=0),
        Column("values_missing", BigInteger, nullable=False, default=0),
        Column("seconds", Numeric(12, 3), nullable=False, default=0),
    )


def downgrade() -> None:
    raise NotImplementedError("migrations only add (see docs/architecture.md)")
