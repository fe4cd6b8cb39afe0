"""The department reference table (部门)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, insert, select

from onesheet.domain.dictionary import Department
from onesheet.store.schema import table


def add_missing(conn: Connection, departments: Iterable[Department]) -> int:
    """Insert the departments not stored yet (rows already there are kept); how many."""
    dept = table("department")
    have = set(conn.execute(select(dept.c.key)).scalars())
    rows = [
        {"key": d.key, "name_zh": d.name_zh, "name_en": d.name_en}
        for d in departments
        if d.key not in have
    ]
    if rows:
        conn.execute(insert(dept), rows)
    return len(rows)
