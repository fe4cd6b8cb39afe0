"""Counts the Gate's burden estimate needs: rows per village a template would list.

One grouped query per template: the entity's sheet rows in scope that pass the template's
filter, counted per village, with a non-null count for each field the sheet answers (a
value the sheet lacks is a value the village still types). The filter is compiled by the
report query builder, so the Gate counts exactly the rows the report would list. Conditions
on fields the sheet does not hold (drafts) cannot narrow the count and are dropped first —
the estimate then errs high, which is the safe side for a burden figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Connection, func, select

from onesheet.domain.dictionary import Dictionary
from onesheet.domain.report_filters import check_filter
from onesheet.domain.template_spec import AllOf, AnyOf, Condition
from onesheet.store.report_query import (
    condition_sql,
    from_clause,
    live,
    sources_for,
    value_of,
)
from onesheet.store.schema import table

VILLAGE_DIGITS = 12
Filter = Condition | AllOf | AnyOf


def village_rows(
    conn: Connection,
    dictionary: Dictionary,
    entity: str,
    flt: Filter | None,
    fields: Sequence[str],
    *,
    org_prefix: str | None,
    today: date,
) -> dict[str, tuple[int, dict[str, int]]]:
    """village code → (rows passing the filter, {field: non-null values among them})."""
    kept = _known(flt, dictionary) if flt is not None else None
    entities = frozenset({entity, "household"} if entity == "person" else {entity})
    checked = check_filter(kept, dictionary, entities) if kept is not None else None
    county = [dictionary.fields[f] for f in fields if _is_county(dictionary, f, entity)]
    src = sources_for(entity, [], checked, extra_fields=county)
    t = src.main
    names = [f.split(".", 1)[1] for f in fields if f.split(".", 1)[1] in t.c]
    village = func.substr(t.c.org_code, 1, VILLAGE_DIGITS).label("village")
    cols = [village, func.count().label("n")]
    cols += [func.count(t.c[n]).label(f"f_{i}") for i, n in enumerate(names)]
    # county fields: their values are ``sheet_value`` rows, counted through the outer join
    cols += [func.count(value_of(src, f)).label(f"c_{i}") for i, f in enumerate(county)]
    query = select(*cols).select_from(from_clause(src)).where(*live(entity, t))
    if checked is not None:
        query = query.where(condition_sql(checked, src, today))
    query = query.group_by(village)
    if org_prefix:
        query = query.where(t.c.org_code.startswith(org_prefix))
    out: dict[str, tuple[int, dict[str, int]]] = {}
    for row in conn.execute(query):
        m = row._mapping
        filled = {f"{entity}.{n}": int(m[f"f_{i}"]) for i, n in enumerate(names)}
        filled.update({f.key: int(m[f"c_{i}"]) for i, f in enumerate(county)})
        out[m["village"]] = (int(m["n"]), filled)
    return out


def _is_county(dictionary: Dictionary, key: str, entity: str) -> bool:
    f = dictionary.fields.get(key)
    return f is not None and f.county_code is not None and f.entity == entity


def villages(conn: Connection, org_prefix: str | None) -> list[str]:
    """Village (community) codes in scope: the rows of an aggregate form."""
    t = table("org_unit")
    query = select(t.c.code).where(t.c.level == "village").order_by(t.c.code)
    if org_prefix:
        query = query.where(t.c.code.startswith(org_prefix))
    return list(conn.scalars(query))


def _known(flt: Filter, dictionary: Dictionary) -> Filter | None:
    """``flt`` without the conditions on fields the dictionary does not hold (yet)."""
    if isinstance(flt, Condition):
        return flt if flt.field in dictionary.fields else None
    parts = [p for p in (_known(q, dictionary) for q in _parts(flt)) if p is not None]
    if not parts:
        return None
    return AllOf(**{"and": parts}) if isinstance(flt, AllOf) else AnyOf(**{"or": parts})


def _parts(flt: AllOf | AnyOf) -> list[Filter]:
    return list(flt.all if isinstance(flt, AllOf) else flt.any)
