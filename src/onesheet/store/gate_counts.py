"""Counts the Gate's burden estimate needs: rows per village a template would list.

One grouped query per template: the entity's sheet rows in scope that pass the template's
filter, counted per village, with a non-null count for each field the sheet answers (a
value the sheet lacks is a value the village still types). Conditions on fields the sheet
does not hold (drafts) cannot narrow the count and are skipped — the estimate then errs high,
which is the safe side for a burden figure.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Connection, Date, Integer, Numeric, Table, and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from onesheet.domain.template_spec import AllOf, AnyOf, Condition
from onesheet.store.report_query import live
from onesheet.store.schema import sheet_table, table

VILLAGE_DIGITS = 12
_COMPARE = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


def village_rows(
    conn: Connection,
    entity: str,
    flt: Condition | AllOf | AnyOf | None,
    fields: Sequence[str],
    *,
    org_prefix: str | None,
    today: date,
) -> dict[str, tuple[int, dict[str, int]]]:
    """village code → (rows passing the filter, {field: non-null values among them})."""
    t = sheet_table(entity)
    names = [f.split(".", 1)[1] for f in fields if f.split(".", 1)[1] in t.c]
    village = func.substr(t.c.org_code, 1, VILLAGE_DIGITS).label("village")
    cols = [village, func.count().label("n")]
    cols += [func.count(t.c[n]).label(f"f_{i}") for i, n in enumerate(names)]
    query = select(*cols).where(*live(entity, t)).group_by(village)
    where = _where(t, flt, today) if flt is not None else None
    if where is not None:
        query = query.where(where)
    if org_prefix:
        query = query.where(t.c.org_code.startswith(org_prefix))
    out: dict[str, tuple[int, dict[str, int]]] = {}
    for row in conn.execute(query):
        m = row._mapping
        filled = {f"{entity}.{n}": int(m[f"f_{i}"]) for i, n in enumerate(names)}
        out[m["village"]] = (int(m["n"]), filled)
    return out


def villages(conn: Connection, org_prefix: str | None) -> list[str]:
    """Village (community) codes in scope: the rows of an aggregate form."""
    t = table("org_unit")
    query = select(t.c.code).where(t.c.level == "village").order_by(t.c.code)
    if org_prefix:
        query = query.where(t.c.code.startswith(org_prefix))
    return list(conn.scalars(query))


def _where(t: Table, flt: Condition | AllOf | AnyOf, today: date) -> ColumnElement[bool] | None:
    if isinstance(flt, Condition):
        return _condition(t, flt, today)
    parts = [_where(t, p, today) for p in (flt.all if isinstance(flt, AllOf) else flt.any)]
    kept = [p for p in parts if p is not None]
    if not kept:
        return None
    return and_(*kept) if isinstance(flt, AllOf) else or_(*kept)


def _condition(t: Table, c: Condition, today: date) -> ColumnElement[bool] | None:
    name = c.field.split(".", 1)[1]
    if name not in t.c:
        return None
    col = t.c[name]
    if c.op in ("age_ge", "age_lt"):
        years = int(c.value)
        try:
            cutoff = today.replace(year=today.year - years)
        except ValueError:  # 29 February
            cutoff = today.replace(year=today.year - years, day=28)
        return col <= cutoff if c.op == "age_ge" else col > cutoff
    if c.op == "is_null":
        return col.is_(None)
    if c.op == "not_null":
        return col.is_not(None)
    if c.op in ("in", "not_in"):
        values = [_operand(col.type, v) for v in (c.value or [])]
        return col.in_(values) if c.op == "in" else col.not_in(values)
    if c.op == "contains":
        return col.contains(str(c.value))
    return _COMPARE[c.op](col, _operand(col.type, c.value))


def _operand(kind: object, raw: object) -> object:
    """A canonical string value as the sheet column's Python type."""
    text = str(raw)
    if isinstance(kind, Boolean):
        return text in ("1", "true", "True", "是")
    if isinstance(kind, Integer):
        return int(text)
    if isinstance(kind, Numeric):
        return Decimal(text)
    if isinstance(kind, Date):
        return date.fromisoformat(text)
    return text
