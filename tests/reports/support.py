"""Test support for reports: approved templates from the YAML specs, and sheet rows read back
independently of the report code (plain SELECT * and Python)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from sqlalchemy import select

from onesheet.domain.template_spec import TemplateSpec
from onesheet.services.base import Store, utcnow
from onesheet.store.schema import sheet_table, table
from onesheet.store.templates import insert_template

SPECS = Path(__file__).parent / "specs"
REPORT_DATE = date(2026, 11, 30)


def load_spec(name: str) -> TemplateSpec:
    return TemplateSpec.model_validate(yaml.safe_load((SPECS / f"{name}.yaml").read_text()))


def add_template(store: Store, name: str, status: str = "approved") -> TemplateSpec:
    spec = load_spec(name)
    with store.transaction() as conn:
        insert_template(conn, spec, status=status, actor="test", at=utcnow())
    return spec


def sheet_rows(store: Store, entity: str) -> list[dict]:  # type: ignore[type-arg]
    t = sheet_table(entity)
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(t).order_by(t.c.entity_id))]


def org_names(store: Store) -> dict[str, str]:
    t = table("org_unit")
    with store.engine.connect() as conn:
        return dict(conn.execute(select(t.c.code, t.c.name)).all())


def children(store: Store, org_code: str) -> list[str]:
    t = table("org_unit")
    with store.engine.connect() as conn:
        q = select(t.c.code).where(t.c.parent_code == org_code).order_by(t.c.code)
        return list(conn.execute(q).scalars())
