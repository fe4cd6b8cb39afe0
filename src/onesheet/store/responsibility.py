"""A county's village responsibility lists (村级事项清单), stored per county."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, delete, func, insert, select

from onesheet.domain.responsibility import Item
from onesheet.store.schema import table


def replace_lists(conn: Connection, county_code: str, items: Sequence[Item]) -> int:
    """Replace the county's lists with ``items`` (a new list file supersedes the old one)."""
    t = table("responsibility_item")
    conn.execute(delete(t).where(t.c.county_code == county_code))
    if items:
        conn.execute(
            insert(t),
            [
                {
                    "county_code": county_code,
                    "code": i.code,
                    "list_kind": i.list_kind,
                    "category": i.category,
                    "item": i.item,
                    "source": i.source,
                }
                for i in items
            ],
        )
    return len(items)


def list_items(conn: Connection, county_code: str) -> list[Item]:
    """The county's items, by list then code."""
    t = table("responsibility_item")
    rows = conn.execute(
        select(t).where(t.c.county_code == county_code).order_by(t.c.list_kind, t.c.code)
    )
    return [Item(r.code, r.list_kind, r.category, r.item, r.source) for r in rows]


def count_items(conn: Connection, county_code: str) -> int:
    t = table("responsibility_item")
    return conn.scalar(select(func.count()).where(t.c.county_code == county_code)) or 0


def counties(conn: Connection) -> list[str]:
    """County codes known to the installation (from the org tree)."""
    t = table("org_unit")
    return list(conn.scalars(select(t.c.county_code).distinct().order_by(t.c.county_code)))


def loaded_counties(conn: Connection) -> list[str]:
    """Counties whose lists have been loaded."""
    t = table("responsibility_item")
    return list(conn.scalars(select(t.c.county_code).distinct().order_by(t.c.county_code)))
