"""Report specs compiled to SQL (SQLAlchemy Core, never string-built) over the current view.

A roster is one SELECT over the listed entity's sheet table, joined to the person's household
row and the household head's row only when a column or the filter needs them, limited to the
actor's org subtree and the filter, ordered by org unit, household and relationship, and read
through a server-side cursor. An aggregate is one GROUP BY over the child org units' code
prefix with one ``SUM(CASE …)`` per cell, so a county's 12-condition table is a single scan.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    ColumnElement,
    Connection,
    Numeric,
    Select,
    Text,
    TypeDecorator,
    and_,
    case,
    cast,
    false,
    func,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.sql.expression import ColumnClause

from onesheet.domain.dictionary import Field
from onesheet.domain.findings import Finding, InvalidInput
from onesheet.domain.report_columns import ColumnPlan
from onesheet.domain.report_filters import (
    Checked,
    CheckedAll,
    CheckedAny,
    CheckedFilter,
    birth_cutoff,
    fields_of,
)
from onesheet.domain.template_spec import Column
from onesheet.store.schema import sheet_table, table
from onesheet.store.sheet_view import to_column


class CanonicalValue(TypeDecorator):  # type: ignore[type-arg]
    """A county field's canonical text (``sheet_value.value``) read as the typed value a
    sheet column of that type would give (dates, booleans, numbers), so the report's cell
    converters treat county and built-in columns alike."""

    impl = Text
    cache_ok = True

    def __init__(self, value_type: str) -> None:
        super().__init__()
        self.value_type = value_type

    def process_result_value(self, value, dialect):  # type: ignore[no-untyped-def]
        return to_column(self.value_type, value)


YIELD_PER = 2000
MAX_CODE = 20  # org_unit.code length


@dataclass(frozen=True)
class Sources:
    """The tables a report reads: the listed entity and, if needed, household and head rows."""

    entity: str
    main: object  # Table or Alias
    household: object | None = None
    head: object | None = None
    members: object | None = None
    house: object | None = None  # the house the (person's) household lives in
    # county fields read: field key → (its ``sheet_value`` alias, the table it joins to)
    county: Mapping[str, tuple[object, object]] = field(default_factory=dict)

    def table_for(self, entity: str):  # type: ignore[no-untyped-def]
        if entity == self.entity:
            return self.main
        if entity == "household" and self.household is not None:
            return self.household
        if entity == "house" and self.house is not None:
            return self.house
        raise KeyError(entity)


def in_subtree(col: ColumnClause, org_code: str) -> ColumnElement[bool]:
    """``col`` lies in the subtree rooted at ``org_code``.

    Codes are digits nesting by prefix, so the subtree is the range ``code .. code999…`` —
    a range the (county_code, org_code) index serves on both backends, whatever the
    collation, where ``LIKE 'code%'`` would not on SQLite.
    """
    return and_(col >= org_code, col <= org_code.ljust(MAX_CODE, "9"))


def live(entity: str, main) -> list[ColumnElement[bool]]:  # type: ignore[no-untyped-def]
    """Rows that count: a person merged into another by record linkage is history only."""
    return [main.c.merged_into.is_(None)] if entity == "person" else []


def sources_for(
    entity: str,
    plans: Sequence[ColumnPlan],
    flt: CheckedFilter | None,
    *,
    with_household: bool = False,
    extra_fields: Iterable[Field] = (),
) -> Sources:
    """Join the household/head/member rows only when a column or the filter reads them,
    and one ``sheet_value`` row per county field a column, the filter or ``extra_fields``
    reads (an outer join on (entity, field): a county column costs one index lookup)."""
    main = sheet_table(entity)
    used = {p.source for p in plans}
    wanted = [
        p.field for p in plans if p.field is not None and p.source in ("self", "household", "house")
    ]
    wanted += [*fields_of(flt), *extra_fields]
    county_fields = list({f.key: f for f in wanted if f.county_code is not None}.values())
    with_household = with_household or any(
        f.entity in ("household", "house") for f in county_fields
    )
    needs_house = entity in ("person", "household") and (
        "house" in used or any(f.entity == "house" for f in [*fields_of(flt), *county_fields])
    )
    household_filter = with_household or any(f.entity == "household" for f in fields_of(flt))
    needs_household = entity == "person" and (
        bool({"household", "head", "members"} & used) or household_filter or needs_house
    )
    household = sheet_table("household").alias("hh") if needs_household else None
    if entity == "household":
        household = main
    head = sheet_table("person").alias("head") if "head" in used else None
    members = None
    if "members" in used:
        p = sheet_table("person").alias("member")
        members = (
            select(p.c.household.label("household_id"), func.count().label("n"))
            .where(p.c.household.is_not(None))
            .group_by(p.c.household)
            .subquery("members")
        )
    house = sheet_table("house").alias("hs") if needs_house else None
    county: dict[str, tuple[object, object]] = {}
    for i, f in enumerate(county_fields):
        base = {entity: main, "household": household, "house": house}.get(f.entity)
        if base is None:
            continue  # not joinable: the filter check names it
        county[f.key] = (table("sheet_value").alias(f"cv{i}"), base)
    return Sources(entity, main, household, head, members, house, county)


def value_of(src: Sources, f: Field):  # type: ignore[no-untyped-def]
    """The typed SELECT expression for field ``f`` (a sheet column or a county value)."""
    if f.county_code is not None:
        alias, _ = src.county[f.key]
        return type_coerce(alias.c.value, CanonicalValue(f.type))  # type: ignore[attr-defined]
    return src.table_for(f.entity).c[f.name]


def _county_compare(src: Sources, f: Field):  # type: ignore[no-untyped-def]
    """A county field's value as compared in WHERE, and how operands are typed to match:
    numbers cast to NUMERIC; other canonical texts compare as text (ISO dates sort right)."""
    alias, _ = src.county[f.key]
    raw = alias.c.value  # type: ignore[attr-defined]
    if f.type in ("integer", "decimal"):
        return cast(raw, Numeric(20, 4)), lambda v: Decimal(str(v))
    return raw, lambda v: v.isoformat() if isinstance(v, date) else str(v)


def from_clause(src: Sources):  # type: ignore[no-untyped-def]
    """The main table with its outer joins."""
    joined = src.main
    hh = src.household
    if src.entity == "person" and hh is not None:
        joined = joined.outerjoin(hh, hh.c.entity_id == src.main.c.household)
    if src.head is not None and hh is not None:
        joined = joined.outerjoin(src.head, src.head.c.entity_id == hh.c.head)
    if src.members is not None and hh is not None:
        joined = joined.outerjoin(src.members, src.members.c.household_id == hh.c.entity_id)
    if src.house is not None and hh is not None:
        joined = joined.outerjoin(src.house, src.house.c.entity_id == hh.c.house)  # type: ignore[attr-defined]
    for key, (alias, base) in src.county.items():
        joined = joined.outerjoin(
            alias,
            and_(alias.c.entity_id == base.c.entity_id, alias.c.field_key == key),  # type: ignore[attr-defined]
        )
    return joined


def _plan_column(plan: ColumnPlan, src: Sources):  # type: ignore[no-untyped-def]
    """The SELECT expression for one column, or None if the value is not read from SQL."""
    county = plan.field is not None and plan.field.county_code is not None
    if county and plan.source in ("self", "household", "house"):
        return value_of(src, plan.field)  # type: ignore[arg-type]
    match plan.source:
        case "self" | "age":
            return src.main.c[plan.column_name]
        case "household":
            return src.household.c[plan.column_name]  # type: ignore[union-attr]
        case "head":
            return src.head.c[plan.column_name]  # type: ignore[union-attr]
        case "members":
            return func.coalesce(src.members.c.n, 0)  # type: ignore[union-attr]
        case "house":
            return src.house.c[plan.column_name]  # type: ignore[union-attr]
    return None


def roster_select(
    src: Sources,
    plans: Sequence[ColumnPlan],
    flt: CheckedFilter | None,
    *,
    county_code: str,
    org_code: str,
    report_date: date,
    label_column: str | None = None,
) -> Select:  # type: ignore[type-arg]
    """The roster's rows: ``entity_id, org_code, household_id, [label], c0 … cN``.

    ``plans`` are the columns the actor may see; hidden columns are simply not selected.
    ``label_column`` (a name) names each row on the 待采集 list.
    """
    main = src.main
    household_key = main.c.household if src.entity == "person" else None
    cols = [
        main.c.entity_id,
        main.c.org_code,
        (household_key if household_key is not None else main.c.entity_id).label("household_id"),
    ]
    if label_column is not None:
        cols.append(main.c[label_column].label("label"))
    for plan in plans:
        expr = _plan_column(plan, src)
        if expr is not None:
            cols.append(expr.label(f"c{plan.index}"))
    stmt = select(*cols).select_from(from_clause(src))
    stmt = stmt.where(main.c.county_code == county_code, in_subtree(main.c.org_code, org_code))
    stmt = stmt.where(*live(src.entity, main))
    if flt is not None:
        stmt = stmt.where(condition_sql(flt, src, report_date))
    order = [main.c.org_code]
    if src.entity == "person":
        order += [main.c.household.nulls_last(), main.c.relationship_to_head.nulls_last()]
    return stmt.order_by(*order, main.c.entity_id)


def stream_rows(conn: Connection, stmt: Select, yield_per: int = YIELD_PER) -> Iterator:  # type: ignore[type-arg]
    """Rows through a server-side cursor (PostgreSQL) / lazy cursor (SQLite), in batches."""
    result = conn.execute(stmt.execution_options(stream_results=True, yield_per=yield_per))
    try:
        for batch in result.partitions():
            yield from batch
    finally:
        result.close()


def condition_sql(flt: CheckedFilter, src: Sources, report_date: date) -> ColumnElement[bool]:
    """A checked filter as a WHERE expression (typed parameters, never text)."""
    if isinstance(flt, CheckedAll):
        return and_(true(), *(condition_sql(p, src, report_date) for p in flt.parts))
    if isinstance(flt, CheckedAny):
        return or_(false(), *(condition_sql(p, src, report_date) for p in flt.parts))
    return _condition(flt, src, report_date)


def _condition(c: Checked, src: Sources, report_date: date) -> ColumnElement[bool]:
    f = c.field
    try:
        t = src.table_for(f.entity)
    except KeyError:
        raise _bad(
            f"筛选字段 {f.key} 不属于本报表的对象", f"filter field {f.key} not joinable"
        ) from None
    if f.key.endswith(".age") and f.derived_from:
        return _age_field(c, t.c[f.derived_from.split(".", 1)[1]], report_date)
    if not f.stored:
        raise _bad(f"派生字段 {f.key} 不能用于筛选", f"derived field {f.key} cannot be filtered")
    if f.county_code is not None:
        col, typed = _county_compare(src, f)
        day = typed
    else:
        col = t.c[f.name]
        typed = (lambda v: to_column(f.type, v)) if f.type != "ref" else int
        day = lambda v: v  # noqa: E731
    match c.op:
        case "eq":
            return col == typed(c.value)
        case "ne":
            return col.is_distinct_from(typed(c.value))
        case "gt":
            return col > typed(c.value)
        case "ge":
            return col >= typed(c.value)
        case "lt":
            return col < typed(c.value)
        case "le":
            return col <= typed(c.value)
        case "in":
            return col.in_([typed(v) for v in c.value])  # type: ignore[attr-defined]
        case "not_in":
            return or_(col.is_(None), col.not_in([typed(v) for v in c.value]))  # type: ignore[attr-defined]
        case "is_null":
            return col.is_(None)
        case "not_null":
            return col.is_not(None)
        case "contains":
            return col.contains(str(c.value), autoescape=True)
        case "age_ge":
            return col <= day(birth_cutoff(report_date, int(c.value)))  # type: ignore[call-overload]
        case "age_lt":
            return col > day(birth_cutoff(report_date, int(c.value)))  # type: ignore[call-overload]
    raise _bad(f"不支持的运算符 {c.op}", f"unsupported operator {c.op}")


def _age_field(c: Checked, birth: ColumnClause, report_date: date) -> ColumnElement[bool]:
    """Conditions on the derived age, as ranges of birth dates (so the index can serve)."""
    if c.op in ("is_null", "not_null"):
        return birth.is_(None) if c.op == "is_null" else birth.is_not(None)
    n = int(str(c.value))

    def at_least(years: int) -> ColumnElement[bool]:
        return birth <= birth_cutoff(report_date, years)

    def under(years: int) -> ColumnElement[bool]:
        return birth > birth_cutoff(report_date, years)

    match c.op:
        case "ge" | "age_ge":
            return at_least(n)
        case "gt":
            return at_least(n + 1)
        case "lt" | "age_lt":
            return under(n)
        case "le":
            return under(n + 1)
        case "eq":
            return and_(at_least(n), under(n + 1))
        case "ne":
            return or_(birth.is_(None), under(n), at_least(n + 1))
    raise _bad(f"年龄不支持运算符 {c.op}", f"operator {c.op} is not supported on age")


def _bad(zh: str, en: str) -> InvalidInput:
    return InvalidInput([Finding("report.filter", zh, en)])


# ------------------------------------------------------------------------------ aggregate
@dataclass(frozen=True)
class ChildOrg:
    code: str
    name: str


def child_orgs(conn: Connection, org_code: str) -> list[ChildOrg]:
    """The org units directly below ``org_code``, in code order (the aggregate's rows)."""
    t = table("org_unit")
    q = select(t.c.code, t.c.name).where(t.c.parent_code == org_code).order_by(t.c.code)
    return [ChildOrg(r.code, r.name) for r in conn.execute(q)]


def units_at(conn: Connection, org_code: str, level: str) -> list[ChildOrg]:
    """The org units of ``level`` (town/village/grid) inside ``org_code``'s subtree."""
    t = table("org_unit")
    q = (
        select(t.c.code, t.c.name)
        .where(t.c.level == level, in_subtree(t.c.code, org_code))
        .order_by(t.c.code)
    )
    return [ChildOrg(r.code, r.name) for r in conn.execute(q)]


def aggregate_select(
    src: Sources,
    cells: Mapping[int, tuple[Column, CheckedFilter | None, Field | None]],
    *,
    county_code: str,
    org_code: str,
    child_length: int,
    report_date: date,
) -> Select:  # type: ignore[type-arg]
    """``child, a{i} …``: per child org unit, each count/sum cell under its condition.

    ``cells`` maps column index → (column, checked condition, the field summed or None).
    """
    main = src.main
    child = func.substr(main.c.org_code, 1, child_length).label("child")
    exprs = [child]
    for i, (col, cond, summed) in cells.items():
        where = condition_sql(cond, src, report_date) if cond is not None else None
        if col.kind == "count":
            value = func.count() if where is None else func.sum(case((where, 1), else_=0))
        else:
            target = None
            if summed is not None and summed.county_code is not None:
                target = _county_compare(src, summed)[0]
            elif summed is not None:
                target = src.table_for(summed.entity).c[summed.name]
            if target is None:
                raise _bad(
                    f"第 {col.letter} 列求和缺少字段", f"sum column {col.letter} needs a field"
                )
            value = func.sum(target if where is None else case((where, target), else_=None))
        exprs.append(value.label(f"a{i}"))
    return (
        select(*exprs)
        .select_from(from_clause(src))
        .where(main.c.county_code == county_code, in_subtree(main.c.org_code, org_code))
        .where(*live(src.entity, main))
        .group_by(child)
    )
