"""Helpers for integration tests: a small seeded county and raw log snapshots."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from onesheet.domain.access import CLI_ADMIN
from onesheet.services.base import Store
from onesheet.services.seed import SeedResult, seed_county
from onesheet.store.schema import sheet_table, table

COUNTY = "330523"


def seed_small(store: Store, people: int = 300, seed: int = 7) -> SeedResult:
    return seed_county(store, CLI_ADMIN, COUNTY, people=people, seed=seed, today=date(2026, 11, 1))


def log_rows(store: Store) -> list[tuple]:  # type: ignore[type-arg]
    """Every observation row, every column, in id order (for byte-identity checks)."""
    t = table("observation")
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(t).order_by(t.c.id))]


def first_person(store: Store, **where: object) -> dict:  # type: ignore[type-arg]
    t = sheet_table("person")
    q = select(t).order_by(t.c.entity_id)
    for col, value in where.items():
        q = q.where(t.c[col] == value)
    with store.engine.connect() as conn:
        return dict(conn.execute(q).first()._mapping)  # type: ignore[union-attr]
