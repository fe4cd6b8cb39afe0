"""The linkage review queue of grey-zone rows (``link_queue``).

Revision 0004 created the table and defines it; ``tables.build_metadata`` takes it from there.
"""

from __future__ import annotations

from sqlalchemy import Table

from onesheet.store.schema import metadata

LINK_TABLES = ("link_queue",)


def queue_table() -> Table:
    """The review queue table (registered in the schema at revision 4)."""
    return metadata().tables["link_queue"]
