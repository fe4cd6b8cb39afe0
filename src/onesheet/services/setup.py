"""Setting up a database: schema migrations and the reference data every county shares."""

from __future__ import annotations

from onesheet.domain.access import Actor
from onesheet.services.base import Store, service
from onesheet.store import county_fields, departments, migrate, users
from onesheet.store.db import NOT_READY


@service("setup_init", permission="users.manage", audit=None)
def init_database(store: Store, actor: Actor) -> str | None:
    """Create or upgrade the schema and load departments and default field grants.

    Safe to run again: migrations only add, and reference rows already there are kept.
    Returns the schema revision.
    """
    migrate.upgrade(store.engine)
    with store.transaction() as conn:
        departments.add_missing(conn, store.dictionary.departments.values())
        if not users.load_grants(conn):
            users.replace_grants(conn, store.grants.values())
    return migrate.current_revision(store.engine)


def open_store(url: str) -> Store:
    """The store for ``url`` with its dictionary including the county's own fields (a
    database not initialised yet has none: ``onesheet init`` creates their tables)."""
    store = Store.from_url(url)
    try:
        with store.engine.connect() as conn:
            county_fields.refresh(store, conn)
    except NOT_READY:
        pass
    return store
