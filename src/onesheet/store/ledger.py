"""Read-only queries behind the task progress page and the burden ledger (减负看板).

Counts only, never personal data: values filled from the sheet (``report_run``), values
typed by hand (observations of village fill/correction batches, task items filled),
template decisions and collection tasks. Every query takes the scope as an org-code prefix
(``None`` = everything) and, for a department, its key, so a town sees its subtree and a
department its own forms.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, Select, func, select

from onesheet.domain.tasks import ONCE, period_of
from onesheet.store.report_query import in_subtree
from onesheet.store.schema import table

TYPED_BATCH_KINDS = ("task", "correction")  # values a person typed: task fills, corrections
FREQUENCIES = ("monthly", "quarterly", "yearly")


@dataclass(frozen=True)
class TaskProgress:
    """One collection task as the progress page shows it."""

    task_id: int
    template_id: str
    title: str
    department: str
    org_code: str
    org_name: str
    period: str
    status: str
    items_total: int
    items_filled: int


@dataclass(frozen=True)
class FinalDecision:
    """A template's latest approve/reject decision and the review figures of the time."""

    template_id: str
    department: str
    decision: str
    review: dict[str, object]


def _month(conn: Connection, col: ColumnElement) -> ColumnElement[str]:  # type: ignore[type-arg]
    """``YYYY-MM`` of a timestamp column, in each backend's own function."""
    if conn.dialect.name == "sqlite":
        return func.strftime("%Y-%m", col)
    return func.to_char(col, "YYYY-MM")


def _scoped(q: Select, col: ColumnElement, prefix: str | None) -> Select:  # type: ignore[type-arg]
    return q if not prefix else q.where(in_subtree(col, prefix))


def task_progress(
    conn: Connection, prefix: str | None, department: str | None
) -> list[TaskProgress]:
    """Collection tasks in the subtree (a department's own forms only), by village."""
    t, f, o = table("collection_task"), table("form_template"), table("org_unit")
    q = (
        select(t, f.c.title, f.c.department, o.c.name.label("org_name"))
        .join(f, f.c.id == t.c.template_id)
        .outerjoin(o, o.c.code == t.c.org_code)
        .order_by(t.c.org_code, t.c.period.desc(), f.c.title)
    )
    q = _scoped(q, t.c.org_code, prefix)
    if department:
        q = q.where(f.c.department == department)
    return [
        TaskProgress(
            r.id,
            r.template_id,
            r.title,
            r.department,
            r.org_code,
            r.org_name or r.org_code,
            r.period,
            r.status,
            r.items_total,
            r.items_filled,
        )
        for r in conn.execute(q)
    ]


@dataclass(frozen=True)
class CountedRun:
    """The run that stands for one report: its month, its department, its values filled."""

    month: str
    department: str
    values_filled: int


def _report_key(row) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    """One report = (template, org unit, period): the template's month, quarter or year, or
    for a one-off form the report date itself."""
    if row.frequency == ONCE or row.frequency not in FREQUENCIES:
        period = row.report_date.isoformat()
    else:
        period = period_of(row.frequency, row.report_date)
    return row.template_id, row.org_code, period


def counted_runs(conn: Connection, prefix: str | None, department: str | None) -> list[CountedRun]:
    """The latest run of each report in scope: downloading a report again replaces its
    figures instead of adding to them, so values filled count once per report."""
    r, f = table("report_run"), table("form_template")
    q = (
        select(
            r.c.template_id,
            r.c.org_code,
            r.c.report_date,
            r.c.at,
            r.c.values_filled,
            f.c.frequency,
            f.c.department,
        )
        .join(f, f.c.id == r.c.template_id)
        .order_by(r.c.at, r.c.id)
    )
    q = _scoped(q, r.c.org_code, prefix)
    if department:
        q = q.where(f.c.department == department)
    latest: dict[tuple[str, str, str], CountedRun] = {}
    for row in conn.execute(q):
        latest[_report_key(row)] = CountedRun(
            f"{row.at:%Y-%m}", row.department, int(row.values_filled or 0)
        )
    return list(latest.values())


def filled_by_month(conn: Connection, prefix: str | None, department: str | None) -> dict[str, int]:
    """Values reports took from the sheet instead of asking a village, per month run (each
    report's latest run)."""
    out: dict[str, int] = {}
    for run in counted_runs(conn, prefix, department):
        out[run.month] = out.get(run.month, 0) + run.values_filled
    return out


def filled_by_department(
    conn: Connection, prefix: str | None, department: str | None
) -> dict[str, int]:
    """Values filled from the sheet, per department owning the template (each report's
    latest run)."""
    out: dict[str, int] = {}
    for run in counted_runs(conn, prefix, department):
        out[run.department] = out.get(run.department, 0) + run.values_filled
    return out


def typed_by_month(
    conn: Connection, prefix: str | None, exclude_sources: Iterable[str]
) -> dict[str, int]:
    """Values people typed (village fills and corrections), per month recorded.

    Batches whose source is a department (its own corrections) are not village burden.
    """
    ob, b, e = table("observation"), table("batch"), table("entity")
    month = _month(conn, ob.c.recorded_at).label("m")
    q = (
        select(month, func.count())
        .select_from(ob)
        .join(b, b.c.id == ob.c.batch_id)
        .where(b.c.kind.in_(TYPED_BATCH_KINDS), b.c.source.not_in(list(exclude_sources)))
    )
    if prefix:
        q = q.join(e, e.c.id == ob.c.entity_id).where(in_subtree(e.c.org_code, prefix))
    return {m: int(n) for m, n in conn.execute(q.group_by(month))}


def _task_items_filled(conn: Connection, prefix: str | None, department: str | None) -> Select:  # type: ignore[type-arg]
    i, t, f = table("task_item"), table("collection_task"), table("form_template")
    q = (
        select(i.c.filled_at, f.c.department)
        .join(t, t.c.id == i.c.task_id)
        .join(f, f.c.id == t.c.template_id)
        .where(i.c.status == "filled")
    )
    q = _scoped(q, t.c.org_code, prefix)
    return q.where(f.c.department == department) if department else q


def typed_for_department_by_month(
    conn: Connection, prefix: str | None, department: str
) -> dict[str, int]:
    """Task values villages typed for one department's forms, per month filled."""
    sub = _task_items_filled(conn, prefix, department).subquery()
    month = _month(conn, sub.c.filled_at).label("m")
    q = select(month, func.count()).select_from(sub).group_by(month)
    return {m: int(n) for m, n in conn.execute(q) if m}


def typed_by_department(
    conn: Connection, prefix: str | None, department: str | None
) -> dict[str, int]:
    """Task values villages typed, per department owning the template that asked."""
    sub = _task_items_filled(conn, prefix, department).subquery()
    q = select(sub.c.department, func.count()).group_by(sub.c.department)
    return {d: int(n) for d, n in conn.execute(q)}


def final_decisions(conn: Connection, department: str | None) -> list[FinalDecision]:
    """Each template's latest approve/reject decision (a resubmitted form counts once)."""
    d, f = table("template_decision"), table("form_template")
    q = (
        select(d.c.template_id, f.c.department, d.c.decision, d.c.review)
        .join(f, f.c.id == d.c.template_id)
        .where(d.c.decision.in_(("approved", "rejected")))
        .order_by(d.c.at, d.c.id)
    )
    if department:
        q = q.where(f.c.department == department)
    latest: dict[str, FinalDecision] = {}
    for r in conn.execute(q):
        review = json.loads(r.review) if r.review else {}
        latest[r.template_id] = FinalDecision(r.template_id, r.department, r.decision, review)
    return list(latest.values())
