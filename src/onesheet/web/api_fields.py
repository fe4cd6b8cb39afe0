"""``/api/fields``: the data-element catalogue (数据元目录) and the steward's decisions on
county fields, as JSON — the same services as ``onesheet fields``.

GET needs any signed-in caller (``fields.read``); POSTs need ``fields.manage`` (data steward,
reviewer, administrator). Cookie-authenticated POSTs carry the session's CSRF token in the
``X-CSRF-Token`` header; API tokens need none.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from onesheet.domain.access import ROLE_LABELS_ZH, AccessDenied, Actor
from onesheet.services import county_fields, county_fields_catalogue
from onesheet.services import forms as form_service
from onesheet.services.base import Store
from onesheet.web.deps import MAX_QUERY, current_actor, get_store
from onesheet.web.pages import ApiCsrfDep

router = APIRouter(prefix="/api/fields", tags=["fields"])
ActorDep = Annotated[Actor, Depends(current_actor)]
StoreDep = Annotated[Store, Depends(get_store)]


class Confirmation(BaseModel):
    """A steward's definition of a county field; unset attributes come from the evidence."""

    model_config = ConfigDict(extra="forbid")
    template_id: str | None = Field(None, max_length=40)
    label_zh: str | None = Field(None, max_length=40)
    label_en: str | None = Field(None, max_length=80)
    value_type: str | None = Field(None, max_length=12)
    unit: str | None = Field(None, max_length=20)
    code_table: str | None = Field(None, max_length=80)
    codes: list[str] | None = Field(None, max_length=50)
    sensitivity: str | None = Field(None, max_length=12)
    mask: str | None = Field(None, max_length=12)
    owner: str | None = Field(None, max_length=40)
    readers: list[str] = Field(default_factory=list, max_length=30)
    reason: str = Field("", max_length=200)


class Deprecation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(..., min_length=1, max_length=200)


@router.get("")
def list_fields(
    actor: ActorDep,
    store: StoreDep,
    q: Annotated[str, Query(max_length=MAX_QUERY, description="关键词 (search)")] = "",
    entity: Annotated[str | None, Query(max_length=20)] = None,
) -> list[dict[str, object]]:
    """Every field, built-in and the county's (counts only: no personal data)."""
    return [
        asdict(e) for e in county_fields_catalogue.catalogue(store, actor, query=q, entity=entity)
    ]


def check_samples_readable(
    store: Store, actor: Actor, template_id: str
) -> form_service.TemplateView:
    """The template, if ``actor`` may read its sample cells: they are its department's and
    the Gate's, not the villages' nor another department's (404 unknown, 403 otherwise)."""
    if actor.role in ("village", "town"):
        who = ROLE_LABELS_ZH.get(actor.role, actor.role)
        raise AccessDenied(f"{who}无权查看报表样例", f"role {actor.role} may not read form samples")
    return form_service.show_form(store, actor, template_id)


@router.get("/proposals/{template_id}")
def proposals(template_id: str, actor: ActorDep, store: StoreDep) -> list[dict[str, object]]:
    """A template's new columns with the type their evidence suggests and any confirmation.

    Scoped like the template's own page (``/forms/{template_id}``)."""
    check_samples_readable(store, actor, template_id)
    return [
        {
            "letter": p.letter,
            "heading": p.heading,
            "field": p.key,
            "proposal": p.proposal.as_json(),
            "confirmed": p.definition.as_json() if p.definition else None,
        }
        for p in county_fields.proposals(store, actor, template_id)
    ]


@router.post("/{key}/confirm", dependencies=[ApiCsrfDep])
def confirm(
    key: str,
    body: Confirmation,
    actor: ActorDep,
    store: StoreDep,
) -> dict[str, object]:
    """Confirm (or amend) a draft field's definition for the caller's county."""
    d = county_fields.confirm(
        store, actor, key, template_id=body.template_id, label_zh=body.label_zh,
        label_en=body.label_en, value_type=body.value_type, unit=body.unit,
        code_table=body.code_table, codes=body.codes, sensitivity=body.sensitivity,
        mask=body.mask, owner=body.owner, readers=body.readers, reason=body.reason,
    )  # fmt: skip
    return d.as_json()


@router.post("/{key}/deprecate", dependencies=[ApiCsrfDep])
def deprecate(
    key: str,
    body: Deprecation,
    actor: ActorDep,
    store: StoreDep,
) -> dict[str, object]:
    """Retire a county field (history and templates stay)."""
    return county_fields.deprecate(store, actor, key, reason=body.reason).as_json()


class Merge(BaseModel):
    model_config = ConfigDict(extra="forbid")
    into: str = Field(..., min_length=3, max_length=80)
    reason: str = Field(..., min_length=1, max_length=200)


@router.get("/merge-proposals")
def merge_proposals(actor: ActorDep, store: StoreDep) -> list[dict[str, object]]:
    """Fields that probably mean the same thing (one concept, one field)."""
    return [asdict(p) for p in county_fields.merge_proposals(store, actor)]


@router.post("/{key}/merge", dependencies=[ApiCsrfDep])
def merge(
    key: str,
    body: Merge,
    actor: ActorDep,
    store: StoreDep,
) -> dict[str, object]:
    """Merge county field ``key`` into ``body.into``; both histories stay."""
    r = county_fields.merge(store, actor, key, body.into, reason=body.reason)
    return {
        "into": r.into.as_json(),
        "retired": r.retired.as_json(),
        "values_copied": r.values_copied,
        "templates_rebound": r.templates_rebound,
    }
