"""The Gate (报表准入): review a submitted template, then approve or reject it with a reason.

The review gathers counts from the sheet (rows the template would list per village, values
the sheet already holds), the approved templates and the county's responsibility lists,
and hands them to ``domain.gate.review`` for the arithmetic and the suggested decision.
Every decision is kept in ``template_decision`` with reviewer, time, reason and the review
figures as they stood.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from onesheet.domain import gate as rules
from onesheet.domain.access import Actor
from onesheet.domain.findings import Finding, InvalidInput, finding
from onesheet.domain.responsibility import Item, MatterVerdict, packaged_lists, parse_lists, verdict
from onesheet.services.base import Store, local_today, service, utcnow
from onesheet.services.county_fields import activate_for_template
from onesheet.services.forms import TemplateNotFound
from onesheet.store import county_fields, gate_counts, responsibility, templates
from onesheet.store import tasks as task_store
from onesheet.store.db import Connection
from onesheet.store.templates import STATUS_LABELS_ZH, TemplateRow

NO_COUNTY = "000000"  # lists of an installation with no org tree yet


@dataclass(frozen=True)
class ListsLoaded:
    county_code: str
    items: int
    by_kind: dict[str, int]


def _county(conn: Connection, actor: Actor, county_code: str | None = None) -> str:
    """The county whose lists apply: given, the actor's, else one with lists loaded."""
    if county_code:
        return county_code
    if actor.county_code:
        return actor.county_code
    known = responsibility.loaded_counties(conn) or responsibility.counties(conn)
    return known[0] if known else NO_COUNTY


def _items(conn: Connection, county: str) -> list[Item]:
    """The county's lists, loading the packaged sample the first time (lazily)."""
    if responsibility.count_items(conn, county) == 0:
        responsibility.replace_lists(conn, county, packaged_lists())
    return responsibility.list_items(conn, county)


@service("gate_load_lists", permission="lists.manage", audit=None)
def load_lists(
    store: Store, actor: Actor, path: str | Path | None = None, *, county_code: str | None = None
) -> ListsLoaded:
    """Replace a county's responsibility lists with a CSV file (or the packaged sample)."""
    if path is None:
        items = packaged_lists()
    else:
        p = Path(path)
        if not p.is_file():
            raise InvalidInput([Finding("file.missing", "找不到文件", "no such file", file=str(p))])
        items = parse_lists(p.read_text(encoding="utf-8-sig"), p.name)
    with store.transaction() as conn:
        county = _county(conn, actor, county_code)
        responsibility.replace_lists(conn, county, items)
    by_kind: dict[str, int] = {}
    for i in items:
        by_kind[i.list_kind] = by_kind.get(i.list_kind, 0) + 1
    return ListsLoaded(county, len(items), by_kind)


@service("gate_list_items", permission="forms.read", audit=None)
def list_items(store: Store, actor: Actor, *, county_code: str | None = None) -> list[Item]:
    """The responsibility-list items a template may name as its matter."""
    with store.transaction() as conn:
        return _items(conn, _county(conn, actor, county_code))


def _row(conn: Connection, template_id: str) -> TemplateRow:
    row = templates.get_template(conn, template_id)
    if row is None:
        raise TemplateNotFound(template_id)
    return row


def _answerable(store: Store) -> set[str]:
    """Fields the sheet can answer: built-in (stored or derived), not drafts or deprecated."""
    return {
        k
        for k, f in store.dictionary.fields.items()
        if f.status in ("builtin", "approved") and f.type != "ref"
    }


def _form_fields(row: TemplateRow) -> frozenset[str]:
    """The spec's fields plus the draft fields its unmapped columns proposed."""
    columns = (row.analysis or {}).get("columns") or []
    drafts = {c["field"] for c in columns if c.get("status") == "new" and c.get("field")}  # type: ignore[union-attr]
    return rules.template_fields(row.spec) | drafts


def _review(
    store: Store, conn: Connection, actor: Actor, row: TemplateRow, today: date
) -> tuple[rules.Review, MatterVerdict]:
    spec = row.spec
    answerable = _answerable(store)
    prefix = actor.org_code
    if spec.kind == "aggregate":
        villages = {v: rules.VillageRows(1) for v in gate_counts.villages(conn, prefix)}
    else:
        fields = [
            f
            for c in rules.classify_columns(spec, answerable)
            if c.answered
            for f in c.fields[:1]
            if f in store.dictionary.fields and store.dictionary.fields[f].stored
        ]
        counts = gate_counts.village_rows(
            conn,
            store.dictionary,
            spec.entity,
            spec.filter,
            fields,
            org_prefix=prefix,
            today=today,
        )
        villages = {v: rules.VillageRows(n, filled) for v, (n, filled) in counts.items()}
    approved = [
        rules.ApprovedForm(t.id, t.spec.title, t.department, _form_fields(t))
        for t in templates.list_templates(conn, status="approved")
    ]
    matter = verdict(spec.matter, _items(conn, _county(conn, actor)))
    result = rules.review(
        spec,
        answerable=answerable,
        villages=villages,
        approved=approved,
        matter=matter,
        fields=_form_fields(row),
    )
    return result, matter


@service("gate_review", permission="forms.review", audit=None)
def review(
    store: Store, actor: Actor, template_id: str, *, today: date | None = None
) -> rules.Review:
    """The review figures and suggested decision (reads counts only, no personal data)."""
    with store.transaction() as conn:
        county_fields.refresh(store, conn)
        row = _row(conn, template_id)
        return _review(store, conn, actor, row, today or local_today())[0]


def _decide(
    store: Store, actor: Actor, template_id: str, decision: str, reason: str, today: date | None
) -> TemplateRow:
    now = utcnow()
    with store.transaction() as conn:
        county_fields.refresh(store, conn)
        row = _row(conn, template_id)
        if row.status != "submitted":
            zh = STATUS_LABELS_ZH.get(row.status, row.status)
            raise InvalidInput(
                [finding("gate.not_submitted", template_id=template_id, zh=zh, status=row.status)]
            )
        figures, matter = _review(store, conn, actor, row, today or local_today(now))
        rules.check_decision(decision, matter, reason)
        fresh = templates.update_template(conn, row, at=now, status=decision)
        if decision == "approved":  # the only door through which a form may ask villages
            # Confirmed draft fields become county fields first, so the tasks ask for them.
            fresh = activate_for_template(store, conn, actor, fresh, now)
            task_store.create_for_template(
                conn,
                store.dictionary,
                fresh.spec,
                now=now,
                county_code=actor.county_code,
                today=local_today(now),
            )
        templates.insert_decision(
            conn,
            template_id,
            decision,
            actor=actor.username,
            at=now,
            reason=reason.strip(),
            review=figures.to_json(),
        )
        return fresh


@service("gate_approve", permission="forms.decide", audit=None)
def approve(
    store: Store, actor: Actor, template_id: str, *, reason: str, today: date | None = None
) -> TemplateRow:
    """Admit a submitted template; refused for a negative-list matter or without a reason."""
    return _decide(store, actor, template_id, "approved", reason, today)


@service("gate_reject", permission="forms.decide", audit=None)
def reject(
    store: Store, actor: Actor, template_id: str, *, reason: str, today: date | None = None
) -> TemplateRow:
    """Send a submitted template back to its department, with the reason."""
    return _decide(store, actor, template_id, "rejected", reason, today)
