"""How full each field of the dictionary is, per town (the catalogue's 填充率): counts only.

The database counts, Python only divides. Per entity type there is one grouped SELECT over
its sheet table that counts the rows of each unit and, in the same statement, the non-empty
cells of every stored built-in column, and one grouped SELECT over ``sheet_value`` (joined
to the same sheet rows, so both sides count the same people) for the county fields. Merged
people are left out as rosters leave them out. A unit is the org-code prefix of ``width``
digits: 9 for towns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Connection, func, literal_column, select

from onesheet.domain.dictionary import Dictionary
from onesheet.store.schema import sheet_table, table


@dataclass
class FillCounts:
    """``entities[(entity type, unit)]`` rows held; ``filled[(field key, unit)]`` cells
    holding a current value."""

    entities: dict[tuple[str, str], int] = field(default_factory=dict)
    filled: dict[tuple[str, str], int] = field(default_factory=dict)


def latest_batch(conn: Connection) -> int:
    """A mark that moves with every batch written: the sum of the counties' batch counters
    (``store/ids``: ``batch@<county>`` and its values lane), each advanced in the writing
    transaction, so counts taken at the same mark are still true (one small read). Not the
    newest batch id: the lanes take ids from different regions, so a batch of one lane may
    have a lower id than one already written by the other."""
    counters = table("id_counter")
    total = select(func.coalesce(func.sum(counters.c.next_value), 0)).where(
        counters.c.name.like("batch@%")
    )
    return int(conn.execute(total).scalar_one())


def fill_counts(
    conn: Connection,
    dictionary: Dictionary,
    entity_types: Iterable[str],
    *,
    county_code: str,
    scope: str | None,
    width: int = 9,
) -> FillCounts:
    """Rows and filled cells per unit for every stored field of ``entity_types`` in the
    county (under ``scope``, an org-code prefix)."""
    out = FillCounts()
    for entity in entity_types:
        t = sheet_table(entity)
        # literal bounds: the same SQL text in SELECT and GROUP BY (PostgreSQL compares them)
        unit = func.substr(t.c.org_code, literal_column("1"), literal_column(str(int(width))))
        where = _live_rows(t, entity, county_code, scope)
        stored = dictionary.for_entity(entity, stored_only=True)
        counted = [func.count(t.c[f.name]) for f in stored]
        q = select(unit, func.count(), *counted).where(*where).group_by(unit)
        for row in conn.execute(q):
            out.entities[(entity, row[0])] = int(row[1])
            for f, n in zip(stored, row[2:], strict=True):
                out.filled[(f.key, row[0])] = int(n)
        if not any(e == entity for e, _ in out.entities):
            continue
        sv = table("sheet_value")
        q = (
            select(sv.c.field_key, unit, func.count())
            .select_from(sv.join(t, t.c.entity_id == sv.c.entity_id))
            .where(sv.c.county_code == county_code, sv.c.entity_type == entity, *where)
            .group_by(sv.c.field_key, unit)
        )
        for key, code, n in conn.execute(q):
            out.filled[(key, code)] = int(n)
    return out


def _live_rows(t, entity: str, county_code: str, scope: str | None) -> list[ColumnElement[bool]]:  # type: ignore[no-untyped-def]
    where: list[ColumnElement[bool]] = [t.c.county_code == county_code]
    if scope:
        where.append(t.c.org_code.startswith(scope))
    if entity == "person":
        where.append(t.c.merged_into.is_(None))
    return where
