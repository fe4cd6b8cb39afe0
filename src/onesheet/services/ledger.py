"""The burden ledger (减负看板) and the progress of collection tasks, as figures.

Why a service: the page, ``/api/ledger`` and any later CLI must show the same numbers in
the same scope — a department its own forms, a town its subtree, the county everything.
Only counts are read (no personal data), so no audit event is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from onesheet.domain.access import Actor
from onesheet.domain.feedback import STATUSES as FEEDBACK_STATUSES
from onesheet.domain.gate import MINUTES_PER_VALUE, NEAR_TOTAL_OVERLAP
from onesheet.services.base import Store, service
from onesheet.store import feedback as feedback_store
from onesheet.store import ledger as queries
from onesheet.store.ledger import FinalDecision, TaskProgress

VILLAGE_SOURCE = "village"  # the source of what villages record (services/sheet_write.py)


@dataclass(frozen=True)
class VillageProgress:
    """One village's collection tasks: how many are done and how many values are in."""

    org_code: str
    org_name: str
    tasks: list[TaskProgress]

    @property
    def done(self) -> int:
        return sum(1 for t in self.tasks if t.status == "done")

    @property
    def open(self) -> int:
        return len(self.tasks) - self.done

    @property
    def items_total(self) -> int:
        return sum(t.items_total for t in self.tasks)

    @property
    def items_filled(self) -> int:
        return sum(t.items_filled for t in self.tasks)


@dataclass
class Ledger:
    """Values filled from the sheet against values typed, and what the Gate decided."""

    months: list[str]
    filled_by_month: list[int]
    typed_by_month: list[int]
    departments: list[str]
    department_names: list[str]
    filled_by_department: list[int]
    typed_by_department: list[int]
    forms: dict[str, int] = field(default_factory=dict)
    feedback: dict[str, int] = field(default_factory=dict)  # status → items (反馈)

    @property
    def values_filled(self) -> int:
        return sum(self.filled_by_month)

    @property
    def values_typed(self) -> int:
        return sum(self.typed_by_month)

    @property
    def hours_saved(self) -> float:
        return round(self.values_filled * MINUTES_PER_VALUE / 60, 1)

    def to_json(self) -> dict[str, object]:
        return {
            "values_filled": self.values_filled,
            "values_typed": self.values_typed,
            "minutes_per_value": MINUTES_PER_VALUE,
            "hours_saved": self.hours_saved,
            "by_month": {
                "months": self.months,
                "filled": self.filled_by_month,
                "typed": self.typed_by_month,
            },
            "by_department": {
                "departments": self.departments,
                "names": self.department_names,
                "filled": self.filled_by_department,
                "typed": self.typed_by_department,
            },
            "forms": self.forms,
            "feedback": self.feedback,
        }


def _scope(actor: Actor) -> tuple[str | None, str | None]:
    """(org prefix, department): a department sees its own forms, others their subtree."""
    return actor.org_code, actor.department if actor.role == "department" else None


def _form_counts(decisions: list[FinalDecision]) -> dict[str, int]:
    """Approved, refused, and merged (refused because an approved form already asks it)."""
    out = {"approved": 0, "rejected": 0, "merged": 0}
    for d in decisions:
        out[d.decision] += 1
        overlaps = d.review.get("overlaps") or []
        if d.decision == "rejected" and any(
            float(o.get("share", 0)) >= NEAR_TOTAL_OVERLAP
            for o in overlaps  # type: ignore[union-attr]
        ):
            out["merged"] += 1
    return out


def _department_sources(store: Store) -> list[str]:
    """Sources that are county departments: their own corrections are not village burden."""
    return [k for k in store.dictionary.departments if k != VILLAGE_SOURCE]


@service("ledger_figures", permission="reports.history", audit=None)
def ledger_figures(store: Store, actor: Actor) -> Ledger:
    """The ledger in the actor's scope (counts only)."""
    prefix, dept = _scope(actor)
    with store.audited_read() as conn:  # counts only: never waits for an import
        filled = queries.filled_by_month(conn, prefix, dept)
        if dept:
            typed = queries.typed_for_department_by_month(conn, prefix, dept)
        else:
            typed = queries.typed_by_month(conn, prefix, _department_sources(store))
        filled_dept = queries.filled_by_department(conn, prefix, dept)
        typed_dept = queries.typed_by_department(conn, prefix, dept)
        decisions = queries.final_decisions(conn, dept)
        items = feedback_store.list_feedback(conn, org_prefix=prefix, department=dept, limit=None)
    feedback = {status: 0 for status in FEEDBACK_STATUSES}
    for item in items:
        feedback[str(item["status"])] += 1
    months = sorted(set(filled) | set(typed))
    depts = sorted(set(filled_dept) | set(typed_dept))
    names = store.dictionary.departments
    return Ledger(
        months=months,
        filled_by_month=[filled.get(m, 0) for m in months],
        typed_by_month=[typed.get(m, 0) for m in months],
        departments=depts,
        department_names=[names[d].name_zh if d in names else d for d in depts],
        filled_by_department=[filled_dept.get(d, 0) for d in depts],
        typed_by_department=[typed_dept.get(d, 0) for d in depts],
        forms=_form_counts(decisions),
        feedback=feedback,
    )


@service("ledger_task_progress", permission="tasks.read", audit=None)
def task_progress(store: Store, actor: Actor) -> list[VillageProgress]:
    """Every village's collection tasks in scope, village by village (counts only)."""
    prefix, dept = _scope(actor)
    with store.audited_read() as conn:  # counts only: never waits for an import
        rows = queries.task_progress(conn, prefix, dept)
    villages: dict[str, VillageProgress] = {}
    for r in rows:
        v = villages.setdefault(r.org_code, VillageProgress(r.org_code, r.org_name, []))
        v.tasks.append(r)
    return list(villages.values())
