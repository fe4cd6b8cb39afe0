"""What the sheet's short lists read: people found by name, ID number or flag, and open
conflicts with the names of the people they are on.

``services/sheet_read.py`` decides who may ask what (visibility, masking, rationing of
full-number lookups) and audits the read; the statements live here so the service holds no
SQL (``tests/contract/test_layers.py``). A list is always scoped to a subtree and ordered
by org unit then entity id: an order that never depends on a value a viewer may see only
masked.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from sqlalchemy import ColumnElement, Connection, select

from onesheet.store.report_query import in_subtree, live
from onesheet.store.schema import sheet_table, table


@dataclass(frozen=True)
class PersonWhere:
    """Which people a list asks for; every given part must hold."""

    name_prefix: str | None = None
    id_number: str | None = None  # the whole number
    id_prefix: str | None = None
    flags: tuple[str, ...] = ()  # person columns (``is_dibao`` …) that must be true
    born_by: date | None = None  # birth date on or before
    live_only: bool = False  # leave out people merged into another by record linkage


class PersonListRow(NamedTuple):
    """A person as a list shows them (the ID number as stored: the caller masks it)."""

    entity_id: int
    name: str | None
    id_number: str | None
    gender: str | None
    birth_date: date | None
    org_code: str
    org_name: str | None


def _conditions(where: PersonWhere) -> list[ColumnElement[bool]]:
    t = sheet_table("person")
    conds = live("person", t) if where.live_only else []
    if where.name_prefix is not None:
        conds.append(t.c.name.startswith(where.name_prefix, autoescape=True))
    if where.id_number is not None:
        conds.append(t.c.id_number == where.id_number)
    if where.id_prefix is not None:
        conds.append(t.c.id_number.startswith(where.id_prefix))
    if where.born_by is not None:
        conds.append(t.c.birth_date <= where.born_by)
    conds += [t.c[flag].is_(True) for flag in where.flags]
    return conds


def find_people(
    conn: Connection,
    where: PersonWhere,
    *,
    county_code: str | None,
    org_code: str | None,
    limit: int,
) -> list[PersonListRow]:
    """People matching ``where`` in the subtree of ``org_code`` (everywhere when None), with
    their unit's name joined in the same read, by org unit then entity id."""
    t, units = sheet_table("person"), table("org_unit")
    stmt = (
        select(
            t.c.entity_id,
            t.c.name,
            t.c.id_number,
            t.c.gender,
            t.c.birth_date,
            t.c.org_code,
            units.c.name.label("org_name"),
        )
        .outerjoin(units, units.c.code == t.c.org_code)
        .where(*_conditions(where))
    )
    if org_code:  # a code range on the (county_code, org_code) index, not a LIKE
        stmt = stmt.where(t.c.county_code == county_code, in_subtree(t.c.org_code, org_code))
    stmt = stmt.order_by(t.c.org_code, t.c.entity_id).limit(limit)
    return [PersonListRow(*r) for r in conn.execute(stmt)]


class ConflictRow(NamedTuple):
    """An open conflict as stored: the disagreeing sides decoded from JSON."""

    entity_id: int
    entity_type: str
    field_key: str
    org_code: str
    values: list[dict[str, object]]


def open_conflicts(
    conn: Connection, *, org_code: str | None, entity_id: int | None, limit: int
) -> list[ConflictRow]:
    """Open conflicts under ``org_code`` (or on one entity), by org unit then entity id."""
    t = table("conflict")
    stmt = select(t).order_by(t.c.org_code, t.c.entity_id).limit(limit)
    if entity_id is not None:
        stmt = stmt.where(t.c.entity_id == entity_id)
    if org_code:
        stmt = stmt.where(t.c.org_code.startswith(org_code))
    return [
        ConflictRow(r.entity_id, r.entity_type, r.field_key, r.org_code, json.loads(r.detail))
        for r in conn.execute(stmt)
    ]


def person_names(conn: Connection, entity_ids: Iterable[int]) -> dict[int, str | None]:
    """entity id → the person's name, for the people among ``entity_ids``."""
    wanted = set(entity_ids)
    if not wanted:
        return {}
    p = sheet_table("person")
    return dict(
        conn.execute(select(p.c.entity_id, p.c.name).where(p.c.entity_id.in_(wanted))).all()
    )  # type: ignore[arg-type]
