"""What ``onesheet doctor`` reads from the database: reachability, settings and counts.

Read-only probes, kept in the store so the doctor service holds no SQL
(``tests/contract/test_layers.py``); each answers plain values the service turns into words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from onesheet.store.schema import sheet_table, table


def unreachable(engine: Engine) -> str | None:
    """None when the database answers, else the first line of the driver's complaint."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return str(getattr(exc, "orig", exc)).splitlines()[0]
    return None


def sqlite_journal_mode(engine: Engine) -> str:
    """SQLite's journal mode (``wal`` is what OneSheet sets)."""
    with engine.connect() as conn:
        return str(conn.exec_driver_sql("PRAGMA journal_mode").scalar())


def pg_server(engine: Engine) -> tuple[str, str]:
    """PostgreSQL's server version and ``shared_buffers``."""
    with engine.connect() as conn:
        version = conn.exec_driver_sql("SHOW server_version").scalar()
        shared = conn.exec_driver_sql("SHOW shared_buffers").scalar()
    return str(version), str(shared)


@dataclass(frozen=True)
class Contents:
    """What an installation holds, as counts (no personal data)."""

    org_units_by_county: list[tuple[str, int]]
    people: int
    enabled_admins: int
    one_time_passwords: int
    last_backup: datetime | None


def contents(engine: Engine) -> Contents:
    """Org units per county, people, enabled administrators, accounts still on a one-time
    password, and when the last backup was made."""
    org, users, ev = table("org_unit"), table("app_user"), table("audit_event")
    with engine.connect() as conn:
        counties = conn.execute(
            select(org.c.county_code, func.count()).group_by(org.c.county_code)
        ).all()
        people = conn.execute(select(func.count()).select_from(sheet_table("person"))).scalar_one()
        admins = conn.execute(
            select(func.count()).where(users.c.role == "admin", users.c.disabled_at.is_(None))
        ).scalar_one()
        pending = conn.execute(
            select(func.count()).where(users.c.must_change_password.is_(True))
        ).scalar_one()
        last_backup = conn.execute(
            select(func.max(ev.c.at)).where(ev.c.action == "backup.create")
        ).scalar_one()
    return Contents([(c, n) for c, n in counties], people, admins, pending, last_backup)
