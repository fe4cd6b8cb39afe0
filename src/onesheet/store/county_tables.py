"""Tables of county fields (县级数据元): fields a county's dictionary learnt from its forms.

A county field is data, not code: its definition is a row of ``county_field`` (the current
definition) with every change appended to ``county_field_version`` (who, when, why, the whole
definition as JSON) — adding a field never needs a migration. Code tables proposed from a
form's values are rows of ``county_code_table``. Observations of county fields go into the
ordinary append-only ``observation`` log; their current values live in ``sheet_value``, one
narrow row per (entity, field) that holds a value, maintained by the recorder in the same
transaction as the observations by the same resolution rule as the wide sheet tables.

``county_tables(md)`` adds them to the MetaData ``store.schema.metadata()`` assembles, as
migration 0008 created and defines them.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from onesheet.store.migrations.frozen import revision_module

COUNTY_TABLES = ("county_field", "county_field_version", "county_code_table", "sheet_value")


def county_tables(md: MetaData) -> None:
    """Add the county-field tables to ``md`` (revision 0008's definition)."""
    revision_module("0008").tables(md)
