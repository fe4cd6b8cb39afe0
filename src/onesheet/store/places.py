"""Reads the place import needs: the places of a county (or subtree) as linkage compares them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from onesheet.store.schema import sheet_table


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
