"""Demands on villages (涉村事项): every meeting, inspection, app, group, sign and letter.

Forms are one of the "六多"; the others — meetings, inspections and evaluations, apps and
work groups demanding check-ins (留痕), signs and plaques (挂牌), letters of responsibility
(责任状) — pass the same Gate here. Plain rules over plain data: what a registration must
name, when a demand recurs, what the review finds (negative-list matters, unlisted matters,
two inspections of the same villages on overlapping matters in one month, an app whose data
the sheet already holds, a work group duplicating an approved one), which decisions the rules
forbid, and the ledger's arithmetic. No database here.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from onesheet.domain.findings import Finding, InvalidInput, finding
from onesheet.domain.responsibility import MatterVerdict

KINDS: dict[str, tuple[str, str]] = {
    "form": ("报表", "Form"),
    "meeting": ("会议", "Meeting"),
    "inspection": ("督查检查考核", "Inspection / evaluation"),
    "app": ("政务APP/小程序", "App / mini-program"),
    "work_group": ("工作群", "Work group"),
    "sign": ("挂牌", "Sign / plaque"),
    "letter": ("责任状", "Letter of responsibility"),
    "checkin": ("数据打卡/留痕", "Data check-in / proof of work"),
}

# frequency → (label zh, label en, months between occurrences; 0 = once, -1 = weekly)
FREQUENCIES: dict[str, tuple[str, str, int]] = {
    "once": ("一次性", "Once", 0),
    "weekly": ("每周", "Weekly", -1),
    "monthly": ("每月", "Monthly", 1),
    "quarterly": ("每季度", "Quarterly", 3),
    "yearly": ("每年", "Yearly", 12),
}

STATUSES: dict[str, tuple[str, str]] = {
    "submitted": ("待审核", "Submitted"),
    "approved": ("已准入", "Approved"),
    "rejected": ("未准入", "Refused"),
    "merged": ("已合并", "Merged"),
}

DECISIONS = ("approved", "rejected", "merged")
MERGEABLE = frozenset({"inspection", "work_group", "meeting"})  # kinds that can be joined
APP_HELD_SHARE = 0.8  # an app whose data the sheet holds to this share adds nothing
MAX_MINUTES = 24 * 60
UNAPPROVED_FLAG = "未准入事项"


@dataclass(frozen=True)
class Registration:
    """What a department declares before a demand may reach a village."""

    kind: str
    title: str
    department: str
    villages: tuple[str, ...]  # org codes: a village, or a town / the county for its subtree
    frequency: str
    minutes: int  # estimated minutes per occurrence per village
    basis: str  # the legal or policy basis (依据)
    matter: str | None  # the responsibility-list matter it serves
    starts_on: date
    ends_on: date | None = None
    data_fields: tuple[str, ...] = ()  # apps / check-ins: the dictionary fields they collect
    topics: tuple[str, ...] = ()  # inspections / groups / meetings: what they cover


@dataclass(frozen=True)
class Demand(Registration):
    """A registered demand with its place in the Gate."""

    id: int = 0
    county_code: str = ""
    status: str = "submitted"
    merged_into: int | None = None
    registered_by: str = ""
    registered_at: datetime | None = None
    decided_at: datetime | None = None
    version: int = 1

    @property
    def kind_zh(self) -> str:
        return KINDS.get(self.kind, (self.kind, self.kind))[0]


@dataclass(frozen=True)
class Decision:
    """One logged decision on a demand (merged: ``target_id`` is the demand it joined)."""

    id: int
    demand_id: int
    decision: str
    target_id: int | None
    actor: str
    at: datetime
    reason: str
    review: Mapping[str, object]


def _missing(code: str, zh: str, en: str) -> Finding:
    return Finding(code, f"缺少{zh}：未登记的事项不得下达到村", f"missing {en}", column=code)


def check_registration(reg: Registration, known_kinds: Iterable[str] = KINDS) -> None:
    """Refuse a registration lacking villages, frequency or basis — naming what is missing."""
    problems: list[Finding] = []
    if reg.kind not in set(known_kinds):
        problems.append(
            finding(
                "demand.kind",
                kind=reg.kind,
                kinds="、".join(v[0] for v in KINDS.values()),
                kinds_en=", ".join(KINDS),
            )
        )
    if not reg.title.strip():
        problems.append(_missing("title", "事项名称", "title"))
    if not reg.department:
        problems.append(_missing("department", "责任部门", "department"))
    if not [v for v in reg.villages if v.strip()]:
        problems.append(_missing("villages", "涉及的村（社区）", "villages reached"))
    if not reg.frequency:
        problems.append(_missing("frequency", "频次", "frequency"))
    elif reg.frequency not in FREQUENCIES:
        problems.append(
            finding("demand.frequency", frequency=reg.frequency, frequencies="、".join(FREQUENCIES))
        )
    if not reg.basis.strip():
        problems.append(_missing("basis", "依据（法律法规或政策文件）", "legal basis"))
    if not 0 < reg.minutes <= MAX_MINUTES:
        problems.append(finding("demand.minutes", max_minutes=MAX_MINUTES))
    if reg.ends_on is not None and reg.ends_on < reg.starts_on:
        problems.append(finding("demand.dates"))
    if problems:
        raise InvalidInput(problems)


# ---------------------------------------------------------------- when a demand recurs


def _add_months(d: date, months: int, day: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def occurrences(demand: Registration, start: date, end: date) -> list[date]:
    """The days in ``start..end`` (inclusive) on which the demand falls on a village."""
    last = min(end, demand.ends_on) if demand.ends_on else end
    step = FREQUENCIES.get(demand.frequency, ("", "", 0))[2]
    out: list[date] = []
    d, k = demand.starts_on, 0
    while d <= last:
        if d >= start:
            out.append(d)
        if step == 0:
            break
        k += 1
        if step == -1:
            d = demand.starts_on + timedelta(weeks=k)
        else:
            d = _add_months(demand.starts_on, step * k, demand.starts_on.day)
    return out


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of ``YYYY-MM``."""
    year, mon = int(month[:4]), int(month[5:7])
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


def month_of(d: date | datetime) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def months_between(first: str, last: str) -> list[str]:
    """``YYYY-MM`` from ``first`` to ``last`` inclusive."""
    out, d = [], month_bounds(first)[0]
    end = month_bounds(last)[0]
    while d <= end:
        out.append(month_of(d))
        d = _add_months(d, 1, 1)
    return out


def per_year(demand: Registration) -> int:
    """Occurrences in a year (a one-off counts once)."""
    step = FREQUENCIES.get(demand.frequency, ("", "", 0))[2]
    return {0: 1, -1: 52}.get(step, 12 // step if step else 1)


def reaches(codes: Iterable[str], village: str) -> bool:
    """Whether a demand naming ``codes`` (villages or subtrees) reaches ``village``."""
    return any(village.startswith(c) for c in codes if c)


# ---------------------------------------------------------------- the review


@dataclass(frozen=True)
class Overlap:
    """Another demand this one duplicates, and what the review proposes to do about it."""

    demand_id: int
    title: str
    department: str
    kind: str
    status: str
    villages_shared: int
    shared: list[str]  # the matter and topics both cover
    months: list[str]  # months in which both fall (inspections)
    action: str  # joint | merge


@dataclass
class Review:
    """The figures and suggested decision for one demand; ``to_json`` is logged with it."""

    demand_id: int
    kind: str
    title: str
    department: str
    villages: int
    per_year: int
    minutes: int
    matter: MatterVerdict
    overlaps: list[Overlap]
    held_fields: list[str]
    suggestion: str  # approve | reject | needs_reason | joint | merge
    reasons_zh: list[str] = field(default_factory=list)
    reasons_en: list[str] = field(default_factory=list)

    @property
    def hours_per_year(self) -> float:
        return round(self.villages * self.per_year * self.minutes / 60, 1)

    @property
    def merge_target(self) -> int | None:
        return self.overlaps[0].demand_id if self.overlaps else None

    def to_json(self) -> dict[str, object]:
        return {
            "demand_id": self.demand_id,
            "kind": self.kind,
            "title": self.title,
            "department": self.department,
            "burden": {
                "villages": self.villages,
                "per_year": self.per_year,
                "minutes_per_village": self.minutes,
                "hours_per_year": self.hours_per_year,
            },
            "matter": self.matter.to_json(english=False),
            "overlaps": [asdict(o) for o in self.overlaps],
            "held_fields": self.held_fields,
            "suggestion": self.suggestion,
            "merge_target": self.merge_target,
            "reasons_zh": self.reasons_zh,
            "reasons_en": self.reasons_en,
        }


def _covers(d: Registration) -> set[str]:
    return ({d.matter} if d.matter else set()) | {t.strip() for t in d.topics if t.strip()}


def _months(d: Registration, horizon: int = 12) -> set[str]:
    end = _add_months(d.starts_on, horizon, 1)
    return {month_of(x) for x in occurrences(d, d.starts_on, end)}


def find_overlaps(
    demand: Demand, reached: set[str], others: Iterable[tuple[Demand, set[str]]]
) -> list[Overlap]:
    """Inspections sharing villages, matters and a month; work groups duplicating approved ones.

    Inspections look at approved and submitted ones of other departments (so two arriving
    together are joined too); work groups and meetings only at approved ones.
    """
    if demand.kind not in MERGEABLE:
        return []
    mine = _covers(demand)
    out: list[Overlap] = []
    for other, other_reached in others:
        if other.id == demand.id or other.kind != demand.kind:
            continue
        shared_villages = reached & other_reached
        shared = sorted(mine & _covers(other))
        if not shared_villages or not shared:
            continue
        if demand.kind == "inspection":
            if other.status not in ("approved", "submitted"):
                continue
            months = sorted(_months(demand) & _months(other))
            if not months:
                continue
            how = "joint"
        elif other.status == "approved":
            months, how = [], "merge"
        else:
            continue
        out.append(
            Overlap(
                other.id,
                other.title,
                other.department,
                other.kind,
                other.status,
                len(shared_villages),
                shared,
                months,
                how,
            )
        )
    # an approved partner first, then the one sharing most villages
    return sorted(out, key=lambda o: (o.status != "approved", -o.villages_shared, o.demand_id))


def review(
    demand: Demand,
    *,
    reached: set[str],
    others: Iterable[tuple[Demand, set[str]]],
    matter: MatterVerdict,
    sheet_fields: Iterable[str],
    labels: Mapping[str, str] | None = None,
) -> Review:
    """The review of one demand: burden, overlaps, data the sheet holds, suggested decision."""
    labels = labels or {}
    held = sorted(set(demand.data_fields) & set(sheet_fields))
    r = Review(
        demand_id=demand.id,
        kind=demand.kind,
        title=demand.title,
        department=demand.department,
        villages=len(reached),
        per_year=per_year(demand),
        minutes=demand.minutes,
        matter=matter,
        overlaps=find_overlaps(demand, reached, others),
        held_fields=held,
        suggestion="approve",
    )
    zh, en = r.reasons_zh, r.reasons_en
    if matter.code == "refused":
        r.suggestion = "reject"
        zh.append(matter.message_zh)
        en.append(matter.message_en)
    if app_duplicates_sheet(demand, held):
        r.suggestion = "reject"
        names = "、".join(labels.get(f, f) for f in held)
        zh.append(f"该应用采集的 {names} 一表通已有，不得另建应用重复采集，请从一表通取数")
        en.append(f"the sheet already holds the app's data ({', '.join(held)}): use the sheet")
    elif held:
        names = "、".join(labels.get(f, f) for f in held)
        zh.append(f"其中 {names} 一表通已有，应从一表通取数")
        en.append(f"the sheet already holds {', '.join(held)}")
    if r.overlaps and r.suggestion == "approve":
        o = r.overlaps[0]
        r.suggestion = o.action
        if o.action == "joint":
            zh.append(
                f"与 {o.department} 的检查 #{o.demand_id}（{o.title}）同月检查相同的 "
                f"{o.villages_shared} 个村、事项重叠（{'、'.join(o.shared)}），"
                "建议合并为一次联合检查"
            )
            en.append(
                f"#{o.demand_id} ({o.department}) inspects the same {o.villages_shared} villages "
                f"on {', '.join(o.shared)} in {', '.join(o.months)}: one joint inspection"
            )
        else:
            zh.append(
                f"与已准入的 #{o.demand_id}（{o.title}，{o.department}）重复，"
                f"建议并入该{demand.kind_zh}"
            )
            en.append(f"duplicates approved #{o.demand_id} ({o.title}): merge into it")
    if matter.code == "needs_reason" and r.suggestion == "approve":
        r.suggestion = "needs_reason"
        zh.append(matter.message_zh)
        en.append(matter.message_en)
    zh.append(
        f"涉及 {r.villages} 个村（社区），每年 {r.per_year} 次，每次每村约 {r.minutes} 分钟，"
        f"合计每年约 {r.hours_per_year} 小时"
    )
    en.append(
        f"{r.villages} villages, {r.per_year} times a year, ~{r.minutes} min each: "
        f"~{r.hours_per_year} hours a year"
    )
    if matter.code == "ok" and r.suggestion == "approve":
        zh.append(matter.message_zh)
        en.append(matter.message_en)
    return r


def app_duplicates_sheet(demand: Registration, held: Sequence[str]) -> bool:
    """An app (or check-in) whose data the sheet already holds adds only typing."""
    if demand.kind not in ("app", "checkin") or not demand.data_fields:
        return False
    return len(held) / len(set(demand.data_fields)) >= APP_HELD_SHARE


def check_decision(
    decision: str, demand: Demand, r: Review, reason: str, target: Demand | None = None
) -> None:
    """Refuse what the rules forbid: no reason, a negative-list or sheet-duplicating approval,
    a merge into nothing, into another kind, into itself or into a closed demand."""
    problems: list[Finding] = []
    if decision not in DECISIONS:
        problems.append(finding("demand.decision", decision=decision))
    if not reason.strip():
        problems.append(finding("gate.reason_missing"))
    if decision == "approved" and r.matter.code == "refused":
        problems.append(Finding("gate.negative_list", r.matter.message_zh, r.matter.message_en))
    if decision == "approved" and app_duplicates_sheet(demand, r.held_fields):
        problems.append(finding("demand.app_duplicates_sheet"))
    if decision == "merged":
        if target is None:
            problems.append(finding("demand.merge_target"))
        elif (
            target.id == demand.id
            or target.kind != demand.kind
            or demand.kind not in MERGEABLE
            or target.status not in ("approved", "submitted")
        ):
            problems.append(
                Finding(
                    "demand.merge_target",
                    f"#{demand.id} 不能并入 #{target.id}：须为同类、未关闭的另一事项",
                    f"#{demand.id} cannot merge into #{target.id}: same kind, open, another one",
                )
            )
    if problems:
        raise InvalidInput(problems)


# ---------------------------------------------------------------- the ledger's arithmetic

LEDGER_COUNTS = (
    "inspections_merged",
    "apps_cut",
    "groups_cut",
    "signs_refused",
    "letters_refused",
    "flags",
    "flags_resolved",
)


@dataclass(frozen=True)
class Flag:
    """A village's flag of a demand outside the Gate, with its feedback item's status."""

    id: int
    org_code: str
    department: str | None
    demand_id: int | None
    outcome: str  # filed (未准入事项, a feedback item) | explained (it was approved)
    created_at: datetime
    feedback_status: str | None


def _blank() -> dict[str, object]:
    return {
        "registered": {k: 0 for k in KINDS},
        "approved": {k: 0 for k in KINDS},
        "hours_asked": 0.0,
        **{k: 0 for k in LEDGER_COUNTS},
    }


def _cut_key(kind: str, decision: str) -> str | None:
    if kind == "inspection" and decision == "merged":
        return "inspections_merged"
    if kind == "app" and decision in ("rejected", "merged"):
        return "apps_cut"
    if kind == "work_group" and decision in ("rejected", "merged"):
        return "groups_cut"
    if kind == "sign" and decision == "rejected":
        return "signs_refused"
    if kind == "letter" and decision == "rejected":
        return "letters_refused"
    return None


def ledger(
    demands: Sequence[tuple[Demand, set[str]]],
    decisions: Sequence[Decision],
    flags: Sequence[Flag],
    months: Sequence[str],
    town_of: Mapping[str, str],
) -> dict[str, object]:
    """Per month, department, town and village: demands by kind, hours asked, cuts, flags.

    ``demands`` pairs each demand with the villages it reaches inside the viewer's scope.
    A demand is *registered* in the month it was registered and *approved* in the month of
    its approval; hours asked are the approved demands' occurrences in each month × minutes
    × villages reached; cuts count each decision in its month.
    """
    first, last = month_bounds(months[0])[0], month_bounds(months[-1])[1]
    by_month = {m: _blank() for m in months}
    by_dept: dict[str, dict[str, object]] = {}
    by_village: dict[str, dict[str, object]] = {}
    by_town: dict[str, dict[str, object]] = {}
    kinds_of = {d.id: d for d, _ in demands}

    def bump(bucket: dict[str, object], key: str, n: float = 1, kind: str | None = None) -> None:
        if kind is not None:
            inner = bucket[key]
            assert isinstance(inner, dict)
            inner[kind] += n
        else:
            bucket[key] = bucket[key] + n  # type: ignore[operator]

    def places(village_codes: Iterable[str]) -> list[dict[str, object]]:
        out = []
        for v in village_codes:
            out.append(by_village.setdefault(v, _blank()))
        for t in {town_of.get(v, v[:9]) for v in village_codes}:
            out.append(by_town.setdefault(t, _blank()))
        return out

    approved_at = {x.demand_id: x.at for x in decisions if x.decision == "approved"}
    for d, reached in demands:
        dept = by_dept.setdefault(d.department, _blank())
        if d.registered_at and first <= d.registered_at.date() <= last:
            m = month_of(d.registered_at)
            for bucket in (by_month[m], dept, *places(reached)):
                bump(bucket, "registered", kind=d.kind)
        at = approved_at.get(d.id)
        if d.status == "approved" and at and first <= at.date() <= last:
            for bucket in (by_month[month_of(at)], dept, *places(reached)):
                bump(bucket, "approved", kind=d.kind)
        if d.status != "approved":
            continue
        for day in occurrences(d, first, last):
            m = month_of(day)
            bump(by_month[m], "hours_asked", d.minutes * len(reached) / 60)
            bump(dept, "hours_asked", d.minutes * len(reached) / 60)
            for v in reached:
                bump(by_village.setdefault(v, _blank()), "hours_asked", d.minutes / 60)
                t = town_of.get(v, v[:9])
                bump(by_town.setdefault(t, _blank()), "hours_asked", d.minutes / 60)
    reached_of = dict((d.id, r) for d, r in demands)
    for x in decisions:
        d = kinds_of.get(x.demand_id)
        key = _cut_key(d.kind, x.decision) if d else None
        if d is None or key is None or not first <= x.at.date() <= last:
            continue
        for bucket in (
            by_month[month_of(x.at)],
            by_dept.setdefault(d.department, _blank()),
            *places(reached_of[d.id]),
        ):
            bump(bucket, key)
    for f in flags:
        if f.outcome != "filed" or not first <= f.created_at.date() <= last:
            continue
        buckets = [by_month[month_of(f.created_at)], *places([f.org_code])]
        if f.department:
            buckets.append(by_dept.setdefault(f.department, _blank()))
        resolved = f.feedback_status in ("resolved", "dismissed")
        for bucket in buckets:
            bump(bucket, "flags")
            if resolved:
                bump(bucket, "flags_resolved")
    for bucket in (*by_month.values(), *by_dept.values(), *by_village.values(), *by_town.values()):
        bucket["hours_asked"] = round(bucket["hours_asked"], 2)  # type: ignore[call-overload]
    totals = _blank()
    for bucket in by_month.values():
        for k in ("registered", "approved"):
            for kind, n in bucket[k].items():  # type: ignore[attr-defined]
                totals[k][kind] += n  # type: ignore[index]
        for k in ("hours_asked", *LEDGER_COUNTS):
            totals[k] = totals[k] + bucket[k]  # type: ignore[operator]
    totals["hours_asked"] = round(totals["hours_asked"], 2)  # type: ignore[call-overload]
    return {
        "months": list(months),
        "totals": totals,
        "cut_by_kind": cut_by_kind(totals),
        "by_month": by_month,
        "by_department": dict(sorted(by_dept.items())),
        "by_town": dict(sorted(by_town.items())),
        "by_village": dict(sorted(by_village.items())),
    }


def cut_by_kind(totals: Mapping[str, object]) -> dict[str, dict[str, object]]:
    """The anchors' figures: of the demands registered, the share the Gate kept away
    ("报表 −34%", "会议 −20%")."""
    registered = totals["registered"]
    approved = totals["approved"]
    assert isinstance(registered, dict) and isinstance(approved, dict)
    out: dict[str, dict[str, object]] = {}
    for kind, (zh, en) in KINDS.items():
        asked, kept = registered[kind], approved[kind]
        if not asked:
            continue
        share = round((asked - kept) / asked, 3) if asked >= kept else 0.0
        out[kind] = {
            "registered": asked,
            "approved": kept,
            "cut_share": share,
            "label_zh": f"{zh} −{share:.0%}",
            "label_en": f"{en} −{share:.0%}",
        }
    return out


def period_due(period: str) -> date | None:
    """The last day of a task's period (``2026-11``, ``2026Q4``, ``2026``); None for once."""
    if len(period) == 7 and period[4] == "-":
        return month_bounds(period)[1]
    if len(period) == 6 and period[4] == "Q":
        return month_bounds(f"{period[:4]}-{int(period[5]) * 3:02d}")[1]
    if len(period) == 4 and period.isdigit():
        return date(int(period), 12, 31)
    return None


LEDGER_COLUMNS = [
    ("registered", "登记事项"),
    ("approved", "准入事项"),
    ("hours_asked", "占用村级工时（小时）"),
    ("inspections_merged", "合并检查"),
    ("apps_cut", "精简APP"),
    ("groups_cut", "精简工作群"),
    ("signs_refused", "不予挂牌"),
    ("letters_refused", "不予签订责任状"),
    ("flags", "未准入事项反馈"),
    ("flags_resolved", "已办结反馈"),
]


def ledger_table(ledger: dict[str, object], key: str) -> tuple[list[str], list[list[object]]]:
    """One table of the ledger (``by_month``, ``by_department`` …) as heading + rows."""
    kinds = list(KINDS)
    heading = ["", *(f"登记·{KINDS[k][0]}" for k in kinds)]
    heading += [f"准入·{KINDS[k][0]}" for k in kinds]
    heading += [label for col, label in LEDGER_COLUMNS[2:]]
    names = {**ledger.get("names", {}), **ledger.get("departments", {})}  # type: ignore[dict-item]
    rows: list[list[object]] = []
    for name, bucket in ledger[key].items():  # type: ignore[attr-defined]
        label = names.get(name, name)
        row: list[object] = [f"{label}（{name}）" if label != name else name]
        row += [bucket["registered"][k] for k in kinds]
        row += [bucket["approved"][k] for k in kinds]
        row += [bucket[col] for col, _ in LEDGER_COLUMNS[2:]]
        rows.append(row)
    return heading, rows
