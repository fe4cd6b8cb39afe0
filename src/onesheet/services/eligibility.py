"""Subsidies from the sheet (惠民补贴 一键认定): rules as data, the Gate, one click, explained.

* A department defines a benefit's rule (``domain/eligibility.RuleSpec``); it is checked
  against the live dictionary (county fields included) and stored as a new draft version.
* The rule passes the Gate like a form: the department submits (the review figures show the
  inputs, who is authoritative for each, how many people hold it — and that the rule asks the
  villages for nothing), a reviewer approves or rejects with a reason.
* Running the newest approved version for an org unit and a month gives three lists — newly
  eligible and not enrolled (主动发现), enrolled and still eligible, enrolled but no longer
  eligible — and a fourth, "cannot tell", for people whose inputs conflict or are stale.
  Every name carries each input value with its source department and date and the verdict of
  each condition. One statement over the current view (the report query builder) decides
  every condition and the tier and writes the people it selects as the run's entries inside
  the database; the people it cannot settle alone (disputed, no longer eligible, excluded,
  stale limits) are judged from their inputs resolved from the observation log; the plainly
  paid are explained from the log as of the run when first read.
* The run is scoped and masked like a report, recorded (``eligibility_run`` and its
  entries) and audited; it shows its figures, and its people are read from the entries only
  when shown — the lists, a page, the API, a roster rendered through the report writers
  (XLSX/CSV) — each read audited with exactly the people it returned. Confirming a run
  updates the roster.

Amounts are ``Decimal`` throughout.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from pathlib import Path
from typing import Any, BinaryIO, Literal

from onesheet.domain.access import AccessDenied, Actor, field_visibility, require_org
from onesheet.domain.dictionary import Field as DictField
from onesheet.domain.eligibility import (
    CheckedRule,
    Test,
    Tier,
    age_day,
    check_rule,
    describe_condition,
    evaluate,
    in_force,
    input_key,
    parse_month,
    parse_rule,
    rule_fields,
)
from onesheet.domain.findings import Finding, InvalidInput, finding, refuse
from onesheet.domain.masking import mask_value
from onesheet.domain.report_filters import NULL_OPS, conditions_of
from onesheet.domain.template_spec import Column, Layout, TemplateSpec
from onesheet.domain.values.parse import display_value
from onesheet.export import RenderContext, RenderRow, write_csv, write_xlsx
from onesheet.services.base import Store, service, utcnow
from onesheet.services.sheet_write import UnknownEntity
from onesheet.store import audit, county_fields, orgs
from onesheet.store import eligibility as es

LISTS = ("new", "kept", "dropped", "unknown")
LIST_LABELS = {
    "new": "新增符合条件（主动发现）",
    "kept": "继续享受",
    "dropped": "不再符合条件",
    "unknown": "无法判断（数据冲突或过时）",
}
STATUS_LABELS = {
    "draft": "草稿",
    "submitted": "待审核",
    "approved": "已准入",
    "rejected": "已退回",
    "superseded": "已被新版本取代",
}


def _invalid(code: str, zh: str, en: str, where: str | None = None) -> InvalidInput:
    return InvalidInput([Finding(f"eligibility.{code}", zh, en, column=where)])


def _county(actor: Actor, county_code: str | None) -> str:
    county = actor.county_code or county_code
    if not county:
        refuse("eligibility.county")
    if actor.county_code and county_code and county_code != actor.county_code:
        raise AccessDenied(f"{county_code} 不在您的管辖范围内", "county outside your scope")
    return county


def _own_department(actor: Actor, department: str) -> None:
    if actor.role == "department" and actor.department != department:
        raise AccessDenied(
            f"只能管理本部门（{actor.department}）的补贴规则",
            f"a department manages only its own rules, not {department}'s",
        )


# ------------------------------------------------------------------------------ rules/Gate
@service("eligibility_define", permission="eligibility.define", audit=None)
def define_rule(
    store: Store,
    actor: Actor,
    spec: Mapping[str, object],
    *,
    county_code: str | None = None,
) -> es.RuleRow:
    """Store ``spec`` as a new draft version of its rule after checking it against the
    dictionary; InvalidInput names every place and reason (unknown field, 年龄 ≥ "八十" …)."""
    county = _county(actor, county_code)
    parsed = parse_rule(spec)
    _own_department(actor, parsed.department)
    with store.transaction() as conn:
        county_fields.refresh(store, conn)
        known = {k: v for k, v in es.exclusions(conn, county).items() if k != parsed.key}
        check_rule(parsed, store.dictionary, known_rules=known)
        return es.insert_rule(conn, county, parsed, actor.username, utcnow())


@service("eligibility_list", permission="eligibility.read", audit=None)
def list_rules(store: Store, actor: Actor) -> list[es.RuleRow]:
    """Every rule version in the actor's county (rules hold no personal data)."""
    with store.transaction() as conn:
        return es.list_rules(conn, actor.county_code)


@service("eligibility_show", permission="eligibility.read", audit=None)
def show_rule(store: Store, actor: Actor, rule_id: int) -> tuple[es.RuleRow, list[dict]]:  # type: ignore[type-arg]
    """A rule version and its Gate history."""
    with store.transaction() as conn:
        row = _rule_in_scope(conn, actor, rule_id)
        return row, es.decisions(conn, rule_id)


def _rule_in_scope(conn, actor: Actor, rule_id: int) -> es.RuleRow:  # type: ignore[no-untyped-def]
    row = es.get_rule(conn, rule_id)
    if row is None:
        raise UnknownEntity(f"没有补贴规则 {rule_id} (no rule {rule_id})")
    if actor.county_code and row.county_code != actor.county_code:
        raise AccessDenied("该规则不属于您的县（区）", "the rule belongs to another county")
    return row


@service("eligibility_submit", permission="eligibility.define", audit=None)
def submit_rule(store: Store, actor: Actor, rule_id: int) -> dict[str, object]:
    """Send a draft to the Gate; returns the review figures kept with the step."""
    with store.transaction() as conn:
        county_fields.refresh(store, conn)
        row = _rule_in_scope(conn, actor, rule_id)
        _own_department(actor, row.department)
        if row.status != "draft":
            raise _invalid(
                "status",
                f"只有草稿可以提交审核（当前：{STATUS_LABELS.get(row.status, row.status)}）",
                f"only a draft can be submitted (status {row.status})",
            )
        rule = check_rule(row.spec, store.dictionary)
        figures = _review_figures(conn, store, rule, row.county_code)
        now = utcnow()
        es.set_status(conn, rule_id, "submitted", now)
        es.add_decision(conn, rule_id, "submit", actor.username, actor.role, now, "", figures)
        return figures


def _review_figures(conn, store: Store, rule: CheckedRule, county: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """What the reviewer sees: each input, its authority and how many hold it; and what the
    rule asks the villages to collect — nothing: it only reads what the sheet holds."""
    keys = rule_fields(rule)
    counts = es.filled_counts(conn, store.dictionary, county, keys)
    inputs = [
        {
            "field": k,
            "label": store.dictionary.fields[k].label_zh,
            "authority": store.dictionary.fields[k].authority,
            "held": counts[k],
        }
        for k in keys
    ]
    return {
        "inputs": inputs,
        "conditions": [
            describe_condition(input_key(c.field), c.op, c.value, store.dictionary)
            if not c.field.key.endswith(".age")
            else describe_condition(c.field.key, c.op, c.value, store.dictionary)
            for c in rule.all_conditions()
        ],
        "tiers": [{"label": t.label, "amount": str(t.amount)} for t, _ in rule.tiers],
        "values_villages_asked": 0,
    }


@service("eligibility_decide", permission="eligibility.decide", audit=None)
def decide_rule(store: Store, actor: Actor, rule_id: int, *, approve: bool, reason: str) -> str:
    """A reviewer approves or rejects a submitted rule, always with a reason; an approved
    version supersedes the earlier approved one. Returns the new status."""
    reason = (reason or "").strip()
    if not reason:
        refuse("eligibility.reason")
    with store.transaction() as conn:
        row = _rule_in_scope(conn, actor, rule_id)
        if row.status != "submitted":
            raise _invalid(
                "status",
                f"只能审核待审核的规则（当前：{STATUS_LABELS.get(row.status, row.status)}）",
                f"only a submitted rule can be decided (status {row.status})",
            )
        now = utcnow()
        status = "approved" if approve else "rejected"
        es.set_status(conn, rule_id, status, now)
        if approve:
            es.supersede_older(conn, row, now)
        action = "approve" if approve else "reject"
        es.add_decision(conn, rule_id, action, actor.username, actor.role, now, reason, {})
        return status


# ------------------------------------------------------------------------------------ runs
@dataclass(slots=True)
class Shown:
    """One tested condition as this actor may see it."""

    condition: str
    value: str
    source: str
    valid_from: str
    outcome: str  # 符合 / 不符合 / 无法判断
    why: str
    part: str
    field: str = ""  # the stored input it read (age reads the birth date); "" for org/excludes


@dataclass
class Entry:
    """One listed person with the reason and every tested condition.

    A plainly paid person's ``reason`` and ``tests`` (newly or still eligible by the
    database's own answer, nothing disputed) may be left to an ``_Explainer``: they are put
    together on first read, so a run over a county's tens of thousands costs what deciding
    costs, and a page, a roster or the API reading them pays for what it reads. Name and ID
    number are the sheet's when the entry is read (masked for the actor); everything the
    verdict read is as of the run."""

    entity_id: int
    list: str
    name: str
    id_number: str
    org_code: str
    village: str
    tier: str | None
    amount: Decimal | None
    reason: str
    tests: list[Shown] = field(default_factory=list)

    def __getattr__(self, name: str) -> object:
        # reached only for an attribute the instance does not hold yet: the explanation of
        # an entry left to its explainer
        later = self.__dict__.get("_later")
        if later is not None and name in ("reason", "tests"):
            later.explain(self)
            return self.__dict__[name]
        raise AttributeError(name)


@dataclass
class RunResult:
    """A stored run: its figures at once, its lists when asked for.

    ``run_rule`` decides in the database and stores every listed person as an item without
    bringing them to Python; the figures (counts, amount, values read) are counted there.
    The people are read from the stored items only when shown — ``lists`` (every list, as
    a roster or the page prints them) or ``page`` (one list, a slice) — and each such read
    writes an audit event naming exactly the people it returned."""

    run_id: int
    rule_id: int
    rule_key: str
    version: int
    benefit: str
    org_code: str
    org_name: str
    month: str
    age_day: date
    amount: Decimal
    values_read: int
    seconds: float
    listed: dict[str, int]
    _reader: _Reader = field(repr=False, compare=False)
    _lists: dict[str, list[Entry]] | None = field(default=None, repr=False, compare=False)

    def counts(self) -> dict[str, int]:
        return dict(self.listed)

    @property
    def lists(self) -> dict[str, list[Entry]]:
        """The four lists, each by village then person (read once, audited)."""
        if self._lists is None:
            r = self._reader
            self._lists = r.grouped(read_run(r.store, r.actor, self))
        return self._lists

    def page(self, which: str, offset: int = 0, limit: int = 50) -> list[Entry]:
        """``limit`` people of one list from ``offset`` (read now, audited)."""
        if which not in LISTS:
            raise ValueError(which)
        if self._lists is not None:
            return self._lists[which][offset : offset + limit]
        r = self._reader
        return read_run(r.store, r.actor, self, which, offset, limit)


OUTCOME_ZH = {True: "符合", False: "不符合", None: "无法判断"}
LIST_ORDER = attrgetter("org_code", "entity_id")  # each list by village, then person


def _check_access(store: Store, actor: Actor, rule: CheckedRule) -> dict[str, str]:
    """Visibility of each input; a hidden input, or a masked one compared, refuses the run
    (the lists would reveal it), as report filters do."""
    vis: dict[str, str] = {}
    hidden, masked = [], []
    for c in rule.all_conditions():
        v = field_visibility(actor, c.field, store.grants)
        vis[input_key(c.field)] = v
        if v == "hidden":
            hidden.append(c.field.key)
        elif v == "masked" and c.op not in NULL_OPS:
            masked.append(c.field.key)
    if hidden:
        raise AccessDenied(
            f"补贴规则使用了您无权查看的字段：{'、'.join(sorted(set(hidden)))}",
            f"the rule reads fields you may not read: {sorted(set(hidden))}",
        )
    if masked:
        raise AccessDenied(
            f"补贴规则按脱敏字段取值判断：{'、'.join(sorted(set(masked)))}",
            f"the rule compares masked fields {sorted(set(masked))}",
        )
    return vis


@dataclass
class _Judge:
    """What explaining a person needs besides the person: the rule, the day ages count on,
    the run's area and the org names (read when first needed: a county has thousands),
    and how this actor sees values and identities."""

    rule: CheckedRule
    day: date
    org_code: str
    org_name: str
    county: str
    show: Callable[[Test], Shown]
    ident_vis: tuple[str, str]
    names: dict[str, str] | None = None
    leaves: int = field(init=False)  # how many single conditions (a candidate's outcomes)

    def __post_init__(self) -> None:
        self.leaves = len(self.rule.all_conditions())

    def need_names(self, conn: Any) -> dict[str, str]:
        if self.names is None:
            self.names = orgs.names_by_code(conn, self.county)
        return self.names

    def area(self, p: es.Person | es.Candidate | es.Listed) -> Test:
        """The first condition of every explanation: registered inside the run's org unit."""
        assert self.names is not None
        inside = p.org_code.startswith(self.org_code)
        where = self.names.get(p.org_code, p.org_code)
        return Test("org", "户籍所在地", "in", self.org_name, where, "一张表", None, inside)

    def entry(self, eid: int, which: str, p: es.Candidate, tier: str | None, amount) -> Entry:  # type: ignore[no-untyped-def]
        """A person's entry without its explanation."""
        assert self.names is not None
        name, id_number = _identity(p, self.ident_vis)
        village = self.names.get(p.org_code[:12], "")
        return Entry(eid, which, name, id_number, p.org_code, village, tier, amount, "")

    def paid(self, item: es.Listed, later: _Explainer | None) -> Entry:
        """A plainly paid person's entry from the run's stored item, its reason and tests
        left to ``later`` (put together when first read; None: never)."""
        assert self.names is not None
        name, id_number = _identity(item, self.ident_vis)
        entry = object.__new__(Entry)
        entry.__dict__ = {
            "entity_id": item.entity_id,
            "list": item.list,
            "name": name,
            "id_number": id_number,
            "org_code": item.org_code,
            "village": self.names.get(item.org_code[:12], ""),
            "tier": item.tier,
            "amount": item.amount,
        }
        if later is None:
            entry.__dict__.update(reason=item.reason, tests=[])
        else:
            entry.__dict__["_later"] = later
            later.pending[item.entity_id] = (entry, item)
        return entry

    def explain(self, entry: Entry, tests: list[Test]) -> None:
        """Put ``tests`` in words on ``entry``, with the reason its list calls for."""
        shown = [self.show(t) for t in tests]
        if entry.list == "unknown":
            bad = [s for s, t in zip(shown, tests, strict=True) if t.outcome is None]
            reason = (
                "；".join(f"{s.condition}：{s.why or '无法判断'}" for s in bad) or "无法判断档次"
            )
        elif entry.list == "dropped":
            bad = [s for s, t in zip(shown, tests, strict=True) if t.outcome is False]
            reason = "；".join(_said(s, "不符合") for s in bad)
        else:
            reason = "；".join(_said(s, "") for s in shown if s.part == "conditions")
        entry.__dict__.update(reason=reason, tests=shown)


class _Explainer:
    """Explains, on first read, the plainly paid people a run listed without explaining.

    Each input is resolved from the observation log up to the newest observation the run's
    deciding statement saw — the log only grows, so a later read sees what the run saw —
    and each condition is judged on those values. The entry read and those after it in
    what was read with it, up to ``CHUNK``, are explained together: one log read per
    chunk, in a read-only snapshot that never waits for a writer.
    """

    CHUNK = 1000

    def __init__(self, store: Store, judge: _Judge, keys: list[str], upto: int) -> None:
        self.store, self.judge, self.keys, self.upto = store, judge, keys, upto
        self.pending: dict[int, tuple[Entry, es.Listed]] = {}
        self.order: list[int] = []
        self.position: dict[int, int] = {}

    def listed(self, entries: Sequence[Entry]) -> None:
        """The entries in their final order (a chunk is the entries after the one read)."""
        self.order = [e.entity_id for e in entries if e.entity_id in self.pending]
        self.position = {eid: i for i, eid in enumerate(self.order)}

    def explain(self, entry: Entry, conn: Any = None) -> None:
        at = self.position.get(entry.entity_id, 0)
        ids = [entry.entity_id, *self.order[at + 1 : at + self.CHUNK]]
        batch = [self.pending[i] for i in dict.fromkeys(ids) if i in self.pending]
        if conn is None:
            with self.store.reading() as reader:
                self._explain(reader, batch)
        else:
            self._explain(conn, batch)

    def explain_all(self, conn: Any) -> None:
        """Everything still pending (a roster prints every reason)."""
        while self.pending:
            self.explain(next(iter(self.pending.values()))[0], conn)

    def _explain(self, conn: Any, batch: list[tuple[Entry, es.Listed]]) -> None:
        j = self.judge
        persons = {e.entity_id: item for e, item in batch}
        inputs = es.inputs_of(conn, self.store.dictionary, persons, self.keys, upto=self.upto)
        for entry, item in batch:
            verdict = evaluate(j.rule, inputs.get(entry.entity_id, {}), j.day)
            j.explain(entry, [j.area(item), *verdict.tests])
            del entry.__dict__["_later"]
            del self.pending[entry.entity_id]


@dataclass
class _Reader:
    """Reads a run's stored items as entries for the actor who ran it: the people judged
    one by one during the run come explained from it; the plainly paid are built from
    their items and explained when first read (``_Explainer``; never with ``explain``
    off). Every read writes an audit event naming exactly the people it returned."""

    store: Store
    actor: Actor
    run_id: int
    detail: str
    fields: list[str]
    judge: _Judge
    keys: list[str]
    seen: int
    explain: bool
    judged: dict[int, Entry]

    def entries(
        self,
        conn: Any,
        which: str | None = None,
        offset: int = 0,
        limit: int | None = None,
        *,
        explained: bool = False,
    ) -> list[Entry]:
        """The stored items (in list order) as entries, read on ``conn``; not audited.
        ``explained``: every explanation put together now, on ``conn`` (a roster)."""
        items = es.listed_items(conn, self.run_id, which=which, offset=offset, limit=limit)
        self.judge.need_names(conn)
        later = None
        if self.explain:
            later = _Explainer(self.store, self.judge, self.keys, self.seen)
        out = [self.judged.get(i.entity_id) or self.judge.paid(i, later) for i in items]
        if later is not None:
            later.listed(out)
            if explained:
                later.explain_all(conn)
        return out

    def read(
        self, which: str | None = None, offset: int = 0, limit: int | None = None
    ) -> list[Entry]:
        """``entries`` in a read of its own, audited with the people returned."""
        with self.store.audited_read() as conn:
            out = self.entries(conn, which, offset, limit)
            self.audit(conn, out, f" list={which} offset={offset} limit={limit}" if which else "")
        return out

    def all(self, conn: Any, *, explained: bool = False) -> dict[str, list[Entry]]:
        """Every list, read inside the run (whose own event names them: a roster)."""
        return self.grouped(self.entries(conn, explained=explained))

    @staticmethod
    def grouped(entries: Sequence[Entry]) -> dict[str, list[Entry]]:
        """``entries`` as the four lists, each by village then person."""
        lists: dict[str, list[Entry]] = {k: [] for k in LISTS}
        for e in entries:
            lists[e.list].append(e)
        for items in lists.values():
            items.sort(key=LIST_ORDER)
        return lists

    def audit(self, conn: Any, entries: Sequence[Entry], where: str) -> None:
        audit.write_event(
            conn,
            self.actor,
            "eligibility.read",
            now=utcnow(),
            county_code=self.judge.county,
            entity_type="person",
            entity_ids=[e.entity_id for e in entries],
            fields=self.fields,
            detail=f"{self.detail}{where} shown={len(entries)}",
        )


@service("eligibility_run", permission="eligibility.run", audit="eligibility.run")
def run_rule(
    store: Store,
    actor: Actor,
    rule_key: str,
    org_code: str,
    month: str,
    *,
    fmt: Literal["xlsx", "csv"] | None = None,
    out: Path | BinaryIO | None = None,
    explain: bool = True,
) -> RunResult:
    """Run the newest approved version of ``rule_key`` for ``org_code`` and ``month``.

    Returns the run: its counts, amount and values read at once, its four lists with every
    person's explanation when read (``RunResult.lists`` / ``page``, each read audited with
    the people it shows); with ``fmt``/``out`` also writes the payment roster (XLSX/CSV)
    through the report writers, and the run's own audit event names everyone on it.

    The database decides and stores: one statement selects every person the conditions
    select in the subtree and writes them as the run's items — list (new, or kept when on
    the roster), tier and amount — with no row coming to Python (``es.decide_into_run``).
    The people that answer alone cannot settle — disputed, no longer eligible, moved,
    excluded by another benefit, in no tier, every one of a rule with staleness limits —
    are judged here from their inputs resolved from the log and explained before the run
    is stored: their reasons decide their lists and are what the department acts on.
    The plainly paid are explained when first read (from the log as of the run).
    ``explain=False`` (a payment system that only needs who and how much) leaves them
    unexplained — their lists, tiers and amounts are the same.
    """
    if fmt not in (None, "xlsx", "csv"):
        refuse("eligibility.format", fmt=fmt)
    start = time.perf_counter()
    first, _ = parse_month(month)
    require_org(actor, org_code)
    county = org_code[:6]
    with store.transaction() as conn:
        county_fields.refresh(store, conn)
        row = es.approved_rule(conn, county, rule_key)
        if row is None and not any(r.rule_key == rule_key for r in es.list_rules(conn, county)):
            raise UnknownEntity(f"没有补贴规则 {rule_key} (no rule {rule_key})")
        if row is None:
            refuse("eligibility.not_approved", rule_key=rule_key)
        if actor.role == "department":
            _own_department(actor, row.department)
        if not in_force(row.spec, month):
            refuse("eligibility.not_in_force", rule_key=rule_key, month=month)
        org_name = orgs.org_names(conn, [org_code]).get(org_code)
        if org_name is None:
            refuse("eligibility.org", org_code=org_code)
        rule = check_rule(row.spec, store.dictionary)
        vis = _check_access(store, actor, rule)
        day = age_day(row.spec, month)
        keys = rule_fields(rule)
        roster = {e.entity_id: e for e in es.enrolled(conn, county, rule_key, org_code)}
        conflicted = es.conflicted_ids(conn, county, org_code, keys)
        now = utcnow()
        run_id = es.insert_run(conn, _run_row(county, row, org_code, month, actor, now))
        # the database decides and lists every person the conditions select
        roster_rule = rule_key if roster else None
        seen, groups = es.decide_into_run(
            conn, run_id, rule, county, org_code, day, roster_rule=roster_rule
        )
        judged_ids = _to_judge(conn, run_id, rule, county, roster, conflicted)
        judge = _Judge(
            rule, day, org_code, org_name, county, _shower(store, actor, vis),
            _identity_visibility(store, actor),
        )  # fmt: skip
        judged: dict[str, list[Entry]] = {k: [] for k in LISTS}
        values_read = 0
        if judged_ids:
            groups += es.delete_items(conn, run_id, judged_ids)
            values_read = _judge_one_by_one(
                conn, store, judge, row, keys, judged_ids, roster, conflicted, judged
            )
        # the plainly paid, counted where they are: by list and tier
        listed = {k: len(v) for k, v in judged.items()}
        amount = sum(
            (e.amount or Decimal(0) for k in ("new", "kept") for e in judged[k]), Decimal("0.00")
        )
        index = {}  # a tier by its label and amount (a label alone may repeat)
        for i, (tier, _) in reversed(list(enumerate(rule.tiers))):
            index[(tier.label, tier.amount)] = i
        _, reads = _tier_reads(rule)
        for g in groups:
            listed[g.list] += g.n
            values_read += g.n * reads[index.get((g.tier, g.amount), -1)]
            amount += (g.amount or Decimal(0)) * g.n
        es.insert_items(
            conn,
            run_id,
            (
                (e.entity_id, k, e.org_code, e.tier, e.amount, e.reason[:2000])
                for k, items in judged.items()
                for e in items
            ),
        )
        fields = ["person.name", "person.id_number", *keys]
        detail = f"rule={rule_key} v{row.version} org={org_code} month={month} run={run_id}"
        reader = _Reader(
            store, actor, run_id, detail, fields, judge, keys, seen, explain,
            {e.entity_id: e for items in judged.values() for e in items},
        )  # fmt: skip
        result = RunResult(
            run_id, row.id, rule_key, row.version, row.benefit, org_code, org_name, month,
            day, amount, values_read, 0.0, listed, reader,
        )  # fmt: skip
        shown: list[int] = []
        if fmt is not None and out is not None:
            # the roster shows everyone: read inside the run, named by the run's event
            result._lists = reader.all(conn, explained=True)
            shown = [e.entity_id for items in result._lists.values() for e in items]
            _render(result, fmt, out, actor, first)
        result.seconds = round(time.perf_counter() - start, 3)
        es.update_run(
            conn,
            run_id,
            dict(**listed, amount=amount, values_read=values_read, seconds=result.seconds),
        )
        audit.write_event(
            conn,
            actor,
            "eligibility.run",
            now=now,
            county_code=county,
            entity_type="person",
            entity_ids=shown,
            fields=fields,
            detail=(
                f"{detail} "
                + " ".join(f"{k}={n}" for k, n in listed.items())
                + (f" format={fmt} shown={len(shown)}" if fmt else " shown=0")
            ),
        )
    return result


@service("eligibility_read", permission="eligibility.run", audit="eligibility.read")
def read_run(
    store: Store,
    actor: Actor,
    result: RunResult,
    which: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[Entry]:
    """The people of a run, read from its stored entries when something shows them: every
    list (``which`` None) or ``limit`` people of one list from ``offset``, in list order.
    Audited as ``eligibility.read`` naming exactly the people returned. Only the actor who
    ran it reads a run this way (its masking and explanations are that actor's);
    ``RunResult.lists`` and ``RunResult.page`` call this."""
    reader = result._reader
    if actor != reader.actor:
        raise AccessDenied("只能查看本人运行的认定结果", "a run is read by the actor who ran it")
    return reader.read(which, offset, limit)


def _run_row(county: str, row: es.RuleRow, org_code: str, month: str, actor: Actor, now):  # type: ignore[no-untyped-def]
    """The run's row before its figures are known (they are set once counted)."""
    return dict(
        county_code=county,
        rule_id=row.id,
        rule_key=row.rule_key,
        org_code=org_code,
        month=month,
        actor=actor.username,
        role=actor.role,
        at=now,
        new=0,
        kept=0,
        dropped=0,
        unknown=0,
        amount=Decimal(0),
        values_read=0,
        seconds=0,
        confirmed=False,
    )


def _to_judge(  # type: ignore[no-untyped-def]
    conn,
    run_id: int,
    rule: CheckedRule,
    county: str,
    roster: Mapping[int, es.Enrolled],
    conflicted: set[int],
) -> set[int]:
    """Who the database's answer alone does not settle: the conflicted (their sources may
    give different answers), the listed people another benefit of the rule's ``excludes``
    pays, the listed in no tier, the enrolled not kept (no longer eligible, moved, merged,
    gone) — and, for a rule with staleness limits, everyone listed (each input's date must
    be looked at in the log)."""
    ids = set(conflicted)
    if rule.spec.stale_after_days:
        ids |= es.item_ids(conn, run_id)
    else:
        ids |= es.items_enrolled_in(conn, run_id, county, rule.spec.excludes).keys()
        if rule.tiers and rule.tiers[-1][1] is not None:  # no tier catches everyone
            ids |= es.item_ids(conn, run_id, tierless=True)
    if roster:
        ids |= roster.keys() - es.item_ids(conn, run_id, listed="kept")
    return ids


def _judge_one_by_one(  # type: ignore[no-untyped-def]
    conn,
    store: Store,
    judge: _Judge,
    row: es.RuleRow,
    keys: list[str],
    ids: set[int],
    roster: Mapping[int, es.Enrolled],
    conflicted: set[int],
    lists: dict[str, list[Entry]],
) -> int:
    """Judge ``ids`` from their inputs resolved from the log, explained, into ``lists``;
    returns the condition values read. A person whose sources disagree is judged source by
    source (cannot tell when their values would give different answers); everyone else on
    the database's outcome of each condition."""
    rule, day = judge.rule, judge.day
    names = judge.need_names(conn)
    found = es.candidates_of(conn, rule, day, ids)
    elsewhere = es.enrolled_elsewhere(conn, judge.county, row.spec.excludes, ids)
    inputs = es.inputs_of(conn, store.dictionary, found, keys)
    values_read = 0
    for eid in sorted(ids):
        p = found.get(eid)
        enrolled = eid in roster
        if p is None or p.merged_into is not None:
            if enrolled:
                why = "已与他人合并" if p is not None else "一张表中已无此人"
                lists["dropped"].append(_gone(eid, roster[eid].org_code, names, why))
            continue
        mine = inputs.get(eid, {})
        disputed = eid in conflicted or any(i.others for i in mine.values())
        verdict = evaluate(rule, mine, day, None if disputed else es.given(p, judge.leaves))
        area = judge.area(p)
        tests = [area, *verdict.tests]
        outcome = verdict.outcome if area.outcome else False
        other = elsewhere.get(eid, [])
        if outcome is not False and other:
            excluded = ", ".join(row.spec.excludes)
            tests.append(
                Test("excludes", "互斥补贴", "not_in", excluded, "、".join(other), "登记名册",
                     None, False)
            )  # fmt: skip
            outcome = False
        if outcome is None:
            which = "unknown"
        elif outcome:
            which = "kept" if enrolled else "new"
        elif enrolled:
            which = "dropped"
        else:
            continue
        values_read += sum(1 for t in tests if t.field_key not in ("org", "excludes"))
        entry = judge.entry(eid, which, p, verdict.tier, verdict.amount)
        judge.explain(entry, tests)
        lists[which].append(entry)
    return values_read


def _gone(eid: int, org_code: str, names: dict[str, str], why: str) -> Entry:
    return Entry(eid, "dropped", "", "", org_code, names.get(org_code[:12], ""), None, None, why)


def _shower(store: Store, actor: Actor, vis: Mapping[str, str]):  # type: ignore[no-untyped-def]
    d = store.dictionary

    # a rule has a handful of conditions: each is put in words, and its input and whether
    # this actor sees it masked looked up, once per run, not once per person
    said: dict[object, tuple[str, DictField | None, bool]] = {}

    def condition(t: Test) -> tuple[str, DictField | None, bool]:
        try:
            key: object = (t.field_key, t.op, type(t.operand), t.operand)
            got = said.get(key)
        except TypeError:  # an operand that cannot be a key (a list)
            key = (t.field_key, t.op, repr(t.operand))
            got = said.get(key)
        if got is None:
            f = None
            if t.field_key in d.fields:
                words = describe_condition(t.field_key, t.op, t.operand, d)
                f = d.fields.get(input_key(d.fields[t.field_key]))
            elif t.field_key == "org":
                words = f"户籍在{t.operand}"
            elif t.field_key == "excludes":
                words = f"未享受 {t.operand}"
            else:
                words = t.label
            masked = f is not None and vis.get(f.key) == "masked" and bool(f.mask)
            got = said[key] = (words, f, masked)
        return got

    dates: dict[datetime, str] = {}  # valid-from → its day in words (many share one)

    def show(t: Test) -> Shown:
        words, f, masked = condition(t)
        value = t.value
        if f is not None and value is not None:
            if masked:
                value = mask_value(f.mask, value) or ""  # type: ignore[arg-type]
            else:
                value = display_value(f, value, d.code_tables)
        since = ""
        if isinstance(t.valid_from, datetime):
            since = dates.get(t.valid_from) or dates.setdefault(
                t.valid_from, t.valid_from.date().isoformat()
            )
        return Shown(
            words,
            value if value is not None else "（空）",
            t.source or "",
            since,
            OUTCOME_ZH[t.outcome],
            t.why,
            t.part,
            f.key if f is not None else "",
        )

    return show


def _tier_reads(rule: CheckedRule) -> tuple[list[Tier], dict[int, int]]:
    """The tiers, and for each tier index (-1: no tiers) how many conditions a person paid
    at that tier had read: all of the conditions, then each tier's tried up to it."""
    base = len(list(conditions_of(rule.conditions)))
    read = {-1: base}
    for i, (_, flt) in enumerate(rule.tiers):
        base += len(list(conditions_of(flt)))
        read[i] = base
    return [t for t, _ in rule.tiers], read


def _identity(
    p: es.Person | es.Candidate | es.Listed, ident_vis: tuple[str, str]
) -> tuple[str, str]:
    """Name and ID number as this actor may see them."""
    name_vis, id_vis = ident_vis
    id_number = p.id_number or ""
    if id_vis == "masked":
        id_number = mask_value("id_number", id_number) or ""
    elif id_vis == "hidden":
        id_number = ""
    return (p.name or "") if name_vis != "hidden" else "", id_number


def _said(s: Shown, verdict: str) -> str:
    where = "，".join(x for x in (s.source, s.valid_from) if x)
    return f"{s.condition}{verdict}（{s.value}{'；' + where if where else ''}）"


def _identity_visibility(store: Store, actor: Actor) -> tuple[str, str]:
    d = store.dictionary
    return (
        field_visibility(actor, d.fields["person.name"], store.grants),
        field_visibility(actor, d.fields["person.id_number"], store.grants),
    )


ROSTER_HEADINGS = (
    "序号",
    "名单",
    "姓名",
    "身份证号",
    "所在村（社区）",
    "档次",
    "金额（元）",
    "依据",
)


def _roster_spec(result: RunResult) -> TemplateSpec:
    """The payment roster's layout (a report template built on the fly)."""
    kinds = ["row_no"] + ["field"] * (len(ROSTER_HEADINGS) - 1)
    widths = (6, 22, 10, 20, 16, 10, 12, 60)
    cols = [
        Column(letter=chr(65 + i), heading=h, kind=k, width=w)  # type: ignore[arg-type]
        for i, (h, k, w) in enumerate(zip(ROSTER_HEADINGS, kinds, widths, strict=True))
    ]
    title = f"{result.benefit}发放名册（{result.month}）"
    return TemplateSpec(
        id=f"elig_{result.rule_key}",
        title=title,
        department="",
        entity="person",
        columns=cols,
        layout=Layout(
            title=title,
            unit_line="单位：{org_name}　　　　年龄计算日：" + result.age_day.isoformat(),
            heading_rows=[list(ROSTER_HEADINGS)],
        ),
    )


def _roster_rows(result: RunResult) -> list[RenderRow]:
    rows = []
    for k in LISTS:
        for e in result.lists[k]:
            cells: list[object] = [
                None,
                LIST_LABELS[k],
                e.name,
                e.id_number,
                e.village,
                e.tier,
                e.amount,
                e.reason,
            ]
            rows.append(RenderRow(cells, entity_label=e.name or f"#{e.entity_id}"))
    return rows


def _render(result: RunResult, fmt: str, out, actor: Actor, when: date) -> None:  # type: ignore[no-untyped-def]
    spec = _roster_spec(result)
    rows = _roster_rows(result)
    ctx = RenderContext(result.org_name, when, actor.username)
    if fmt == "xlsx":
        write_xlsx(spec, iter(rows), out, ctx)
    elif fmt == "csv":
        write_csv(spec, iter(rows), out, ctx)
    else:
        refuse("eligibility.format", fmt=fmt)


# ------------------------------------------------------------------------------- enrolment
@service("eligibility_confirm", permission="eligibility.enrol", audit="eligibility.confirm")
def confirm_run(store: Store, actor: Actor, run_id: int) -> dict[str, int]:
    """The department confirms a run: the newly eligible are enrolled from the month's first
    day with their tier and amount; the no longer eligible are ended with the reason.
    "Cannot tell" people are left as they are. A run is confirmed once."""
    with store.transaction() as conn:
        run = es.get_run(conn, run_id)
        if run is None:
            raise UnknownEntity(f"没有运行记录 {run_id} (no run {run_id})")
        require_org(actor, run.org_code)
        row = es.get_rule(conn, run.rule_id)
        assert row is not None
        _own_department(actor, row.department)
        if run.confirmed:
            refuse("eligibility.confirmed")
        first, _ = parse_month(run.month)
        items = es.run_items(conn, run_id)
        now = utcnow()
        added = es.enrol(
            conn,
            run.county_code,
            run.rule_key,
            [(i.entity_id, i.org_code, i.tier, i.amount) for i in items if i.list == "new"],
            since=first,
            source="run",
            actor=actor.username,
            now=now,
        )
        ended = es.end_enrolment(
            conn,
            run.county_code,
            run.rule_key,
            [(i.entity_id, i.reason) for i in items if i.list == "dropped"],
            first,
        )
        es.mark_confirmed(conn, run_id)
        audit.write_event(
            conn,
            actor,
            "eligibility.confirm",
            now=now,
            county_code=run.county_code,
            entity_type="person",
            entity_ids=[i.entity_id for i in items if i.list in ("new", "dropped")],
            detail=f"run={run_id} rule={run.rule_key} enrolled={added} ended={ended}",
        )
        return {"enrolled": added, "ended": ended}


@service("eligibility_enrol_import", permission="eligibility.enrol", audit="eligibility.enrol")
def import_enrolment(
    store: Store,
    actor: Actor,
    rule_key: str,
    rows: Sequence[Mapping[str, str]],
    *,
    since: date,
    county_code: str | None = None,
) -> int:
    """Import a benefit's existing payment roster: rows with ``id_number`` (身份证号) and
    optionally ``tier`` and ``amount``. Every row is checked first; any unknown person or
    bad amount refuses the whole file with the rows named. Returns the people enrolled.

    Only the rule's own department (or an administrator) loads its roster, and only one
    that sees ID numbers in full: the rows named as unknown would otherwise tell a masked
    viewer which of the ~500 numbers a masked ID leaves is the person's, in one file."""
    county = _county(actor, county_code)
    id_field = store.dictionary.fields["person.id_number"]
    if field_visibility(actor, id_field, store.grants) != "full":
        raise AccessDenied(
            "按身份证号导入名册须能查看完整身份证号",
            "loading a roster by ID number needs the ID number in full",
        )
    with store.transaction() as conn:
        versions = [r for r in es.list_rules(conn, county) if r.rule_key == rule_key]
        if not versions:
            raise UnknownEntity(f"没有补贴规则 {rule_key} (no rule {rule_key})")
        _own_department(actor, versions[-1].department)
        found = es.people_by_id_number(
            conn, county, [str(r.get("id_number", "")).strip().upper() for r in rows]
        )
        problems: list[Finding] = []
        ready = []
        for n, r in enumerate(rows, start=2):
            number = str(r.get("id_number", "")).strip().upper()
            hit = found.get(number)
            if hit is None:
                problems.append(finding("eligibility.enrol.person", row=n, column="id_number"))
                continue
            eid, org_code = hit
            if actor.org_code and not org_code.startswith(actor.org_code):
                problems.append(finding("eligibility.enrol.scope", row=n, column="id_number"))
                continue
            amount = None
            raw = str(r.get("amount") or "").strip()
            if raw:
                try:
                    amount = Decimal(raw)
                except ArithmeticError:
                    problems.append(
                        finding("eligibility.enrol.amount", raw=raw, row=n, column="amount")
                    )
                    continue
            ready.append((eid, org_code, (r.get("tier") or None), amount))
        if problems:
            raise InvalidInput(problems)
        n = es.enrol(
            conn,
            county,
            rule_key,
            ready,
            since=since,
            source="import",
            actor=actor.username,
            now=utcnow(),
        )
        audit.write_event(
            conn,
            actor,
            "eligibility.enrol",
            now=utcnow(),
            county_code=county,
            entity_type="person",
            entity_ids=[r[0] for r in ready],
            detail=f"rule={rule_key} rows={len(rows)} enrolled={n}",
        )
        return n


@service("eligibility_ledger", permission="eligibility.ledger", audit=None)
def ledger_figures(store: Store, actor: Actor) -> dict[str, object]:
    """Subsidies paid from data (confirmed runs in scope): runs, people, monthly amount and
    values read from the sheet that villages did not have to collect (counts only)."""
    with store.transaction() as conn:
        return es.run_totals(conn, actor.org_code)
