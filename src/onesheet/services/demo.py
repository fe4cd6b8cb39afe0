"""The demo county's sample department form (``onesheet demo``)."""

from __future__ import annotations

from onesheet.domain.access import Actor
from onesheet.domain.template_spec import TemplateSpec
from onesheet.services.base import Store, service, utcnow
from onesheet.store.templates import get_template, insert_template


@service("demo_submit_form", permission="forms.import", audit=None)
def submit_demo_template(store: Store, actor: Actor, spec: TemplateSpec) -> bool:
    """Submit ``spec`` to the Gate as the demo department did; False if it is already there."""
    with store.transaction() as conn:
        if get_template(conn, spec.id) is not None:
            return False
        insert_template(conn, spec, status="submitted", actor="demo", at=utcnow())
    return True
