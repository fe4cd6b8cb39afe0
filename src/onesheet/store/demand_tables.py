"""Tables of demands on villages (涉村事项): registrations, Gate decisions, village flags.

``demand_tables(md)`` adds them to a MetaData, as migration 0011 created and defines them;
``store.schema.metadata()`` calls it.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from onesheet.store.migrations.frozen import revision_module

DEMAND_TABLES = ("demand", "demand_decision", "demand_flag")


def demand_tables(md: MetaData) -> None:
    """Add the demand tables to ``md`` (once; revision 0011's definition)."""
    if "demand" in md.tables:
        return
    revision_module("0011").tables(md)
