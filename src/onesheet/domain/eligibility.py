"""Eligibility rules as data (惠民补贴 一键认定): a benefit's conditions over sheet fields.

A department writes a rule the way a report filter is written — ``Condition``/``and``/``or``
over dictionary fields (county fields included), with the age operators computing age as of
the payment month — plus tiers with decimal amounts and the dates the rule is in force. This
module is pure: it validates a rule against the dictionary (the report filter checker, so an
unknown field or 年龄 ≥ "八十" is refused with the place and the reason), and it evaluates a
rule for one person from that person's resolved inputs, keeping every value, its source and
date and the verdict of every condition, so the run can explain each name on each list.

Three-valued: a condition whose input is in conflict (the sources' values would give
different answers) or older than the rule allows is *unknown*; ``and``/``or`` follow Kleene's
logic, so an unknown that cannot change the outcome does not matter, and a person whose
outcome is unknown is listed apart as "cannot tell" — never guessed.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from onesheet.domain.derived import age_on
from onesheet.domain.dictionary import Dictionary
from onesheet.domain.dictionary import Field as DictField
from onesheet.domain.findings import Finding, InvalidInput
from onesheet.domain.report_filters import (
    AGE_OPS,
    Checked,
    CheckedAll,
    CheckedAny,
    CheckedFilter,
    birth_cutoff,
    check_filter,
    conditions_of,
    fields_of,
)
from onesheet.domain.template_spec import Filter
from onesheet.domain.values.parse import display_value

RULE_ENTITIES = frozenset({"person", "household"})
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")

OP_ZH = {
    "eq": "等于",
    "ne": "不等于",
    "gt": "大于",
    "ge": "不小于",
    "lt": "小于",
    "le": "不大于",
    "in": "属于",
    "not_in": "不属于",
    "is_null": "为空",
    "not_null": "不为空",
    "contains": "包含",
    "age_ge": "年满（周岁）",
    "age_lt": "未满（周岁）",
}


# ------------------------------------------------------------------------------------ spec
class Tier(BaseModel):
    """One tier (档次): who falls in it (a filter, None = everyone eligible) and the amount."""

    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1, max_length=40)
    when: Filter | None = None
    amount: Decimal

    @field_validator("amount", mode="before")
    @classmethod
    def _no_float(cls, v: object) -> object:
        if isinstance(v, float):
            raise ValueError("amount must be given as text or an integer, never a float")
        return v


class RuleSpec(BaseModel):
    """A benefit's rule. ``key`` names the benefit across versions (gaoling_jintie)."""

    model_config = ConfigDict(extra="forbid")
    key: str
    benefit: str = Field(min_length=1, max_length=80)
    department: str = Field(min_length=1, max_length=40)
    entity: Literal["person"] = "person"
    conditions: Filter
    tiers: list[Tier] = []
    effective_from: date
    effective_to: date | None = None
    # age operators count completed years on this day of the payment month
    age_on: Literal["month_start", "month_end"] = "month_end"
    # field key → days: an input older than this (by its valid-from) cannot be relied on
    stale_after_days: dict[str, int] = {}
    # the matter on the county's responsibility lists this rule replaces, if any
    matter: str | None = None
    # other benefits (rule keys) a person may not hold at the same time
    excludes: list[str] = []
    description: str = ""


@dataclass(frozen=True)
class CheckedRule:
    """A rule whose filters passed the dictionary check."""

    spec: RuleSpec
    conditions: CheckedFilter
    tiers: tuple[tuple[Tier, CheckedFilter | None], ...]

    @property
    def inputs(self) -> tuple[DictField, ...]:
        """Every field the rule reads, in first-use order (age read as its birth date)."""
        seen: dict[str, DictField] = {}
        for c in self.all_conditions():
            seen.setdefault(c.field.key, c.field)
        return tuple(seen.values())

    def all_conditions(self) -> list[Checked]:
        """Every single condition in evaluation order: the conditions, then each tier's."""
        out = list(conditions_of(self.conditions))
        for _, flt in self.tiers:
            out += list(conditions_of(flt))
        return out


def _finding(code: str, zh: str, en: str, where: str) -> Finding:
    return Finding(f"eligibility.{code}", zh, en, column=where or None)


def parse_rule(data: Mapping[str, object] | RuleSpec) -> RuleSpec:
    """A RuleSpec from plain data; a malformed rule is refused with every place and reason."""
    if isinstance(data, RuleSpec):
        return data
    try:
        return RuleSpec.model_validate(data)
    except ValidationError as e:
        findings = [
            _finding(
                "shape",
                f"规则格式错误：{err['msg']}",
                f"malformed rule: {err['msg']}",
                ".".join(str(p) for p in err["loc"]),
            )
            for err in e.errors()
        ]
        raise InvalidInput(findings) from None


def check_rule(
    data: Mapping[str, object] | RuleSpec,
    dictionary: Dictionary,
    *,
    known_rules: Mapping[str, Sequence[str]] | None = None,
) -> CheckedRule:
    """Validate a rule against the dictionary; InvalidInput lists every problem with its place.

    ``known_rules``: other rules' keys → the keys they exclude (to refuse a circular
    exclusion chain and a rule excluding itself).
    """
    spec = parse_rule(data)
    findings: list[Finding] = []
    if not KEY_PATTERN.match(spec.key):
        findings.append(
            _finding(
                "key",
                f"规则代码 {spec.key} 须为小写字母开头的字母、数字、下划线（2–40 位）",
                "the rule key must be 2-40 lower-case letters, digits or underscores",
                "key",
            )
        )
    conditions = _checked(spec.conditions, dictionary, "conditions", findings)
    tiers = []
    for i, tier in enumerate(spec.tiers):
        flt = _checked(tier.when, dictionary, f"tiers[{i}]", findings) if tier.when else None
        if tier.amount < 0 or tier.amount != tier.amount.quantize(Decimal("0.01")):
            findings.append(
                _finding(
                    "amount",
                    f"第 {i + 1} 档金额 {tier.amount} 须为非负数，最多两位小数（元、角、分）",
                    f"tier {i + 1}: amount must be non-negative with at most two decimals",
                    f"tiers[{i}].amount",
                )
            )
        tiers.append((tier, flt))
    if spec.effective_to is not None and spec.effective_to < spec.effective_from:
        findings.append(
            _finding(
                "dates",
                "失效日期早于生效日期",
                "effective_to is before effective_from",
                "effective_to",
            )
        )
    for key, days in spec.stale_after_days.items():
        if key not in dictionary.fields:
            findings.append(
                _finding(
                    "stale.field",
                    f"时效要求中的字段 {key} 不在数据字典中",
                    f"stale_after_days names {key}, not in the dictionary",
                    f"stale_after_days.{key}",
                )
            )
        if days <= 0:
            findings.append(
                _finding(
                    "stale.days",
                    f"字段 {key} 的时效天数须为正整数",
                    "days must be positive",
                    f"stale_after_days.{key}",
                )
            )
    findings += _circular(spec, known_rules or {})
    if findings:
        raise InvalidInput(findings)
    return CheckedRule(spec, conditions, tuple(tiers))  # type: ignore[arg-type]


def _checked(
    flt: Filter, dictionary: Dictionary, where: str, findings: list[Finding]
) -> CheckedFilter | None:
    try:
        checked = check_filter(flt, dictionary, RULE_ENTITIES, where)
    except InvalidInput as e:
        findings.extend(e.findings)
        return None
    for c in conditions_of(checked):
        if not c.field.stored and not (c.field.key.endswith(".age") and c.field.derived_from):
            findings.append(
                _finding(
                    "derived",
                    f"派生字段 {c.field.key} 不能作为条件",
                    f"derived field {c.field.key} cannot be a condition",
                    where,
                )
            )
    return checked


def _circular(spec: RuleSpec, known: Mapping[str, Sequence[str]]) -> list[Finding]:
    """A rule may not exclude itself, nor close a chain of exclusions back onto itself."""
    graph = {k: list(v) for k, v in known.items()}
    graph[spec.key] = list(spec.excludes)
    out = []
    for start in spec.excludes:
        path = [spec.key, start]
        stack = [(start, path)]
        seen = set()
        while stack:
            node, p = stack.pop()
            if node == spec.key:
                out.append(
                    _finding(
                        "circular",
                        f"规则互斥关系循环：{' → '.join(p)}",
                        f"circular definition: {' -> '.join(p)}",
                        "excludes",
                    )
                )
                break
            if node in seen:
                continue
            seen.add(node)
            for nxt in graph.get(node, []):
                stack.append((nxt, [*p, nxt]))
    return out


# ------------------------------------------------------------------------------------ time
def parse_month(month: str) -> tuple[date, date]:
    """'2026-11' → (first day, last day); anything else is refused."""
    m = MONTH_PATTERN.match(month or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InvalidInput(
            [_finding("month", f"月份 {month} 须写作 YYYY-MM", "month must be YYYY-MM", "month")]
        )
    year, mon = int(m.group(1)), int(m.group(2))
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


def age_day(spec: RuleSpec, month: str) -> date:
    first, last = parse_month(month)
    return last if spec.age_on == "month_end" else first


def in_force(spec: RuleSpec, month: str) -> bool:
    first, last = parse_month(month)
    return spec.effective_from <= last and (spec.effective_to is None or spec.effective_to >= first)


# ------------------------------------------------------------------------------ evaluation
@dataclass(slots=True)
class Input:
    """One input value of one person: the current value, who said so and since when, and the
    other sources' values when they disagree."""

    field_key: str
    value: str | None
    source: str | None
    valid_from: datetime | None
    others: tuple[tuple[str, str | None, datetime], ...] = ()  # (source, value, valid_from)


@dataclass(slots=True)
class Test:
    """The verdict of one condition for one person (what the explanation prints)."""

    field_key: str
    label: str
    op: str
    operand: object
    value: str | None
    source: str | None
    valid_from: datetime | None
    outcome: bool | None  # None: cannot tell
    why: str = ""  # the reason for an unknown (conflict / stale)
    part: str = "conditions"  # conditions | tier label

    def describe(self, dictionary: Dictionary) -> str:
        return describe_condition(self.field_key, self.op, self.operand, dictionary)


@dataclass
class Verdict:
    """A person's outcome: eligible (True/False/None), the tier and amount, every test."""

    outcome: bool | None
    tier: str | None = None
    amount: Decimal | None = None
    tests: list[Test] = field(default_factory=list)

    def failed(self) -> list[Test]:
        return [t for t in self.tests if t.part == "conditions" and t.outcome is False]

    def unknown(self) -> list[Test]:
        return [t for t in self.tests if t.part == "conditions" and t.outcome is None]


def input_key(f: DictField) -> str:
    """The stored field a condition reads (age is read from the birth date)."""
    if f.derived_from and f.key.endswith(".age"):
        return f.derived_from
    return f.key


def describe_condition(key: str, op: str, operand: object, dictionary: Dictionary) -> str:
    """'出生日期 年满（周岁） 80' — a condition in words, operands shown by name."""
    f = dictionary.fields.get(key)
    label = f.label_zh if f else key
    if op in ("is_null", "not_null"):
        return f"{label}{OP_ZH[op]}"
    if isinstance(operand, tuple):
        shown = "、".join(_show(f, v, dictionary) for v in operand)
    elif op in AGE_OPS:
        shown = str(operand)
    else:
        shown = _show(f, operand, dictionary)
    return f"{label} {OP_ZH.get(op, op)} {shown}"


def _show(f: DictField | None, v: object, dictionary: Dictionary) -> str:
    if f is None or v is None:
        return "" if v is None else str(v)
    return display_value(f, str(v), dictionary.code_tables) or str(v)


def _compare(f: DictField, op: str, operand: object, value: str | None, day: date) -> bool:
    """One condition on one canonical value, with the SQL semantics of the report query
    (NULL fails comparisons; ``ne`` and ``not_in`` let NULL through)."""
    if f.key.endswith(".age") and f.derived_from:
        return _age(op, operand, value, day)
    if op == "is_null":
        return value is None
    if op == "not_null":
        return value is not None
    if op in AGE_OPS:
        if value is None:
            return False
        cutoff = birth_cutoff(day, int(operand)).isoformat()  # type: ignore[call-overload]
        return value <= cutoff if op == "age_ge" else value > cutoff
    if op == "ne":
        return value is None or not _eq(f, value, operand)
    if op == "not_in":
        return value is None or not any(_eq(f, value, o) for o in operand)  # type: ignore[attr-defined]
    if value is None:
        return False
    if op == "eq":
        return _eq(f, value, operand)
    if op == "in":
        return any(_eq(f, value, o) for o in operand)  # type: ignore[attr-defined]
    if op == "contains":
        return str(operand) in value
    a, b = _key(f, value), _key(f, operand)
    return {"gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[op]  # type: ignore[operator]


def _key(f: DictField, v: object) -> object:
    if f.type in ("integer", "decimal", "ref"):
        try:
            return Decimal(str(v))
        except InvalidOperation:
            return Decimal(0)
    return str(v)


def _eq(f: DictField, value: str, operand: object) -> bool:
    return _key(f, value) == _key(f, operand)


def _age(op: str, operand: object, birth: str | None, day: date) -> bool:
    if op == "is_null":
        return birth is None
    if op == "not_null":
        return birth is not None
    if birth is None:
        return op == "ne"
    years = age_on(date.fromisoformat(birth), day)
    n = int(str(operand))
    return {
        "eq": years == n,
        "ne": years != n,
        "gt": years > n,
        "ge": years >= n,
        "age_ge": years >= n,
        "lt": years < n,
        "age_lt": years < n,
        "le": years <= n,
    }[op]


def _test(
    c: Checked,
    inputs: Mapping[str, Input],
    day: date,
    stale: Mapping[str, int],
    part: str,
    given: Iterator[bool] | None = None,
) -> Test:
    key = input_key(c.field)
    got = inputs.get(key)
    value = got.value if got is not None else None
    # ``given``: the condition's outcome as the database computed it over the current view
    # (the same comparison, set-based); otherwise compared here on the resolved value
    outcome: bool | None = (
        next(given) if given is not None else _compare(c.field, c.op, c.value, value, day)
    )
    if got is None:  # nothing recorded: no source, no date, nothing to disagree or go stale
        return Test(
            c.field.key, c.field.label_zh, c.op, c.value, None, None, None, outcome, "", part
        )
    why = ""
    if got.others:
        answers = {outcome} | {_compare(c.field, c.op, c.value, v, day) for _, v, _ in got.others}
        if len(answers) > 1:
            outcome = None
            said = "；".join(f"{s}：{v if v is not None else '空'}" for s, v, _ in got.others)
            why = f"来源不一致（{said}）"
    days = (stale.get(key) or stale.get(c.field.key)) if stale else None
    since = got.valid_from
    if outcome is not None and days and since and since.date() < day - timedelta(days=days):
        outcome = None
        why = f"数据已过时：最近一次 {since.date().isoformat()}，须在 {days} 天内"
    return Test(
        c.field.key,
        c.field.label_zh,
        c.op,
        c.value,
        value,
        got.source,
        got.valid_from,
        outcome,
        why,
        part,
    )


def _tree(
    flt: CheckedFilter,
    inputs: Mapping[str, Input],
    day: date,
    stale,
    part,
    out: list[Test],
    given: Iterator[bool] | None = None,
) -> bool | None:
    if isinstance(flt, Checked):
        t = _test(flt, inputs, day, stale, part, given)
        out.append(t)
        return t.outcome
    results = [_tree(p, inputs, day, stale, part, out, given) for p in flt.parts]
    # each result is True, False or None (``in`` compares them by identity first)
    if isinstance(flt, CheckedAll):
        if False in results:
            return False
        return None if None in results else True
    assert isinstance(flt, CheckedAny)
    if True in results:
        return True
    return None if None in results else False


def evaluate(
    rule: CheckedRule,
    inputs: Mapping[str, Input],
    day: date,
    given: Sequence[bool] | None = None,
) -> Verdict:
    """Evaluate ``rule`` for one person whose inputs are ``inputs`` (keyed by field key),
    counting ages on ``day``. Tiers are tried in order; the first that holds gives the amount.

    ``given``: every single condition's outcome (``rule.all_conditions()`` order) as the
    database computed it over the current view, for a person none of whose inputs is in
    conflict — the verdict then only assembles them (and still applies staleness limits)."""
    tests: list[Test] = []
    stale = rule.spec.stale_after_days
    told = iter(given) if given is not None else None
    outcome = _tree(rule.conditions, inputs, day, stale, "conditions", tests, told)
    verdict = Verdict(outcome, tests=tests)
    if outcome is not True:
        return verdict
    if not rule.tiers:
        return verdict
    for tier, flt in rule.tiers:
        if flt is None:
            verdict.tier, verdict.amount = tier.label, tier.amount
            return verdict
        part: list[Test] = []
        got = _tree(flt, inputs, day, stale, tier.label, part, told)
        tests.extend(part)
        if got is True:
            verdict.tier, verdict.amount = tier.label, tier.amount
            return verdict
        if got is None:
            verdict.outcome = None  # which tier (which amount) cannot be told
            return verdict
    verdict.outcome = False  # eligible by the conditions but in no tier: nothing to pay
    tests.append(Test("", "档次", "tier", None, None, None, None, False, "不属于任何档次", "tiers"))
    return verdict


def rule_fields(rule: CheckedRule) -> list[str]:
    """Stored input keys the rule reads (for the log read), person fields first."""
    keys = {input_key(f): f for f in (c.field for c in rule.all_conditions())}
    return sorted(keys, key=lambda k: (not k.startswith("person."), k))


def filter_fields(flt: CheckedFilter | None) -> list[DictField]:
    return list(fields_of(flt))
