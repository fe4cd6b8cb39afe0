"""A department's staff reach only their own department's templates, whatever the shell."""

from __future__ import annotations

from pathlib import Path

import pytest

from onesheet.domain.access import AccessDenied, Actor
from onesheet.services import forms

FORMS = Path(__file__).parents[1] / "forms" / "files"
CIVIL = Actor("mz", "department", "330523", "civil_affairs")
HEALTH = Actor("wj", "department", "330523", "health")


def test_other_departments_cannot_import_as_read_or_change_a_template(store):
    with pytest.raises(AccessDenied):
        forms.import_form(store, HEALTH, FORMS / "minzheng_dibao.xlsx", department="民政")
    tid = forms.import_form(
        store, CIVIL, FORMS / "minzheng_dibao.xlsx", department="民政"
    ).template.id
    for attempt in (
        lambda: forms.show_form(store, HEALTH, tid),
        lambda: forms.map_column(store, HEALTH, tid, column="B", field_key="person.name"),
        lambda: forms.set_matter(store, HEALTH, tid, matter="ZZ001"),
        lambda: forms.submit(store, HEALTH, tid),
    ):
        with pytest.raises(AccessDenied):
            attempt()
    assert forms.show_form(store, CIVIL, tid).template.status == "draft"
    assert [t.id for t in forms.list_forms(store, HEALTH)] == []
