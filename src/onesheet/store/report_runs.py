"""The ``report_run`` ledger: one row per report run (counts only, no personal data)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select

from onesheet.store.report_query import in_subtree
from onesheet.store.schema import table


def insert_run(conn: Connection, **values: Any) -> None:
    """Record one run (template_id, county_code, org_code, report_date, actor, role, at,
    format, rows, values_filled, values_missing, seconds)."""
    conn.execute(insert(table("report_run")).values(**values))


def recent_runs(conn: Connection, org_code: str | None, *, limit: int = 50) -> Sequence[Any]:
    """The latest runs under ``org_code`` (all when None), newest first."""
    t = table("report_run")
    q = select(t).order_by(t.c.id.desc()).limit(limit)
    if org_code:
        q = q.where(in_subtree(t.c.org_code, org_code))
    return list(conn.execute(q))
