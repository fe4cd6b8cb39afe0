"""Org units in the database: bulk insert and subtree reads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, insert, select

from onesheet.domain.orgunits import OrgUnit
from onesheet.store.schema import table


def insert_orgs(conn: Connection, orgs: Sequence[OrgUnit]) -> int:
    """Add org units that are not there yet; returns how many were added."""
    t = table("org_unit")
    existing = set(conn.execute(select(t.c.code)).scalars())
    rows = [
        {
            "code": o.code,
            "name": o.name,
            "level": o.level,
            "parent_code": o.parent_code,
            "county_code": o.county_code,
            "kind": o.kind,
            "source": o.source,
        }
        for o in orgs
        if o.code not in existing
    ]
    if rows:
        conn.execute(insert(t), rows)
    return len(rows)


def list_orgs(conn: Connection, under: str | None = None) -> list[OrgUnit]:
    """Org units in code order, optionally only the subtree rooted at ``under``."""
    t = table("org_unit")
    q = select(t).order_by(t.c.code)
    if under:
        q = q.where(t.c.code.startswith(under, autoescape=True))
    return [
        OrgUnit(
            code=r.code,
            name=r.name,
            level=r.level,
            parent_code=r.parent_code,
            county_code=r.county_code,
            kind=r.kind,
            source=r.source,
        )
        for r in conn.execute(q)
    ]


def first_county(conn: Connection) -> str | None:
    """The lowest county code in the org tree (None before a tree is loaded): the county a
    decision applies to when neither the request nor the actor names one."""
    t = table("org_unit")
    return conn.execute(select(t.c.county_code).order_by(t.c.county_code).limit(1)).scalar()


def get_org(conn: Connection, code: str) -> OrgUnit | None:
    """One org unit by code."""
    found = list_orgs(conn, code)
    return next((o for o in found if o.code == code), None)


def names_by_code(conn: Connection, county_code: str | None = None) -> dict[str, str]:
    """code → name for every unit (a county has at most a few thousand)."""
    t = table("org_unit")
    q = select(t.c.code, t.c.name)
    if county_code:
        q = q.where(t.c.county_code == county_code)
    return dict(conn.execute(q).all())


def org_names(conn: Connection, codes: Iterable[str]) -> dict[str, str]:
    """code → name for just ``codes`` (a page needs a few; a county holds thousands)."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    t = table("org_unit")
    return dict(conn.execute(select(t.c.code, t.c.name).where(t.c.code.in_(wanted))).all())  # type: ignore[arg-type]
