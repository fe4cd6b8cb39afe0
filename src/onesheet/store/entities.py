"""Where entities are and who holds a key: the small reads a write checks before it records.

``services/sheet_write.py`` asks these before recording values (the entity's place for the
actor's scope, the entities a reference points at, whether another person holds an ID
number, the sides of a conflict being settled); they live here so the service holds no SQL
(``tests/contract/test_layers.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import Connection, select

from onesheet.store.schema import sheet_table, table


class Placement(NamedTuple):
    """An entity's type and where it lies."""

    entity_type: str
    org_code: str
    county_code: str


def placement(conn: Connection, entity_id: int) -> Placement | None:
    """The type, org unit and county of ``entity_id`` (None when there is no such entity)."""
    ent = table("entity")
    row = conn.execute(
        select(ent.c.entity_type, ent.c.org_code, ent.c.county_code).where(ent.c.id == entity_id)
    ).one_or_none()
    return Placement(*row) if row is not None else None


def placements(conn: Connection, entity_ids: Iterable[int]) -> dict[int, Placement]:
    """``placement`` of each of ``entity_ids`` that exists."""
    ent = table("entity")
    rows = conn.execute(
        select(ent.c.id, ent.c.entity_type, ent.c.org_code, ent.c.county_code).where(
            ent.c.id.in_(list(entity_ids))
        )
    )
    return {r.id: Placement(r.entity_type, r.org_code, r.county_code) for r in rows}


def id_number_holder(conn: Connection, id_number: str, other_than: int) -> tuple[int, str] | None:
    """(entity id, org code) of a person other than ``other_than`` holding ``id_number``."""
    t = sheet_table("person")
    row = conn.execute(
        select(t.c.entity_id, t.c.org_code).where(
            t.c.id_number == id_number, t.c.entity_id != other_than
        )
    ).first()
    return (row.entity_id, row.org_code) if row is not None else None


def conflict_detail(conn: Connection, entity_id: int, field_key: str) -> str | None:
    """The open conflict's sides as stored (JSON text), or None when the field is settled."""
    t = table("conflict")
    return conn.execute(
        select(t.c.detail).where(t.c.entity_id == entity_id, t.c.field_key == field_key)
    ).scalar_one_or_none()
