"""Template (报表模板) rows: saved, read and moved through the Gate's statuses.

A template's spec is kept as the ``TemplateSpec`` JSON; the row's other columns are copies
of what lists and the Gate filter on. Status changes check the row's version, so two
reviewers deciding at once cannot silently overwrite each other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from onesheet.domain.template_spec import TemplateSpec
from onesheet.store.schema import table

STATUSES = ("draft", "submitted", "approved", "rejected")
STATUS_LABELS_ZH = {
    "draft": "草稿",
    "submitted": "待审核",
    "approved": "已准入",
    "rejected": "已退回",
}


class TemplateNotFound(ValueError):
    """No template has this id."""

    def __init__(self, template_id: str) -> None:
        self.template_id = template_id
        super().__init__(f"没有报表模板 {template_id} (no template with id {template_id})")


class TemplateNotApproved(ValueError):
    """The template exists but has not passed the Gate, so it may not be run."""

    def __init__(self, template_id: str, status: str) -> None:
        self.template_id = template_id
        self.status = status
        zh = STATUS_LABELS_ZH.get(status, status)
        super().__init__(
            f"模板 {template_id} 尚未准入（当前状态：{zh}），不能生成报表或任务 "
            f"(template {template_id} is {status}, not approved: it cannot be run)"
        )


@dataclass(frozen=True)
class TemplateRow:
    """A stored template with its Gate status."""

    id: str
    spec: TemplateSpec
    status: str
    department: str
    matter: str | None
    analysis: dict[str, object] | None
    source_file: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


class StaleTemplate(Exception):
    """Someone else changed the template since it was read."""


def insert_template(
    conn: Connection,
    spec: TemplateSpec,
    *,
    status: str,
    actor: str,
    at: datetime,
    analysis: dict[str, object] | None = None,
    source_file: str = "",
    content_hash: str | None = None,
) -> None:
    """Store a new template (its id must be new)."""
    conn.execute(
        insert(table("form_template")).values(
            id=spec.id,
            title=spec.title,
            department=spec.department,
            entity="aggregate" if spec.kind == "aggregate" else spec.entity,
            kind=spec.kind,
            status=status,
            matter=spec.matter,
            frequency=spec.frequency,
            spec=spec.model_dump_json(by_alias=True),
            analysis=json.dumps(analysis, ensure_ascii=False) if analysis is not None else "",
            source_file=source_file,
            content_hash=content_hash,
            created_by=actor,
            created_at=at,
            updated_at=at,
            version=1,
        )
    )


def get_template(conn: Connection, template_id: str) -> TemplateRow | None:
    """One template by id, or None."""
    row = conn.execute(
        select(table("form_template")).where(table("form_template").c.id == template_id)
    ).one_or_none()
    return _to_row(row) if row is not None else None


def list_templates(
    conn: Connection, *, status: str | None = None, department: str | None = None
) -> list[TemplateRow]:
    """Templates, newest first, optionally by status and department."""
    t = table("form_template")
    query = select(t).order_by(t.c.created_at.desc(), t.c.id)
    if status is not None:
        query = query.where(t.c.status == status)
    if department is not None:
        query = query.where(t.c.department == department)
    return [_to_row(r) for r in conn.execute(query)]


def update_template(
    conn: Connection,
    row: TemplateRow,
    *,
    at: datetime,
    spec: TemplateSpec | None = None,
    status: str | None = None,
) -> TemplateRow:
    """Change a template's spec and/or status if nobody changed it since ``row`` was read."""
    t = table("form_template")
    values: dict[str, object] = {"updated_at": at, "version": row.version + 1}
    if spec is not None:
        values.update(
            spec=spec.model_dump_json(by_alias=True),
            title=spec.title,
            matter=spec.matter,
            frequency=spec.frequency,
        )
    if status is not None:
        if status not in STATUSES:
            raise ValueError(f"unknown template status {status!r}")
        values["status"] = status
    result = conn.execute(
        update(t).where(t.c.id == row.id, t.c.version == row.version).values(**values)
    )
    if result.rowcount != 1:
        raise StaleTemplate(row.id)
    fresh = get_template(conn, row.id)
    assert fresh is not None
    return fresh


def _to_row(r: object) -> TemplateRow:
    m = r._mapping  # type: ignore[attr-defined]
    return TemplateRow(
        id=m["id"],
        spec=TemplateSpec.model_validate_json(m["spec"]),
        status=m["status"],
        department=m["department"],
        matter=m["matter"],
        analysis=json.loads(m["analysis"]) if m["analysis"] else None,
        source_file=m["source_file"],
        created_by=m["created_by"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        version=m["version"],
    )


def find_by_hash(conn: Connection, content_hash: str, department: str) -> TemplateRow | None:
    """The template this department already made from the same file, if any."""
    t = table("form_template")
    row = conn.execute(
        select(t)
        .where(t.c.content_hash == content_hash, t.c.department == department)
        .order_by(t.c.created_at)
        .limit(1)
    ).one_or_none()
    return _to_row(row) if row is not None else None


def update_analysis(conn: Connection, template_id: str, analysis: dict[str, object]) -> None:
    """Replace the stored importer analysis (kept in step with a person's corrections)."""
    t = table("form_template")
    conn.execute(
        update(t)
        .where(t.c.id == template_id)
        .values(analysis=json.dumps(analysis, ensure_ascii=False))
    )


@dataclass(frozen=True)
class Decision:
    """One step of a template through the Gate: who, when, what and why."""

    template_id: str
    decision: str
    actor: str
    at: datetime
    reason: str
    review: dict[str, object] | None


def insert_decision(
    conn: Connection,
    template_id: str,
    decision: str,
    *,
    actor: str,
    at: datetime,
    reason: str = "",
    review: dict[str, object] | None = None,
) -> None:
    """Keep a Gate step (submitted, approved, rejected) with the review figures of the time."""
    conn.execute(
        insert(table("template_decision")).values(
            template_id=template_id,
            decision=decision,
            actor=actor,
            at=at,
            reason=reason,
            review=json.dumps(review, ensure_ascii=False, default=str) if review else "",
        )
    )


def list_decisions(conn: Connection, template_id: str) -> list[Decision]:
    """A template's Gate history, oldest first."""
    t = table("template_decision")
    rows = conn.execute(select(t).where(t.c.template_id == template_id).order_by(t.c.id))
    return [
        Decision(
            r.template_id,
            r.decision,
            r.actor,
            r.at,
            r.reason,
            json.loads(r.review) if r.review else None,
        )
        for r in rows
    ]
