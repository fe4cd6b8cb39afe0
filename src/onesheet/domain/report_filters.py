"""Report filters checked against the dictionary before any SQL is built.

A template's filter and its aggregate cells' conditions are data written by a form importer
or a clerk; a typo there must fail with a clear message naming the field, operator or value,
not produce an empty report or a database error. This module is pure: it validates and
canonicalises; ``store.report_query`` turns the result into SQLAlchemy expressions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from onesheet.domain.dictionary import Dictionary, Field
from onesheet.domain.findings import Finding, InvalidInput, finding
from onesheet.domain.template_spec import AllOf, AnyOf, Condition, Filter
from onesheet.domain.values.parse import parse_for_field
from onesheet.domain.values.problems import ValueProblem

ORDERED_TYPES = frozenset({"integer", "decimal", "date", "code", "text", "ref"})
LIST_OPS = frozenset({"in", "not_in"})
NULL_OPS = frozenset({"is_null", "not_null"})
AGE_OPS = frozenset({"age_ge", "age_lt"})
ORDER_OPS = frozenset({"gt", "ge", "lt", "le"})


@dataclass(frozen=True)
class Checked:
    """A validated condition: the field, the operator and the canonical value(s).

    ``value`` is a canonical string for comparisons, a tuple of them for in/not_in, whole
    years (int) for age operators and None for the null tests.
    """

    field: Field
    op: str
    value: object


@dataclass(frozen=True)
class CheckedAll:
    parts: tuple[CheckedFilter, ...]


@dataclass(frozen=True)
class CheckedAny:
    parts: tuple[CheckedFilter, ...]


CheckedFilter = Checked | CheckedAll | CheckedAny


def _problem(code: str, zh: str, en: str, where: str) -> Finding:
    return Finding(f"report.{code}", zh, en, column=where or None)


def check_filter(
    flt: Filter, dictionary: Dictionary, entities: frozenset[str], where: str = ""
) -> CheckedFilter:
    """Validate ``flt`` for a report over ``entities`` (the listed entity and its joins).

    Raises InvalidInput listing every problem found (not only the first).
    """
    findings: list[Finding] = []
    checked = _check(flt, dictionary, entities, where, findings)
    if findings:
        raise InvalidInput(findings)
    return checked


def _check(flt, dictionary, entities, where, findings):  # type: ignore[no-untyped-def]
    if isinstance(flt, AllOf):
        return CheckedAll(tuple(_check(p, dictionary, entities, where, findings) for p in flt.all))
    if isinstance(flt, AnyOf):
        return CheckedAny(tuple(_check(p, dictionary, entities, where, findings) for p in flt.any))
    return _condition(flt, dictionary, entities, where, findings)


def _condition(
    c: Condition, dictionary: Dictionary, entities: frozenset[str], where: str, out: list[Finding]
) -> Checked:
    f = dictionary.fields.get(c.field)
    if f is None:
        out.append(finding("report.filter.field", key=c.field, column=where))
        return Checked(_placeholder(c.field), c.op, None)
    if f.entity not in entities:
        out.append(
            finding("report.filter.entity", key=c.field, entities=sorted(entities), column=where)
        )
    try:
        value = canonical_operand(f, c.op, c.value, dictionary)
    except ValueProblem as problem:
        out.append(_problem(problem.code, problem.message_zh, problem.message_en, where))
        value = None
    return Checked(f, c.op, value)


def _placeholder(key: str) -> Field:
    entity = key.split(".", 1)[0]
    return Field(key, entity, key, key, "text", "general", "")


def canonical_operand(f: Field, op: str, raw: object, dictionary: Dictionary) -> object:
    """The canonical operand of ``f op raw``; ValueProblem says what is wrong with it."""
    label = f"{f.label_zh}（{f.key}）"
    if op in NULL_OPS:
        return None
    if op in AGE_OPS:
        if f.type != "date":
            raise ValueProblem(
                "filter.op", f"{label} 不是日期，不能按年龄筛选", f"{f.key} is not a date"
            )
        if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isdigit():
            raise ValueProblem(
                "filter.value", f"{label} 的年龄须为整数", "age must be a whole number"
            )
        return int(raw)
    if op in ORDER_OPS and f.type not in ORDERED_TYPES:
        raise ValueProblem(
            "filter.op", f"{label} 不能比较大小（{op}）", f"{f.key} cannot be compared with {op}"
        )
    if op == "contains":
        if f.type != "text" or not isinstance(raw, str) or not raw:
            raise ValueProblem(
                "filter.op",
                f"“包含”只适用于文本字段，{label} 不可用",
                f"contains needs a text field and a non-empty text, not {f.key}",
            )
        return raw
    if op in LIST_OPS:
        if not isinstance(raw, list | tuple) or not raw:
            raise ValueProblem(
                "filter.value", f"{label} 的 {op} 须给出取值列表", f"{op} needs a non-empty list"
            )
        return tuple(_one(f, v, dictionary) for v in raw)
    return _one(f, raw, dictionary)


def _one(f: Field, raw: object, dictionary: Dictionary) -> str:
    value = parse_for_field(f, raw, dictionary.code_tables)
    if value is None:
        raise ValueProblem(
            "filter.value",
            f"{f.label_zh}（{f.key}）的筛选值为空：空值请用 is_null",
            f"empty value for {f.key}: use is_null",
        )
    return value


def fields_of(flt: CheckedFilter | None) -> Iterator[Field]:
    """Every field a checked filter reads (for joins and access checks)."""
    if flt is None:
        return
    if isinstance(flt, Checked):
        yield flt.field
        return
    for part in flt.parts:
        yield from fields_of(part)


def conditions_of(flt: CheckedFilter | None) -> Iterator[Checked]:
    """Every single condition of a checked filter (for access checks on operators)."""
    if flt is None:
        return
    if isinstance(flt, Checked):
        yield flt
        return
    for part in flt.parts:
        yield from conditions_of(part)


def birth_cutoff(report_date: date, years: int) -> date:
    """The latest birth date of someone at least ``years`` old on ``report_date``.

    Born on or before it ⇔ age ≥ years (``derived.age_on``). When the report date is
    29 February and the cutoff year is common, the 28th is the last qualifying birth date.
    """
    year = report_date.year - years
    try:
        return report_date.replace(year=year)
    except ValueError:  # 29 Feb on a common year
        return date(year, 2, 28)
