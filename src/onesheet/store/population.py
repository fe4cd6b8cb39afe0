"""The queries and bulk writes of the population bootstrap (``services/bootstrap``).

The bootstrap checks a whole public-security export in DuckDB and then writes the new
people and households as Arrow tables (``bulk.copy_arrow``: one COPY each on PostgreSQL):
entities, their observations and their current-view rows, exactly the rows the recorder's
fast path writes for new single-valued entities, so ``sheet rebuild --check`` agrees.
"""

from __future__ import annotations

from typing import NamedTuple

import pyarrow as pa
from sqlalchemy import Connection, exists, select, update

from onesheet.store.bulk import bulk_insert, copy_arrow
from onesheet.store.engine import is_postgres
from onesheet.store.schema import sheet_table, table


class OrgRow(NamedTuple):
    code: str
    name: str
    parent_code: str | None
    county_code: str
    level: str


def live_towns_and_villages(conn: Connection, county: str | None) -> list[OrgRow]:
    """Towns and villages not merged away, of one county (or of every county loaded)."""
    t = table("org_unit")
    q = select(t.c.code, t.c.name, t.c.parent_code, t.c.county_code, t.c.level).where(
        t.c.level.in_(("town", "village")), t.c.merged_into.is_(None)
    )
    if county:
        q = q.where(t.c.county_code == county)
    return [OrgRow(*r) for r in conn.execute(q)]


def existing_keys(conn: Connection, kind: str, keys: list[str]) -> dict[str, tuple[int, str]]:
    """key → (entity id, org code) of the ``keys`` already in the sheet: ID numbers of people
    (``kind='person'``) or 户号 of households. An empty sheet answers without a lookup; else
    the keys go into a temporary table in one bulk insert and are joined, rather than
    hundreds of ``IN (…)`` queries."""
    if kind == "person":
        t = table("entity")
        key_col, id_col, org_col = t.c.natural_key, t.c.id, t.c.org_code
        where = [t.c.entity_type == "person"]
        any_row = select(exists().where(t.c.entity_type == "person"))
    else:
        t = sheet_table("household")
        key_col, id_col, org_col = t.c.household_no, t.c.entity_id, t.c.org_code
        where = []
        any_row = select(exists().where(t.c.entity_id.is_not(None)))
    if not keys or not conn.execute(any_row).scalar():
        return {}
    suffix = " ON COMMIT DROP" if is_postgres(conn) else ""
    conn.exec_driver_sql("DROP TABLE IF EXISTS boot_keys")
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE boot_keys (k VARCHAR(40) PRIMARY KEY){suffix}")
    bulk_insert(conn, "boot_keys", ("k",), [(k,) for k in dict.fromkeys(keys)])
    sql = (
        f"SELECT b.k, e.{id_col.name}, e.{org_col.name} FROM boot_keys b "
        f"JOIN {t.name} e ON e.{key_col.name} = b.k"
    )
    if where:
        sql += " AND e.entity_type = 'person'"
    found = {k: (eid, org) for k, eid, org in conn.exec_driver_sql(sql)}
    conn.exec_driver_sql("DROP TABLE boot_keys")
    return found


def write_new(
    conn: Connection,
    *,
    entities: pa.Table,
    observations: pa.Table,
    people: pa.Table,
    households: pa.Table,
) -> None:
    """Bulk-write brand-new entities: their rows, their observations and their sheet rows.
    Column names are the tables' own; the caller's transaction holds it all."""
    copy_arrow(conn, "entity", entities)
    copy_arrow(conn, "observation", observations)
    copy_arrow(conn, sheet_table("person").name, people)
    copy_arrow(conn, sheet_table("household").name, households)


def count_batch_observations(conn: Connection, batch_id: int, added: int) -> None:
    """The ledger counts a batch's values without scanning the log (as the recorder does)."""
    b = table("batch")
    conn.execute(
        update(b).where(b.c.id == batch_id).values(observation_count=b.c.observation_count + added)
    )
