"""Reads the place import needs: the places of a county (or subtree) as linkage compares them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, select

from onesheet.store.schema import sheet_table, table


def sheet_places(
    conn: Connection, county_code: str, org_prefix: str | None = None
) -> list[dict[str, Any]]:
    """Every place of the county (or of the subtree ``org_prefix``): name, address and kind
    — what a place is known by — and where it lies."""
    p = sheet_table("place")
    q = select(p.c.entity_id, p.c.org_code, p.c.name, p.c.address, p.c.kind).where(
        p.c.county_code == county_code
    )
    if org_prefix and org_prefix != county_code:
        q = q.where(p.c.org_code.startswith(org_prefix, autoescape=True))
    return [dict(r._mapping) for r in conn.execute(q.order_by(p.c.entity_id))]


def grids(conn: Connection, county_code: str) -> list[tuple[str, str]]:
    """(code, name) of the county's grids: a 所属网格 column places a place below its
    village (grid names repeat across villages — 第一网格 — so they are read within one)."""
    org = table("org_unit")
    q = select(org.c.code, org.c.name).where(
        and_(org.c.county_code == county_code, org.c.level == "grid")
    )
    return [(str(c), str(n)) for c, n in conn.execute(q.order_by(org.c.code))]
