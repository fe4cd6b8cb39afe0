"""``/api/eligibility`` and ``/api/proofs``: subsidies and proofs from the sheet over HTTP.

Thin: every route calls one service (``services.eligibility``, ``services.proofs``); scope,
grants, masking and audit are theirs. Cookie-authenticated POSTs carry the session's CSRF
token in ``X-CSRF-Token``; API tokens need none. Verifying a proof needs no sign-in: the
holder brings the signed text (``POST /api/proofs/verify``), or follows the printed serial
to ``/proofs/verify/{serial}``, a printable page.

To be included by ``web/app.py``: ``app.include_router(routes_eligibility.router)``.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

import segno
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask

from onesheet.domain.access import Actor
from onesheet.services import eligibility, proofs
from onesheet.services.base import Store
from onesheet.web.auth import (
    SESSION_COOKIE,
    NotSignedIn,
    caller_of,
    check_csrf,
    check_same_origin,
)
from onesheet.web.deps import RuleId, RunId, current_actor, get_store
from onesheet.web.pages import ApiCsrfDep, render

router = APIRouter(tags=["eligibility"])
ActorDep = Annotated[Actor, Depends(current_actor)]
StoreDep = Annotated[Store, Depends(get_store)]
# who verifies a proof without signing in: no scope, no personal data read
PUBLIC = Actor(username="public-verify", role="reviewer", org_code=None)
MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def csrf_if_signed_in(
    request: Request, store: StoreDep, x_csrf_token: Annotated[str | None, Header()] = None
) -> None:
    """Public routes need no sign-in, but a request carrying a session cookie is held to
    the session's CSRF token like every other cookie POST."""
    if not request.cookies.get(SESSION_COOKIE):
        return
    try:
        caller = caller_of(request, store)
    except NotSignedIn:  # a stale cookie: the request is simply anonymous
        return
    check_csrf(caller, x_csrf_token)


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool
    reason: str = Field(..., min_length=1, max_length=500)


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["residence", "kinship", "alive", "hukou"]
    matter: str = Field(..., min_length=1, max_length=100)
    id_number: str = Field(..., min_length=15, max_length=18)
    other_id_number: str | None = Field(None, min_length=15, max_length=18)
    params: dict[str, str] = Field(default_factory=dict, max_length=5)


class Signed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    canonical: str = Field(..., max_length=20000)
    signature: str = Field(..., max_length=200)


def _rule(row: Any) -> dict[str, object]:
    return {
        "id": row.id,
        "key": row.rule_key,
        "version": row.version,
        "benefit": row.benefit,
        "department": row.department,
        "status": row.status,
        "spec": row.spec.model_dump(mode="json", by_alias=True),
    }


@router.get("/api/eligibility/rules")
def list_rules(actor: ActorDep, store: StoreDep) -> list[dict[str, object]]:
    return [_rule(r) for r in eligibility.list_rules(store, actor)]


@router.post("/api/eligibility/rules", dependencies=[ApiCsrfDep])
def define(
    spec: dict[str, Any],
    actor: ActorDep,
    store: StoreDep,
) -> dict[str, object]:
    return _rule(eligibility.define_rule(store, actor, spec))


@router.post("/api/eligibility/rules/{rule_id}/submit", dependencies=[ApiCsrfDep])
def submit(
    rule_id: RuleId,
    actor: ActorDep,
    store: StoreDep,
) -> dict[str, object]:
    return eligibility.submit_rule(store, actor, rule_id)


@router.post("/api/eligibility/rules/{rule_id}/decide", dependencies=[ApiCsrfDep])
def decide(
    rule_id: RuleId,
    body: Decision,
    actor: ActorDep,
    store: StoreDep,
) -> dict[str, str]:
    status = eligibility.decide_rule(
        store, actor, rule_id, approve=body.approve, reason=body.reason
    )
    return {"status": status}


@router.get("/api/eligibility/run/{rule_key}", response_model=None)
def run(
    request: Request,
    rule_key: str,
    org: Annotated[str, Query(max_length=20)],
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")],
    actor: ActorDep,
    store: StoreDep,
    format: Annotated[Literal["json", "xlsx", "csv"], Query()] = "json",
    which: Annotated[
        Literal["new", "kept", "dropped", "unknown"] | None, Query(alias="list")
    ] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> Any:
    """Run the rule (records a run and an audit event, hence the same-origin check).

    JSON: the counts and every list; with ``list`` only ``limit`` people of that list from
    ``offset`` — only they are read, and the read's audit event names only them."""
    check_same_origin(request.state.caller, request.headers.get("sec-fetch-site"))
    if format == "json":
        result = eligibility.run_rule(store, actor, rule_key, org, month)
        if which is not None:
            return _run_json(result, {which: result.page(which, offset, limit)})
        return _run_json(result, result.lists)
    fd, name = tempfile.mkstemp(prefix="onesheet-eligibility-", suffix=f".{format}")
    os.close(fd)
    path = Path(name)
    try:
        result = eligibility.run_rule(store, actor, rule_key, org, month, fmt=format, out=path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    filename = f"{result.benefit}_{result.org_name}_{month}.{format}"
    return FileResponse(
        path,
        media_type=MEDIA[format],
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "X-OneSheet-Run": str(result.run_id),
        },
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


def _run_json(
    result: eligibility.RunResult, lists: dict[str, list[eligibility.Entry]]
) -> dict[str, object]:
    return {
        "run_id": result.run_id,
        "rule": result.rule_key,
        "version": result.version,
        "org": result.org_code,
        "month": result.month,
        "age_day": result.age_day.isoformat(),
        "counts": result.counts(),
        "amount": str(result.amount),
        "lists": {
            k: [
                {
                    **{f: v for f, v in asdict(e).items() if f not in ("tests", "amount")},
                    "amount": None if e.amount is None else str(e.amount),
                    "tests": [asdict(t) for t in e.tests],
                }
                for e in items
            ]
            for k, items in lists.items()
        },
    }


@router.post("/api/eligibility/runs/{run_id}/confirm", dependencies=[ApiCsrfDep])
def confirm(
    run_id: RunId,
    actor: ActorDep,
    store: StoreDep,
) -> dict[str, int]:
    return eligibility.confirm_run(store, actor, run_id)


@router.get("/api/eligibility/ledger")
def ledger(actor: ActorDep, store: StoreDep) -> dict[str, object]:
    figures = eligibility.ledger_figures(store, actor)
    return {
        **figures,
        "amount": str(figures["amount"]),
        "proofs": proofs.proof_counts(store, actor),
    }


# ---------------------------------------------------------------------------------- proofs
@router.post("/api/proofs", dependencies=[ApiCsrfDep])
def ask(
    request: Request,
    body: Question,
    actor: ActorDep,
    store: StoreDep,
) -> dict[str, object]:
    p = proofs.ask_proof(
        store,
        actor,
        body.kind,
        body.matter,
        body.id_number,
        params=body.params,
        other_id_number=body.other_id_number,
    )
    return {
        "serial": p.serial,
        "answer": p.answer,
        "payload": p.payload,
        "canonical": p.canonical,
        "signature": p.signature,
        "key_id": p.key_id,
        "verify_url": verify_url(request, p.serial),
    }


@router.post("/api/proofs/verify", dependencies=[Depends(csrf_if_signed_in)])
def verify(body: Signed, store: StoreDep) -> dict[str, object]:
    v = proofs.verify_proof(store, PUBLIC, body.canonical, body.signature)
    return {"valid": v.valid, "on_record": v.on_record, "serial": v.serial, "payload": v.payload}


@router.get("/api/proofs/keys")
def keys(store: StoreDep) -> dict[str, str]:
    return proofs.public_keys(store, PUBLIC)


@router.get("/proofs/verify/{serial}", response_class=HTMLResponse, name="proof_page")
def proof_page(request: Request, serial: str, store: StoreDep) -> HTMLResponse:
    """A printable page of a proof and whether its signature holds (no sign-in needed)."""
    found = proofs.lookup_proof(store, PUBLIC, serial[:40])
    if found is None:
        return render(request, "eligibility_proof.html", {"found": False, "serial": serial}, 404)
    canonical, signature = found
    v = proofs.verify_proof(store, PUBLIC, canonical, signature)
    url = verify_url(request, serial)
    return render(
        request,
        "eligibility_proof.html",
        {
            "found": True,
            "serial": serial,
            "valid": v.valid,
            "p": v.payload or {},
            "canonical": canonical,
            "signature": signature,
            "url": url,
            "qr": qr_data_uri(url),
        },
    )


def verify_url(request: Request, serial: str) -> str:
    """The address a printed proof's QR code carries: this page, without any query."""
    return str(request.url_for("proof_page", serial=serial))


def qr_data_uri(text: str) -> str:
    """An SVG QR code of ``text`` as a ``data:`` URI for an ``<img>`` (the CSP allows data:
    images and no inline script or style). Error correction M survives a creased printout."""
    return str(segno.make(text, error="m").svg_data_uri(scale=4, border=2))
