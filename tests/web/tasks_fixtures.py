"""A collection task in the served county: an approved template asking for phone numbers.

The template is written into the served county's database (``served_env``), stored approved
and its tasks created the way the Gate's approval does, so the cadre has something to fill.
"""

from __future__ import annotations

import pytest

from onesheet.domain.template_spec import TemplateSpec
from onesheet.services.base import Store, utcnow
from onesheet.store import tasks as task_store
from onesheet.store.templates import get_template, insert_template
from tests.web.conftest import ServedEnv

TEMPLATE_ID = "WEB-TASK-PHONES"


def _spec() -> TemplateSpec:
    fields = ["person.name", "person.phone", "person.education"]
    return TemplateSpec.model_validate(
        {
            "id": TEMPLATE_ID,
            "title": "村民联系电话核对表",
            "department": "civil_affairs",
            "entity": "person",
            "columns": [
                {"letter": chr(65 + i), "heading": f, "field": f} for i, f in enumerate(fields)
            ],
            "layout": {"title": "村民联系电话核对表", "heading_rows": [["姓名"]]},
        }
    )


@pytest.fixture(scope="session")
def cadre_task(served_env: ServedEnv) -> str:
    """The template id; its tasks exist for every village with something to ask."""
    store = Store.from_url(served_env.url)
    try:
        with store.transaction() as conn:
            if get_template(conn, TEMPLATE_ID) is None:
                spec = _spec()
                insert_template(conn, spec, status="approved", actor="test", at=utcnow())
                task_store.create_for_template(conn, store.dictionary, spec, now=utcnow())
    finally:
        store.engine.dispose()
    return TEMPLATE_ID
