"""Row counts and whole-table reads for figures, progress bars and exports."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy import Connection, func, select

from onesheet.store.schema import sheet_table, table


def sheet_rows(conn: Connection, entities: Iterable[str]) -> dict[str, int]:
    """Rows per sheet table."""
    return {
        e: conn.execute(select(func.count()).select_from(sheet_table(e))).scalar_one()
        for e in entities
    }


def table_rows(conn: Connection, name: str) -> int:
    """Rows in one table."""
    return conn.execute(select(func.count()).select_from(table(name))).scalar_one()


def entities_in_county(conn: Connection, county_code: str) -> int:
    """Entities of any type held for a county."""
    ent = table("entity")
    q = select(func.count()).select_from(ent).where(ent.c.county_code == county_code)
    return conn.execute(q).scalar_one()


def stream_sheet(
    conn: Connection, entity: str, scope: str | None, *, batch: int = 5000
) -> Iterator[Mapping[str, Any]]:
    """The current view of ``entity`` under ``scope`` (an org-code prefix), in org then id
    order, streamed ``batch`` rows at a time."""
    t = sheet_table(entity)
    stmt = select(t).order_by(t.c.org_code, t.c.entity_id)
    if scope:
        stmt = stmt.where(t.c.org_code.startswith(scope))
    for row in conn.execute(stmt.execution_options(yield_per=batch)):
        yield row._mapping
