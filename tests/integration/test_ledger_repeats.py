"""Downloading one report again does not inflate the ledger's "values filled".

The probe downloaded the same report ten times and the ledger counted ten reports' worth of
values filled from the sheet. Each (template, org unit, period) now counts once — its latest
run — where the period is the template's (month, quarter, year) or, for a one-off form, the
report date.
"""

from __future__ import annotations

import io
from datetime import date, datetime

from sqlalchemy import func, insert, select

from onesheet.domain.access import CLI_ADMIN
from onesheet.services.ledger import ledger_figures
from onesheet.services.reports import run_report
from onesheet.store.schema import table
from tests.integration.helpers import COUNTY
from tests.integration.test_forms_pages import add_people
from tests.integration.test_ledger import MZ, _decided

TOWN = COUNTY + "001"


def test_repeated_downloads_of_one_report_count_once(store):
    add_people(store)
    approved, _ = _decided(store)
    day = date(2026, 11, 20)
    runs = [run_report(store, MZ, approved, COUNTY, day, "csv", io.BytesIO()) for _ in range(3)]
    assert runs[0].values_filled > 0
    r = table("report_run")
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(r)).scalar() == 3
    ledger = ledger_figures(store, CLI_ADMIN)
    assert ledger.values_filled == runs[-1].values_filled
    assert ledger.filled_by_department == [runs[-1].values_filled]
    assert ledger_figures(store, MZ).values_filled == runs[-1].values_filled


def _template(conn, template_id: str, frequency: str) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2026, 11, 1)
    conn.execute(
        insert(table("form_template")).values(
            id=template_id, title=template_id, department="civil_affairs", entity="person",
            kind="roster", status="approved", frequency=frequency, spec="{}",
            created_by="t", created_at=now, updated_at=now, version=1,
        )
    )  # fmt: skip


def _run(conn, template_id: str, org: str, report_date: date, at: datetime, filled: int) -> None:  # type: ignore[no-untyped-def]
    conn.execute(
        insert(table("report_run")).values(
            template_id=template_id, county_code=COUNTY, org_code=org, report_date=report_date,
            actor="mz1", role="department", at=at, format="xlsx", rows=1,
            values_filled=filled, values_missing=0, seconds=0,
        )
    )  # fmt: skip


def test_each_template_org_and_period_counts_its_latest_run(store):
    with store.transaction() as conn:
        _template(conn, "MONTHLY", "monthly")
        _template(conn, "ONCE", "once")
        # a monthly form: three downloads for November (the last one counts), one for December
        _run(conn, "MONTHLY", COUNTY, date(2026, 11, 5), datetime(2026, 11, 5, 9), 100)
        _run(conn, "MONTHLY", COUNTY, date(2026, 11, 20), datetime(2026, 11, 20, 9), 110)
        _run(conn, "MONTHLY", COUNTY, date(2026, 11, 30), datetime(2026, 12, 1, 9), 120)
        _run(conn, "MONTHLY", COUNTY, date(2026, 12, 15), datetime(2026, 12, 15, 9), 130)
        # the same month for a town is another report
        _run(conn, "MONTHLY", TOWN, date(2026, 11, 20), datetime(2026, 11, 20, 10), 7)
        # a one-off form: its report date is its period
        _run(conn, "ONCE", COUNTY, date(2026, 11, 3), datetime(2026, 11, 3, 9), 40)
        _run(conn, "ONCE", COUNTY, date(2026, 11, 3), datetime(2026, 11, 3, 10), 50)
        _run(conn, "ONCE", COUNTY, date(2026, 12, 1), datetime(2026, 12, 1, 10), 60)
    ledger = ledger_figures(store, CLI_ADMIN)
    assert ledger.values_filled == 120 + 130 + 7 + 50 + 60
    by_month = dict(zip(ledger.months, ledger.filled_by_month, strict=True))
    assert by_month == {"2026-11": 7 + 50, "2026-12": 120 + 130 + 60}
    town = ledger_figures(store, MZ.__class__("t1", "town", TOWN))
    assert town.values_filled == 7
