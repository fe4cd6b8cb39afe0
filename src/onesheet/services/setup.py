"""Setting up a database: schema migrations and the reference data every county shares."""

from __future__ import annotations

from sqlalchemy import insert, select

from onesheet.domain.access import Actor
from onesheet.services.base import Store, service
from onesheet.store import migrate, users
from onesheet.store.schema import table


@service("setup_init", permission="users.manage", audit=None)
def init_database(store: Store, actor: Actor) -> str | None:
    """Create or upgrade the schema and load departments and default field grants.

    Safe to run again: migrations only add, and reference rows already there are kept.
    Returns the schema revision.
    """
    migrate.upgrade(store.engine)
    with store.transaction() as conn:
        dept = table("department")
        have = set(conn.execute(select(dept.c.key)).scalars())
        rows = [
            {"key": d.key, "name_zh": d.name_zh, "name_en": d.name_en}
            for d in store.dictionary.departments.values()
            if d.key not in have
        ]
        if rows:
            conn.execute(insert(dept), rows)
        if not users.load_grants(conn):
            users.replace_grants(conn, store.grants.values())
    return migrate.current_revision(store.engine)
