"""Tables and columns for a real county's first day (revision 0009).

* ``org_event``: every dated change of the org tree after it was first loaded — a unit
  created, renamed, reclassed (村 → 社区, a new 城乡分类代码) or merged into another. Nothing
  is deleted: a merged unit keeps its row with ``merged_into`` and ``ended_on`` set, and the
  name a unit had on a day is read back from the events (``store/org_events.py``).
* ``org_unit.urban_rural``: the NBS 城乡分类代码 (111 主城区 … 220 村庄) of a village.
* ``app_user``: the person behind an account (full name, phone), whether the password must
  be changed at the next sign-in (imported accounts start with a one-time password), when the
  password was last set, and the last sign-in.

``dayone_tables(md)`` adds them to the MetaData ``store.schema.metadata()`` assembles;
migration 0009 creates them.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    Text,
)

from onesheet.store.tables import Id

DAYONE_TABLES = ("org_event",)


def org_unit_columns() -> list[Column]:  # type: ignore[type-arg]
    return [
        Column("urban_rural", String(3)),
        Column("merged_into", String(20)),
        Column("ended_on", Date),
    ]


def app_user_columns() -> list[Column]:  # type: ignore[type-arg]
    return [
        Column("full_name", Text),
        Column("phone", String(20)),
        Column("must_change_password", Boolean, nullable=False, server_default="0"),
        Column("password_set_at", DateTime),
        Column("last_login_at", DateTime),
    ]


def org_event_table(md: MetaData) -> Table:
    return Table(
        "org_event",
        md,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("county_code", String(6), nullable=False),
        Column("org_code", String(20), nullable=False),
        Column("kind", String(10), nullable=False),  # create | rename | reclass | merge
        Column("effective", Date, nullable=False),  # the day the change took effect
        Column("old_name", Text),
        Column("new_name", Text),
        Column("old_kind", String(10)),
        Column("new_kind", String(10)),
        Column("old_class", String(3)),
        Column("new_class", String(3)),
        Column("into_code", String(20)),  # merge: the surviving unit
        Column("recorded_at", DateTime, nullable=False),
        Column("actor", String(80), nullable=False),
        Column("note", Text, nullable=False, default=""),
        Index("ix_org_event_org_effective", "org_code", "effective"),
    )


def dayone_tables(md: MetaData) -> None:
    """Add the day-one table and columns to ``md`` (the application's metadata)."""
    org_event_table(md)
    for col in org_unit_columns():
        md.tables["org_unit"].append_column(col)
    for col in app_user_columns():
        md.tables["app_user"].append_column(col)
