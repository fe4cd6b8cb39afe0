"""Helpers for integration tests: a small seeded county, raw log snapshots, signing in."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from onesheet.domain.access import CLI_ADMIN
from onesheet.services import bootstrap, org_tree
from onesheet.services.base import Store
from onesheet.services.seed import SeedResult, seed_county
from onesheet.store.schema import sheet_table, table
from tests.integration.dayone_files import write_divisions, write_households

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


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's form carries (fails the test when the page has none)."""
    found = _CSRF.search(html)
    assert found is not None, "the page carries no csrf_token"
    return found.group(1)


def sign_in(
    client: TestClient, username: str, password: str, next_: str | None = None
) -> httpx.Response:
    """Post the login form as a browser does (the token read from the login page), with
    ``next`` when given; the answer is returned as it is, redirect not followed."""
    data = {
        "username": username,
        "password": password,
        "csrf_token": csrf_of(client.get("/login").text),
    }
    if next_ is not None:
        data["next"] = next_
    return client.post("/login", data=data, follow_redirects=False)


def load_day_one(store: Store, folder: Path, as_of: date | None = None) -> None:
    """The county as on day one: its division codes (in force from 2023-06-30), then its
    households bootstrapped (as of ``as_of`` when given), from files written in ``folder``."""
    f = write_divisions(folder / "orgs.csv")
    org_tree.load_org_tree(store, CLI_ADMIN, f.read_bytes(), f.name, effective=date(2023, 6, 30))
    h = write_households(folder / "h.csv")
    bootstrap.bootstrap_population(store, CLI_ADMIN, h.read_bytes(), h.name, as_of=as_of)
