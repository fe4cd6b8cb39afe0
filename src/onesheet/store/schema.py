"""The schema of this version of OneSheet: core tables plus sheet tables from the dictionary."""

from __future__ import annotations

from functools import cache

from sqlalchemy import MetaData, Table

from onesheet.domain.dictionary import ENTITY_TYPES, Dictionary, load_builtin
from onesheet.store.tables import SheetColumns, build_metadata, sheet_table_name


def sheet_columns(dictionary: Dictionary) -> SheetColumns:
    """entity → [(column, value type)] for every stored built-in field, in dictionary order."""
    return {
        entity: [(f.name, f.type) for f in dictionary.for_entity(entity, stored_only=True)]
        for entity in ENTITY_TYPES
    }


@cache
def metadata() -> MetaData:
    """The tables as the packaged dictionary defines them, plus the county-field tables.

    One sheet table per entity type of ``ENTITY_TYPES``: ``sheet_person`` … ``sheet_house``
    (0001) and ``sheet_place`` (places and facilities, 0013), each with a column per stored
    built-in field of ``data/fields.yaml``."""
    from onesheet.store.county_tables import county_tables  # it reads Id from tables.py
    from onesheet.store.dayone_tables import dayone_tables
    from onesheet.store.demand_tables import demand_tables
    from onesheet.store.eligibility_tables import eligibility_tables
    from onesheet.store.import_jobs import import_job_table

    md = build_metadata(sheet_columns(load_builtin()))
    county_tables(md)
    dayone_tables(md)
    eligibility_tables(md)
    demand_tables(md)
    import_job_table(md)
    return md


def table(name: str) -> Table:
    """A table of the current schema by name."""
    return metadata().tables[name]


def sheet_table(entity: str) -> Table:
    """The current-view (一张表) table of an entity type."""
    return table(sheet_table_name(entity))
