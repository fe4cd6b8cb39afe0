"""`onesheet demo` passes a packaged sample form through the Gate: approved once, with the
villages' collection tasks, and running the demo again changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from onesheet.cli.demo_cmd import _demo_form
from onesheet.store.schema import table
from onesheet.store.templates import get_template
from tests.integration.helpers import seed_small


def _counts(store) -> tuple[int, int]:
    with store.engine.connect() as conn:
        tasks = conn.execute(select(func.count()).select_from(table("collection_task"))).scalar()
        decisions = conn.execute(
            select(func.count()).select_from(table("template_decision"))
        ).scalar()
    return tasks, decisions


def test_demo_form_is_approved_with_tasks_once(store):
    seed_small(store, people=300)
    _demo_form(store)
    with store.engine.connect() as conn:
        row = get_template(conn, "demo-elderly-health")
    assert row is not None and row.status == "approved" and row.department == "health"
    tasks, decisions = _counts(store)
    assert tasks >= 1 and decisions == 1
    _demo_form(store)
    assert _counts(store) == (tasks, decisions)
