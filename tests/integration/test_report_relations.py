"""Columns across entities (issue 11, item 6), on both backends: a person roster's house
columns (房东姓名, 房东电话) are read through person → household → house; a column the sheet
lacks is left empty and listed on 待采集; a template whose report could not run is refused
at submit with the reason."""

from __future__ import annotations

import io
import json
from datetime import datetime

import pytest
from sqlalchemy import func, select

from onesheet.domain.access import CLI_ADMIN, Actor
from onesheet.domain.findings import InvalidInput
from onesheet.domain.template_spec import TemplateSpec
from onesheet.services import forms, reports
from onesheet.store.schema import sheet_table
from onesheet.store.templates import insert_template
from tests.integration.helpers import COUNTY, seed_small

NOW = datetime(2026, 11, 15, 9, 0)


def spec(tid: str, *columns: tuple[str, str | None]) -> TemplateSpec:
    cols = [
        {"letter": chr(65 + i), "heading": h, "field": f}
        if f
        else {"letter": chr(65 + i), "heading": h, "kind": "blank"}
        for i, (h, f) in enumerate(columns)
    ]
    return TemplateSpec.model_validate(
        {
            "id": tid,
            "title": "流动人口登记表",
            "department": "public_security",
            "entity": "person",
            "columns": cols,
            "layout": {"title": "流动人口登记表", "heading_rows": [[h for h, _ in columns]]},
        }
    )


def test_house_columns_on_a_person_roster_come_through_the_household(store):
    seed_small(store, people=60)
    s = spec(
        "R1",
        ("姓名", "person.name"),
        ("房屋地址", "house.address"),
        ("房东电话", "house.owner_phone"),
    )
    with store.transaction() as conn:
        insert_template(conn, s, status="approved", actor="rev", at=NOW)
    out = io.BytesIO()
    r = reports.run_report(store, CLI_ADMIN, "R1", COUNTY, None, "json", out)
    rows = json.loads(out.getvalue())
    t, hh = sheet_table("person"), sheet_table("household")
    with store.engine.connect() as conn:
        housed = conn.execute(
            select(func.count())
            .select_from(t.join(hh, hh.c.entity_id == t.c.household))
            .where(hh.c.house.is_not(None))
        ).scalar_one()
    assert r.rows == 60 and housed > 0
    assert r.values_filled >= 60 + housed  # names, and an address for everyone housed
    assert r.values_missing >= 60  # the owners' phones the sheet lacks are listed, not fatal
    assert rows


def test_a_template_whose_report_could_not_run_is_refused_at_submit(store):
    seed_small(store, people=20)
    bad = spec("R2", ("姓名", "person.name"), ("企业名称", "enterprise.name"))
    with store.transaction() as conn:
        insert_template(conn, bad, status="draft", actor="mz", at=NOW)
    with pytest.raises(InvalidInput) as refused:
        forms.submit(store, Actor("ga", "department", COUNTY, "public_security"), "R2")
    codes = [f.code for f in refused.value.findings]
    assert codes[0] == "forms.report_would_fail" and "report.column" in codes
