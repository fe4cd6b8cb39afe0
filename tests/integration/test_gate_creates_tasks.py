"""Approving at the Gate is what creates the villages' collection tasks — in the same
transaction — and rejecting creates none."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from onesheet.domain.access import Actor
from onesheet.services import forms, gate
from onesheet.store.schema import table
from tests.integration.helpers import seed_small

FORMS = Path(__file__).parents[1] / "forms" / "files"
DEPARTMENT = Actor("mz", "department", "330523", "civil_affairs")
REVIEWER = Actor("rev", "reviewer", "330523")


def _count(store, name: str, **where: object) -> int:
    t = table(name)
    q = select(func.count()).select_from(t)
    for col, value in where.items():
        q = q.where(t.c[col] == value)
    with store.engine.connect() as conn:
        return conn.execute(q).scalar_one()


def _submitted(store, filename: str) -> str:
    result = forms.import_form(store, DEPARTMENT, FORMS / filename, department="civil_affairs")
    forms.submit(store, DEPARTMENT, result.template.id)
    return result.template.id


def test_approval_creates_tasks_and_rejection_does_not(store):
    seed_small(store, people=300)
    rejected = _submitted(store, "minzheng_dibao.xlsx")
    gate.reject(store, REVIEWER, rejected, reason="与已准入报表重复")
    assert _count(store, "collection_task", template_id=rejected) == 0
    approved = _submitted(store, "weijian_elderly.xlsx")
    gate.approve(store, REVIEWER, approved, reason="老年人健康服务需要")
    tasks = _count(store, "collection_task", template_id=approved)
    assert tasks >= 1
    with store.engine.connect() as conn:
        t, i = table("collection_task"), table("task_item")
        rows = conn.execute(
            select(t.c.org_code, t.c.items_total, func.count(i.c.entity_id))
            .join(i, i.c.task_id == t.c.id)
            .where(t.c.template_id == approved)
            .group_by(t.c.id, t.c.org_code, t.c.items_total)
        ).all()
    assert len(rows) == tasks
    for org_code, total, n_items in rows:
        assert len(org_code) == 12 and total == n_items > 0  # one task per village
