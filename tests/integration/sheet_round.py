"""One round of "the sheet learns" (issue 11), as its acceptance test and the burden bench run it.

Departments import their legacy forms; each uncertain department column becomes a new field
(新建字段); the data steward confirms every field the evidence proposes; the Gate approves;
then the villages' cadres fill every open task page by page. ``tests/integration/
test_sheet_learns.py`` checks what the round leaves in the sheet; ``bench/burden.py`` times
it on a large county. Both drive the same steps from here, so the bench measures what the
test proves.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

from onesheet.domain.access import Actor
from onesheet.services import county_fields, forms, gate, tasks
from onesheet.services.base import Store

COUNTY = "330523"
WHEN = date(2026, 11, 20)
STEWARD = Actor("steward", "steward", COUNTY)
REVIEWER = Actor("rev", "reviewer", COUNTY)
COUNTY_STAFF = Actor("xian", "admin", COUNTY)


def core(heading: str) -> str:
    """A heading without its bracketed unit: ``血压（mmHg）`` → ``血压``."""
    return re.sub(r"[（(][^）)]*[）)]", "", heading).strip()


def department(form: Any) -> Actor:
    """The clerk of the department that sends ``form``."""
    return Actor(f"{form.department}-clerk", "department", COUNTY, form.department)


def bring_in(
    store: Store,
    form: Any,
    xlsx: Callable[[Any], bytes],
    *,
    confirm_reason: str = "",
    approve_reason: str,
) -> str:
    """Import, resolve uncertain columns (新建字段), confirm new fields, submit, approve."""
    clerk = department(form)
    result = forms.import_form(
        store, clerk, xlsx(form), department=form.department, filename=f"{form.name}.xlsx"
    )
    tid = result.template.id
    for col in result.contract["columns"]:  # type: ignore[union-attr]
        if col["status"] == "uncertain" and col["heading"] in form.headings:
            forms.create_field(
                store, clerk, tid, column=col["letter"], label_zh=core(col["heading"]),
                value_type="text",
            )  # fmt: skip
    for p in county_fields.proposals(store, STEWARD, tid):
        if p.definition is None or p.definition.status == "confirmed":
            county_fields.confirm(store, STEWARD, p.key, template_id=tid, reason=confirm_reason)
    forms.submit(store, clerk, tid)
    gate.approve(store, REVIEWER, tid, reason=approve_reason)
    return tid


def answer(inp: tasks.TaskInput) -> str:
    """What a cadre types for one asked value."""
    if inp.choices:
        return inp.choices[-1][0]
    return {"date": "2026-03-01", "tel": "13905720000", "number": "3"}.get(inp.kind, "某某")


def fill_everything(store: Store, per_page: int = tasks.PER_PAGE) -> Counter[tuple[int, str]]:
    """Every open task, page by page, as the village's own cadre; returns what was typed."""
    typed: Counter[tuple[int, str]] = Counter()
    while True:  # the task list shows at most 200 tasks, open first: list until none is open
        open_ = [t for t in tasks.list_tasks(store, COUNTY_STAFF) if t.status == "open"]
        if not open_:
            return typed
        for summary in open_:
            cadre = Actor(f"cadre-{summary.org_code}", "village", summary.org_code)
            while True:
                page = tasks.task_page(store, cadre, summary.id, 1, per_page=per_page)
                values = {
                    (e.entity_id, i.field_key): answer(i) for e in page.entities for i in e.inputs
                }
                if not values:
                    break
                tasks.fill_task(store, cadre, summary.id, values, page.task.version)
                typed.update(values.keys())
