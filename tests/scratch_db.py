"""Throwaway PostgreSQL databases on the test (or bench) server.

Tests that need a database of their own — a clone of the migrated template, an empty one to
upgrade or restore into, a shard — create it on the server the session started and drop it
when done. The steps (an AUTOCOMMIT admin connection, ``CREATE DATABASE``, the URL with the
database name swapped in, ``DROP … WITH (FORCE)`` even when the test failed) live here once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text


def database_url(server_url: str, name: str) -> str:
    """``server_url`` with its database replaced by ``name``."""
    return server_url.rsplit("/", 1)[0] + "/" + name


def _as_admin(server_url: str, sql: str) -> None:
    """One statement outside a transaction (CREATE/DROP DATABASE refuse to run inside one)."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(sql))
    finally:
        admin.dispose()


def create_database(server_url: str, name: str, template: str | None = None) -> str:
    """Create database ``name`` (a copy of ``template`` when given) and return its URL."""
    clone = f' TEMPLATE "{template}"' if template else ""
    _as_admin(server_url, f'CREATE DATABASE "{name}"{clone}')
    return database_url(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    """Drop database ``name``, closing whatever connections a failed test left open."""
    _as_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def scratch_database(
    server_url: str, prefix: str, template: str | None = None, hex_digits: int = 12
) -> Iterator[str]:
    """A new database named ``prefix`` + random hex, yielded as a URL and dropped on exit."""
    name = f"{prefix}{uuid.uuid4().hex[:hex_digits]}"
    url = create_database(server_url, name, template)
    try:
        yield url
    finally:
        drop_database(server_url, name)
