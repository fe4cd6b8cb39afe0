"""Forms (报表模板): legacy forms imported as templates, corrected, and read back.

Every use case is one transaction over the template store; the Gate's decisions live in
``services/gate.py``. ``approved_template`` is the one door other areas (reports, tasks) use
to get a spec: only a template that passed the Gate comes through it.
"""

from __future__ import annotations

from onesheet.domain.access import Actor
from onesheet.domain.template_spec import TemplateSpec
from onesheet.services.base import Store, service
from onesheet.store import templates
from onesheet.store.templates import STATUS_LABELS_ZH


class TemplateNotFound(ValueError):
    """No template has this id."""

    def __init__(self, template_id: str) -> None:
        self.template_id = template_id
        super().__init__(f"模板 {template_id} 不存在 (no template with id {template_id})")


class TemplateNotApproved(ValueError):
    """The template exists but has not passed the Gate, so it may not be run."""

    def __init__(self, template_id: str, status: str) -> None:
        self.template_id = template_id
        self.status = status
        zh = STATUS_LABELS_ZH.get(status, status)
        super().__init__(
            f"模板 {template_id} 尚未准入（当前状态：{zh}），不能生成报表或任务 "
            f"(template {template_id} is {status}, not approved: it cannot be run)"
        )


@service("forms_approved_template", permission="forms.read", audit=None)
def approved_template(store: Store, actor: Actor, template_id: str) -> TemplateSpec:
    """The spec of an approved template; raises ``TemplateNotFound``/``TemplateNotApproved``."""
    with store.transaction() as conn:
        row = templates.get_template(conn, template_id)
    if row is None:
        raise TemplateNotFound(template_id)
    if row.status != "approved":
        raise TemplateNotApproved(template_id, row.status)
    return row.spec
