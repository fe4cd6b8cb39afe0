"""Tables and columns for a real county's first day (revision 0009).

* ``org_event``: every dated change of the org tree after it was first loaded — a unit
  created, renamed, reclassed (村 → 社区, a new 城乡分类代码) or merged into another. Nothing
  is deleted: a merged unit keeps its row with ``merged_into`` and ``ended_on`` set, and the
  name a unit had on a day is read back from the events (``store/org_events.py``).
* ``org_unit.urban_rural``: the NBS 城乡分类代码 (111 主城区 … 220 村庄) of a village.
* ``app_user``: the person behind an account (full name, phone), whether the password must
  be changed at the next sign-in (imported accounts start with a one-time password), when the
  password was last set, and the last sign-in.

``dayone_tables(md)`` adds them to the MetaData ``store.schema.metadata()`` assembles, as
migration 0009 created and defines them.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from onesheet.store.migrations.frozen import revision_module
from onesheet.store.tables import add_columns

DAYONE_TABLES = ("org_event",)


def dayone_tables(md: MetaData) -> None:
    """Add the day-one table and columns to ``md`` (the application's metadata)."""
    day_one = revision_module("0009")
    day_one.org_event(md)
    add_columns(md, "org_unit", day_one.org_unit_columns())
    add_columns(md, "app_user", day_one.app_user_columns())
