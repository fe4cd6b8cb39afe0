"""Demands on villages pass the Gate and are counted (涉村事项准入与台账).

A department registers any demand before it reaches a village — a form, meeting,
inspection, app, work group, sign, letter of responsibility or data check-in — with the
villages it reaches, its frequency, minutes per occurrence per village, basis and matter.
The reviewer sees the figures (``domain.demands.review``) and approves, refuses or merges it;
every decision is logged in ``demand_decision`` with the figures of the time. Villages see
the approved ones on a calendar and flag what came outside the Gate through the feedback
channel; the ledger counts all of it. Only counts and titles are read: no personal data, so
no audit events beyond the feedback channel's own.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from xlsxwriter.workbook import Workbook

from onesheet.domain import demands as rules
from onesheet.domain.access import AccessDenied, Actor, require_org
from onesheet.domain.demands import Decision, Demand, Registration
from onesheet.domain.findings import InvalidInput, finding, refuse
from onesheet.domain.responsibility import Item, packaged_lists, verdict
from onesheet.export.csv_out import neutralise
from onesheet.export.widths import clamp_width, display_width
from onesheet.services.base import Store, local_today, service, utcnow
from onesheet.services.feedback import submit_feedback
from onesheet.store import demands as demand_store
from onesheet.store import orgs, responsibility
from onesheet.store import tasks as task_store
from onesheet.store.db import Connection

OUTSIDE_GATE = "outside_gate"  # the feedback kind of a 未准入事项


class DemandNotFound(LookupError):
    """No such demand (or none the caller may see): pages answer 404."""

    def __init__(self, demand_id: int) -> None:
        super().__init__(f"没有事项 #{demand_id} (no demand #{demand_id})")
        self.demand_id = demand_id


def _items(conn: Connection, county: str) -> list[Item]:
    """The county's responsibility lists (the packaged sample the first time, as the Gate)."""
    if responsibility.count_items(conn, county) == 0:
        responsibility.replace_lists(conn, county, packaged_lists())
    return responsibility.list_items(conn, county)


def _sheet_fields(store: Store) -> set[str]:
    """Fields the sheet holds (built-in or approved county fields)."""
    return {
        k
        for k, f in store.dictionary.fields.items()
        if f.status in ("builtin", "approved") and f.type != "ref"
    }


def _reached(demand: Registration, villages: dict[str, str], under: str | None = None) -> set[str]:
    return {
        v
        for v in villages
        if rules.reaches(demand.villages, v) and (not under or v.startswith(under))
    }


def _get(conn: Connection, actor: Actor, demand_id: int) -> Demand:
    d = demand_store.get_demand(conn, demand_id)
    if d is None or not _may_see(actor, d, conn):
        raise DemandNotFound(demand_id)
    return d


def _may_see(actor: Actor, d: Demand, conn: Connection | None = None) -> bool:
    if actor.county_code and d.county_code != actor.county_code:
        return False
    if actor.role == "department":
        return d.department == actor.department
    if actor.role in ("village", "town"):
        assert actor.org_code is not None
        return any(c.startswith(actor.org_code) or actor.org_code.startswith(c) for c in d.villages)
    return True


# ---------------------------------------------------------------- registering


@service("demand_register", permission="demands.register", audit=None)
def register_demand(
    store: Store,
    actor: Actor,
    *,
    kind: str,
    title: str,
    villages: Sequence[str],
    frequency: str,
    minutes: int,
    basis: str,
    starts_on: date,
    matter: str | None = None,
    ends_on: date | None = None,
    data_fields: Sequence[str] = (),
    topics: Sequence[str] = (),
    department: str | None = None,
) -> Demand:
    """Register a demand (submitted to the Gate); refused naming any missing item."""
    if actor.role == "department":
        if department and department != actor.department:
            raise AccessDenied(
                f"只能登记本部门（{actor.department}）的事项",
                f"a department registers only its own demands ({actor.department})",
            )
        department = actor.department
    reg = Registration(
        kind=kind,
        title=title,
        department=department or "",
        villages=tuple(dict.fromkeys(v.strip() for v in villages if v.strip())),
        frequency=frequency,
        minutes=minutes,
        basis=basis,
        matter=(matter or "").strip() or None,
        starts_on=starts_on,
        ends_on=ends_on,
        data_fields=tuple(dict.fromkeys(f.strip() for f in data_fields if f.strip())),
        topics=tuple(dict.fromkeys(t.strip() for t in topics if t.strip())),
    )
    rules.check_registration(reg)
    if reg.department not in store.dictionary.departments:
        refuse("demand.department", department=reg.department)
    now = utcnow()
    with store.transaction() as conn:
        unknown = sorted(set(reg.villages) - demand_store.known_codes(conn, reg.villages))
        if unknown:
            raise InvalidInput(
                [
                    finding(
                        "demand.villages_unknown",
                        unknown="、".join(unknown),
                        unknown_en=", ".join(unknown),
                        column="villages",
                    )
                ]
            )
        county = {v[:6] for v in reg.villages}
        if len(county) != 1 or (actor.county_code and county != {actor.county_code}):
            refuse("demand.county")
        new_id = demand_store.insert_demand(
            conn, reg, county_code=county.pop(), by=actor.username, at=now
        )
        fresh = demand_store.get_demand(conn, new_id)
    assert fresh is not None
    return fresh


@service("demand_list", permission="demands.read", audit=None)
def list_demands(store: Store, actor: Actor, *, status: str | None = None) -> list[Demand]:
    """Demands the actor may see: a department its own, a village or town those reaching it."""
    with store.transaction() as conn:
        rows = demand_store.list_demands(
            conn,
            county_code=actor.county_code,
            department=actor.department if actor.role == "department" else None,
            statuses=[status] if status else None,
        )
    return [d for d in rows if _may_see(actor, d)]


@dataclass(frozen=True)
class DemandDetail:
    demand: Demand
    decisions: list[Decision]
    joined: list[Demand]  # demands merged into this one (their departments' records kept)
    target: Demand | None  # the demand this one was merged into
    villages: int

    @property
    def departments(self) -> list[str]:
        return list(dict.fromkeys([self.demand.department, *(j.department for j in self.joined)]))


@service("demand_show", permission="demands.read", audit=None)
def show_demand(store: Store, actor: Actor, demand_id: int) -> DemandDetail:
    """One demand with every decision on it, and the demands merged into it."""
    with store.transaction() as conn:
        d = _get(conn, actor, demand_id)
        joined = [
            m
            for m in demand_store.list_demands(conn, county_code=d.county_code, statuses=["merged"])
            if m.merged_into == d.id
        ]
        target = demand_store.get_demand(conn, d.merged_into) if d.merged_into else None
        villages = demand_store.village_codes(conn, d.county_code)
        return DemandDetail(
            d, demand_store.decisions_of(conn, d.id), joined, target, len(_reached(d, villages))
        )


# ---------------------------------------------------------------- the Gate


def _review(store: Store, conn: Connection, d: Demand) -> rules.Review:
    villages = demand_store.village_codes(conn, d.county_code)
    others = [
        (o, _reached(o, villages))
        for o in demand_store.list_demands(
            conn, county_code=d.county_code, statuses=["approved", "submitted"], kind=d.kind
        )
        if o.id != d.id
    ]
    labels = {k: f.label_zh for k, f in store.dictionary.fields.items()}
    return rules.review(
        d,
        reached=_reached(d, villages),
        others=others,
        matter=verdict(d.matter, _items(conn, d.county_code)),
        sheet_fields=_sheet_fields(store),
        labels=labels,
    )


@service("demand_review", permission="demands.review", audit=None)
def review_demand(store: Store, actor: Actor, demand_id: int) -> rules.Review:
    """The review figures and suggested decision of one demand."""
    with store.transaction() as conn:
        return _review(store, conn, _get(conn, actor, demand_id))


def _decide(
    store: Store,
    actor: Actor,
    demand_id: int,
    decision: str,
    reason: str,
    into: int | None = None,
) -> DemandDetail:
    now = utcnow()
    with store.transaction() as conn:
        d = _get(conn, actor, demand_id)
        if d.status != "submitted":
            zh = rules.STATUSES.get(d.status, (d.status,))[0]
            refuse("demand.not_submitted", id=d.id, zh=zh, status=d.status)
        figures = _review(store, conn, d)
        target = None
        if decision == "merged":
            target_id = into if into is not None else figures.merge_target
            target = demand_store.get_demand(conn, target_id) if target_id is not None else None
            if target is not None and target.county_code != d.county_code:
                target = None
        rules.check_decision(decision, d, figures, reason, target)
        moved = demand_store.set_status(
            conn, d, status=decision, at=now, merged_into=target.id if target else None
        )
        if not moved:
            refuse("demand.stale", id=d.id)
        demand_store.insert_decision(
            conn,
            d.id,
            decision,
            target_id=target.id if target else None,
            actor=actor.username,
            at=now,
            reason=reason.strip(),
            review=figures.to_json(),
        )
    return show_demand(store, actor, demand_id)


@service("demand_approve", permission="demands.decide", audit=None)
def approve_demand(store: Store, actor: Actor, demand_id: int, *, reason: str) -> DemandDetail:
    """Admit a demand; refused for a negative-list matter, an app the sheet already answers,
    or without a reason."""
    return _decide(store, actor, demand_id, "approved", reason)


@service("demand_reject", permission="demands.decide", audit=None)
def reject_demand(store: Store, actor: Actor, demand_id: int, *, reason: str) -> DemandDetail:
    """Refuse a demand, with the reason."""
    return _decide(store, actor, demand_id, "rejected", reason)


@service("demand_merge", permission="demands.decide", audit=None)
def merge_demand(
    store: Store, actor: Actor, demand_id: int, *, reason: str, into: int | None = None
) -> DemandDetail:
    """Join a demand to another of its kind (default: the review's proposal): two inspections
    become one joint inspection, a duplicate work group joins the approved one. Both
    departments' records stay; the calendar shows one."""
    return _decide(store, actor, demand_id, "merged", reason, into)


# ---------------------------------------------------------------- the village's calendar


@dataclass(frozen=True)
class CalendarEntry:
    day: date | None  # None: a report due as soon as possible
    kind: str
    kind_zh: str
    title: str
    departments: list[str]
    joint: bool
    minutes: int
    demand_id: int | None = None
    task_id: int | None = None
    period: str = ""


@dataclass
class Calendar:
    org_code: str
    today: date
    week: tuple[date, date]
    month: tuple[date, date]
    this_week: list[CalendarEntry] = field(default_factory=list)
    this_month: list[CalendarEntry] = field(default_factory=list)

    @property
    def week_minutes(self) -> int:
        return sum(e.minutes for e in self.this_week)

    @property
    def month_minutes(self) -> int:
        return sum(e.minutes for e in self.this_month)


@service("demand_calendar", permission="demands.read", audit=None)
def village_calendar(
    store: Store, actor: Actor, *, org_code: str | None = None, today: date | None = None
) -> Calendar:
    """This week's and month's approved demands on a village, and its reports due."""
    org = org_code or actor.org_code
    if not org:
        refuse("demand.org")
    require_org(actor, org)
    today = today or local_today()
    week = (today - timedelta(days=today.weekday()), today + timedelta(days=6 - today.weekday()))
    month = rules.month_bounds(rules.month_of(today))
    cal = Calendar(org, today, week, month)
    with store.transaction() as conn:
        villages = demand_store.village_codes(conn, org[:6])
        approved = demand_store.list_demands(conn, county_code=org[:6], statuses=["approved"])
        merged = demand_store.list_demands(conn, county_code=org[:6], statuses=["merged"])
        tasks = [t for t in task_store.list_tasks(conn, org) if t.status == "open"]
    for d in approved:
        if not any(v.startswith(org) for v in _reached(d, villages)):
            continue
        joined = [m.department for m in merged if m.merged_into == d.id]
        depts = list(dict.fromkeys([d.department, *joined]))
        first, last = min(week[0], month[0]), max(week[1], month[1])
        for day in rules.occurrences(d, first, last):
            entry = CalendarEntry(
                day, d.kind, d.kind_zh, d.title, depts, len(depts) > 1, d.minutes, demand_id=d.id
            )
            if week[0] <= day <= week[1]:
                cal.this_week.append(entry)
            if month[0] <= day <= month[1]:
                cal.this_month.append(entry)
    for t in tasks:
        due = rules.period_due(t.period)
        entry = CalendarEntry(
            due,
            "form",
            rules.KINDS["form"][0],
            t.title,
            [],
            False,
            0,
            task_id=t.id,
            period=t.period,
        )
        if due is None or due <= month[1]:
            cal.this_month.append(entry)
        if due is None or due <= week[1]:
            cal.this_week.append(entry)
    key = lambda e: (e.day or date.min, e.kind, e.title)  # noqa: E731
    cal.this_week.sort(key=key)
    cal.this_month.sort(key=key)
    return cal


@dataclass(frozen=True)
class FlagResult:
    filed: bool  # True: a 未准入事项 feedback item; False: explained (it was approved)
    flag_id: int
    feedback_id: int | None
    message_zh: str
    message_en: str


def _explain(d: Demand, decision: Decision | None, target: Demand | None) -> tuple[str, str]:
    if decision is None:
        return (f"事项 #{d.id} 已准入", f"demand #{d.id} was approved")
    when = decision.at.strftime("%Y-%m-%d")
    joint = f"（与 #{target.id} 合并为联合检查）" if target else ""
    return (
        f"该事项（#{d.id} {d.title}）已于 {when} 经 {decision.actor} 审核准入{joint}，"
        f"理由：{decision.reason}。依据：{d.basis}",
        f"demand #{d.id} ({d.title}) was approved on {when} by {decision.actor}: "
        f"{decision.reason} (basis: {d.basis})",
    )


@service("demand_flag", permission="demands.flag", audit=None)
def flag_demand(
    store: Store,
    actor: Actor,
    *,
    text: str,
    demand_id: int | None = None,
    kind: str | None = None,
    department: str | None = None,
) -> FlagResult:
    """A village flags a demand. An approved one is explained (approved, by whom, why); any
    other — registered but not approved, or never registered — is filed as a 未准入事项
    through the feedback channel, which the burden-reduction office must resolve."""
    assert actor.org_code is not None
    now = utcnow()
    demand = None
    if demand_id is not None:
        with store.transaction() as conn:
            demand = _get(conn, actor, demand_id)
            if demand.status in ("approved", "merged"):
                approved = demand
                if demand.status == "merged" and demand.merged_into:
                    approved = demand_store.get_demand(conn, demand.merged_into) or demand
                if approved.status == "approved":
                    decision = next(
                        (
                            x
                            for x in reversed(demand_store.decisions_of(conn, approved.id))
                            if x.demand_id == approved.id and x.decision == "approved"
                        ),
                        None,
                    )
                    zh, en = _explain(approved, decision, None if approved is demand else demand)
                    flag_id = demand_store.insert_flag(
                        conn,
                        county_code=actor.org_code[:6],
                        org_code=actor.org_code,
                        author=actor.username,
                        demand_id=demand.id,
                        kind=demand.kind,
                        department=demand.department,
                        outcome="explained",
                        created_at=now,
                    )
                    return FlagResult(False, flag_id, None, zh, en)
        kind = demand.kind
        department = demand.department
    kind = kind or None
    if kind is not None and kind not in rules.KINDS:
        refuse(
            "demand.kind",
            kind=kind,
            kinds="、".join(v[0] for v in rules.KINDS.values()),
            kinds_en=", ".join(rules.KINDS),
        )
    label = rules.KINDS[kind][0] if kind else "事项"
    head = f"【{rules.UNAPPROVED_FLAG}】{label}"
    if demand is not None:
        head += f" #{demand.id}（{demand.title}，{rules.STATUSES[demand.status][0]}）"
    body = text.strip()
    if not body and demand is None:
        refuse("feedback.text")
    item = submit_feedback(
        store,
        actor,
        kind=OUTSIDE_GATE,
        text=f"{head}：{body}" if body else head,
        department=department or None,
    )
    with store.transaction() as conn:
        flag_id = demand_store.insert_flag(
            conn,
            county_code=actor.org_code[:6],
            org_code=actor.org_code,
            author=actor.username,
            demand_id=demand.id if demand else None,
            kind=kind,
            department=department or None,
            outcome="filed",
            feedback_id=item.id,
            created_at=now,
        )
    return FlagResult(
        True,
        flag_id,
        item.id,
        f"已作为“{rules.UNAPPROVED_FLAG}”提交减负办处理（反馈 #{item.id}）",
        f"filed as an unapproved demand for the burden-reduction office (feedback #{item.id})",
    )


# ---------------------------------------------------------------- the ledger


def _months(first: str | None, last: str | None, today: date) -> list[str]:
    last = last or rules.month_of(today)
    if first is None:
        start = rules.month_bounds(last)[0]
        y, m = divmod(start.year * 12 + start.month - 1 - 11, 12)
        first = f"{y:04d}-{m + 1:02d}"
    for value in (first, last):
        if len(value) != 7 or value[4] != "-" or not (value[:4] + value[5:]).isdigit():
            refuse("demand.month", value=value)
        if not 1 <= int(value[5:]) <= 12:
            refuse("demand.month", value=value)
    months = rules.months_between(first, last)
    if not months or len(months) > 60:
        refuse("demand.months")
    return months


@service("demand_ledger", permission="demands.read", audit=None)
def demand_ledger(
    store: Store,
    actor: Actor,
    *,
    first: str | None = None,
    last: str | None = None,
    today: date | None = None,
) -> dict[str, object]:
    """Per month, department, town and village in the actor's scope: demands by kind, hours
    asked, inspections merged, apps and groups cut, signs and letters refused, unapproved
    demands flagged and resolved, and the share the Gate cut per kind."""
    months = _months(first, last, today or local_today())
    under = actor.org_code if actor.role in ("village", "town") else None
    dept = actor.department if actor.role == "department" else None
    with store.transaction() as conn:
        villages = demand_store.village_codes(conn, actor.county_code)
        rows = demand_store.list_demands(conn, county_code=actor.county_code, department=dept)
        pairs = [(d, _reached(d, villages, under)) for d in rows]
        pairs = [(d, r) for d, r in pairs if r]
        decisions = demand_store.all_decisions(conn, [d.id for d, _ in pairs])
        flags = demand_store.list_flags(conn, org_prefix=under or actor.org_code, department=dept)
        names = orgs.names_by_code(conn, actor.county_code)
    result = rules.ledger(pairs, decisions, flags, months, villages)
    result["scope"] = {"org_code": actor.org_code, "department": dept, "role": actor.role}
    result["names"] = {
        code: names.get(code, code)
        for key in ("by_town", "by_village")
        for code in result[key]  # type: ignore[attr-defined]
    }
    result["departments"] = {
        k: store.dictionary.departments[k].name_zh
        for k in result["by_department"]  # type: ignore[attr-defined]
        if k in store.dictionary.departments
    }
    result["kinds"] = {k: v[0] for k, v in rules.KINDS.items()}
    return result


_SHEETS = [
    ("by_month", "按月"),
    ("by_department", "按部门"),
    ("by_town", "按乡镇"),
    ("by_village", "按村"),
]


@service("demand_ledger_xlsx", permission="demands.read", audit=None)
def demand_ledger_xlsx(
    store: Store,
    actor: Actor,
    *,
    first: str | None = None,
    last: str | None = None,
    today: date | None = None,
) -> bytes:
    """The demand ledger as an XLSX workbook: a summary sheet and one sheet per breakdown."""
    ledger = demand_ledger(store, actor, first=first, last=last, today=today)
    out = io.BytesIO()
    wb = Workbook(out, {"in_memory": True})
    bold = wb.add_format({"bold": True, "text_wrap": True, "border": 1})
    cell = wb.add_format({"border": 1})
    ws = wb.add_worksheet("合计")
    months = ledger["months"]
    ws.write_string(0, 0, f"涉村事项台账 {months[0]}—{months[-1]}", bold)  # type: ignore[index]
    ws.write_row(2, 0, ["事项类型", "登记", "准入", "精简比例"], bold)
    r = 3
    for kind, fig in ledger["cut_by_kind"].items():  # type: ignore[attr-defined]
        ws.write_row(r, 0, [rules.KINDS[kind][0], fig["registered"], fig["approved"]], cell)
        ws.write_string(r, 3, str(fig["label_zh"]), cell)
        r += 1
    totals = ledger["totals"]
    for col, label in rules.LEDGER_COLUMNS[2:]:
        ws.write_string(r + 1, 0, label, bold)
        ws.write_number(r + 1, 1, float(totals[col]), cell)  # type: ignore[index]
        r += 1
    ws.set_column(0, 0, 24)
    for key, name in _SHEETS:
        heading, rows = rules.ledger_table(ledger, key)
        sheet = wb.add_worksheet(name)
        sheet.write_row(0, 0, heading, bold)
        for i, row in enumerate(rows, start=1):
            sheet.write_string(i, 0, neutralise(str(row[0])), cell)
            for j, value in enumerate(row[1:], start=1):
                sheet.write_number(i, j, float(value), cell)  # type: ignore[arg-type]
        width = max([display_width(str(r0[0])) for r0 in rows] + [8.0])
        sheet.set_column(0, 0, clamp_width(width + 2))
        sheet.set_column(1, len(heading) - 1, 10)
        sheet.freeze_panes(1, 1)
    wb.close()
    return out.getvalue()
