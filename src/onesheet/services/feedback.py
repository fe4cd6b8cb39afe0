"""The feedback channel: the grassroots flag a burden, and it is followed to resolution.

A village or town files an item; town staff, the burden-reduction office (reviewer) and
administrators acknowledge, resolve or dismiss it with a note. Items name no personal data,
so reading them is not an audited personal-data read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from onesheet.domain.access import Actor, require_org
from onesheet.domain.feedback import KINDS, MAX_TEXT, STATUSES, can_move
from onesheet.domain.findings import InvalidInput, finding, refuse
from onesheet.services.base import Store, service, utcnow
from onesheet.services.sheet_write import UnknownEntity
from onesheet.store import audit, templates
from onesheet.store import feedback as feedback_store


@dataclass(frozen=True)
class FeedbackItem:
    id: int
    county_code: str
    org_code: str
    author: str
    kind: str
    department: str | None
    template_id: str | None
    text: str
    status: str
    created_at: datetime
    handled_by: str | None
    handled_at: datetime | None
    resolution: str
    version: int


@service("feedback_submit", permission="feedback.submit", audit="feedback.submit")
def submit_feedback(
    store: Store,
    actor: Actor,
    *,
    kind: str,
    text: str,
    department: str | None = None,
    template_id: str | None = None,
) -> FeedbackItem:
    """File a burden from the actor's own org unit."""
    text = text.strip()
    findings = []
    if kind not in KINDS:
        findings.append(finding("feedback.kind", kind=kind))
    if not text:
        findings.append(finding("feedback.text"))
    elif len(text) > MAX_TEXT:
        findings.append(finding("feedback.long", max_text=MAX_TEXT))
    dept = department or None
    if dept and dept not in store.dictionary.departments:
        findings.append(finding("feedback.department", dept=dept))
    if findings:
        raise InvalidInput(findings)
    assert actor.org_code is not None
    now = utcnow()
    with store.transaction() as conn:
        if template_id and templates.get_template(conn, template_id) is None:
            refuse("feedback.template", template_id=template_id)
        new_id = feedback_store.insert_feedback(
            conn,
            county_code=actor.org_code[:6],
            org_code=actor.org_code,
            author=actor.username,
            kind=kind,
            department=dept,
            template_id=template_id or None,
            text=text,
            status="open",
            created_at=now,
        )
        audit.write_event(conn, actor, "feedback.submit", now=now, detail=f"feedback {new_id}")
        row = feedback_store.get_feedback(conn, new_id)
    return FeedbackItem(**row)  # type: ignore[arg-type]


@service("feedback_list", permission="feedback.read", audit=None)
def list_feedback(store: Store, actor: Actor, *, status: str | None = None) -> list[FeedbackItem]:
    """Items in the actor's subtree; a department sees the items that name it."""
    dept = actor.department if actor.role == "department" else None
    with store.transaction() as conn:
        rows = feedback_store.list_feedback(
            conn, org_prefix=actor.org_code, department=dept, status=status
        )
    return [FeedbackItem(**r) for r in rows]  # type: ignore[arg-type]


@service("feedback_handle", permission="feedback.handle", audit="feedback.handle")
def handle_feedback(
    store: Store,
    actor: Actor,
    feedback_id: int,
    *,
    status: str,
    resolution: str,
    expected_version: int | None = None,
) -> FeedbackItem:
    """Acknowledge, resolve or dismiss an item with a note (a closing note is required)."""
    if status not in STATUSES or status == "open":
        refuse("feedback.status", status=status)
    if status in ("resolved", "dismissed") and not resolution.strip():
        refuse("feedback.resolution")
    now = utcnow()
    with store.transaction() as conn:
        row = feedback_store.get_feedback(conn, feedback_id)
        if row is None:
            raise UnknownEntity(f"没有反馈 {feedback_id} (no feedback {feedback_id})")
        require_org(actor, str(row["org_code"]))
        version = int(row["version"])  # type: ignore[call-overload]
        if expected_version is not None and expected_version != version:
            raise _stale(feedback_id)
        if not can_move(str(row["status"]), status):
            zh = STATUSES[str(row["status"])][0]
            refuse(
                "feedback.closed",
                feedback_id=feedback_id,
                zh=zh,
                statuses=STATUSES[status][0],
                row_no=row["status"],
                status=status,
            )
        moved = feedback_store.move(
            conn,
            feedback_id,
            version=version,
            status=status,
            by=actor.username,
            at=now,
            resolution=resolution.strip(),
        )
        if not moved:
            raise _stale(feedback_id)
        audit.write_event(conn, actor, "feedback.handle", now=now, detail=f"{feedback_id} {status}")
        fresh = feedback_store.get_feedback(conn, feedback_id)
    return FeedbackItem(**fresh)  # type: ignore[arg-type]


def _stale(feedback_id: int) -> InvalidInput:
    return InvalidInput([finding("feedback.stale", feedback_id=feedback_id)])
