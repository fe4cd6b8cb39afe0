"""惠民补贴 pages: a department defines a benefit's rule, the Gate decides it, whoever may read
the people runs it for their area and a month, and a village flags a wrong input.

Thin, like every page module: each route calls ``services.eligibility`` (or, for a flagged
input, ``services.sheet_write.record_changes`` — a correction with the village's usual
authority and history, nothing special to subsidies). The roster download is the API route
(``/api/eligibility/run/{key}?format=xlsx``), linked from the run page. Forms carry the
session's CSRF token and are checked before the body is read; the pages use no inline script
or style. Running a rule records a run and an audit event, so the GET run page refuses to be
started from another site (``check_same_origin``), like a report download.
"""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from onesheet.domain.access import PERMISSIONS, Actor
from onesheet.domain.eligibility import OP_ZH
from onesheet.domain.findings import InvalidInput
from onesheet.services import eligibility
from onesheet.services.base import Store, local_today
from onesheet.services.sheet_write import Change, record_changes
from onesheet.web.auth import Caller, check_same_origin
from onesheet.web.deps import RuleId
from onesheet.web.i18n import register
from onesheet.web.pages import CallerDep, CsrfDep, lang_of, render, store_of

router = APIRouter()
ROWS = 4  # condition rows and tier rows the define form offers
MonthQuery = Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")]

register(
    {
        "eligibility_title": ("惠民补贴 一键认定", "Subsidies from the sheet"),
        "eligibility_run_title": ("补贴认定结果", "Eligibility run"),
        "nav_eligibility": ("惠民补贴", "Subsidies"),
    }
)


def _may(actor: Actor, permission: str) -> bool:
    return actor.role in PERMISSIONS.get(permission, frozenset())


def _field_options(store: Store) -> list[tuple[str, str]]:
    """The fields a rule may read: stored person and household fields, and age."""
    return sorted(
        (
            (f.key, f"{f.label_zh}（{'户' if f.entity == 'household' else '人'}）")
            for f in store.dictionary.fields.values()
            if f.entity in ("person", "household")
            and (f.stored or (f.key.endswith(".age") and f.derived_from))
        ),
        key=lambda kv: (not kv[0].startswith("person."), kv[0]),
    )


def _figures(decisions: list[dict[str, object]]) -> dict[str, object]:
    """The review figures kept with the latest submission (what the reviewer sees)."""
    for d in reversed(decisions):
        if d.get("action") == "submit" and d.get("figures"):
            return json.loads(str(d["figures"]))  # type: ignore[no-any-return]
    return {}


def _page(
    request: Request,
    caller: Caller,
    error: str = "",
    status: int = 200,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    store = store_of(request)
    actor = caller.actor
    rules = eligibility.list_rules(store, actor)
    history = {r.id: eligibility.show_rule(store, actor, r.id)[1] for r in rules}
    approved = sorted({r.rule_key: r.benefit for r in rules if r.status == "approved"}.items())
    return render(
        request,
        "eligibility.html",
        {
            "rules": rules,
            "history": history,
            "figures": {rid: _figures(h) for rid, h in history.items()},
            "statuses": eligibility.STATUS_LABELS,
            "approved": approved,
            "can_define": _may(actor, "eligibility.define"),
            "can_decide": _may(actor, "eligibility.decide"),
            "can_run": _may(actor, "eligibility.run"),
            "fields": _field_options(store),
            "ops": OP_ZH,
            "rows": range(ROWS),
            "form": form or {},
            "org": actor.org_code or "",
            "month": local_today().strftime("%Y-%m"),
            "error": error,
            "done": request.query_params.get("done", ""),
        },
        status,
    )


@router.get("/eligibility", response_class=HTMLResponse)
def eligibility_page(request: Request, caller: CallerDep) -> HTMLResponse:
    return _page(request, caller)


def _operand(op: str, raw: str) -> object:
    """A condition's operand as typed on the form: none for the null tests, a list for
    属于/不属于 (separated by commas or 、), the text otherwise (checked by the rule check)."""
    raw = raw.strip()
    if op in ("is_null", "not_null"):
        return None
    if op in ("in", "not_in"):
        for sep in "，、；;":
            raw = raw.replace(sep, ",")
        return [p.strip() for p in raw.split(",") if p.strip()]
    return raw


def _condition(field: str, op: str, raw: str) -> dict[str, object]:
    out: dict[str, object] = {"field": field, "op": op}
    value = _operand(op, raw)
    if value is not None:
        out["value"] = value
    return out


def spec_from_form(form: dict[str, str], department: str | None) -> dict[str, object]:
    """The rule as the define form states it: the filled condition rows joined by 并且, and
    the filled tier rows in order (a tier without a field takes everyone left)."""
    conditions = [
        _condition(
            form[f"cond_field_{i}"], form.get(f"cond_op_{i}", "eq"), form.get(f"cond_value_{i}", "")
        )
        for i in range(ROWS)
        if form.get(f"cond_field_{i}")
    ]
    tiers: list[dict[str, object]] = []
    for j in range(ROWS):
        label = form.get(f"tier_label_{j}", "").strip()
        if not label:
            continue
        tier: dict[str, object] = {
            "label": label,
            "amount": form.get(f"tier_amount_{j}", "").strip(),
        }
        if form.get(f"tier_field_{j}"):
            tier["when"] = _condition(
                form[f"tier_field_{j}"],
                form.get(f"tier_op_{j}", "eq"),
                form.get(f"tier_value_{j}", ""),
            )
        tiers.append(tier)
    spec: dict[str, object] = {
        "key": form.get("key", "").strip(),
        "benefit": form.get("benefit", "").strip(),
        "department": form.get("department", "").strip() or department or "",
        "conditions": {"and": conditions},
        "tiers": tiers,
        "effective_from": form.get("effective_from", "").strip(),
        "age_on": form.get("age_on", "month_end"),
    }
    if form.get("effective_to", "").strip():
        spec["effective_to"] = form["effective_to"].strip()
    if form.get("matter", "").strip():
        spec["matter"] = form["matter"].strip()
    if form.get("description", "").strip():
        spec["description"] = form["description"].strip()
    return spec


@router.post("/eligibility/rules", dependencies=[CsrfDep])
async def define(request: Request, caller: CallerDep) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    spec = spec_from_form(form, caller.actor.department)
    try:  # the form has a variable set of rows, hence async; the service runs off the loop
        row = await run_in_threadpool(
            eligibility.define_rule, store_of(request), caller.actor, spec
        )
    except InvalidInput as exc:
        message = exc.message(lang_of(request))
        return await run_in_threadpool(_page, request, caller, message, 400, form)
    return RedirectResponse(f"/eligibility?done=defined-{row.id}", status_code=303)


@router.post("/eligibility/rules/{rule_id}/submit", dependencies=[CsrfDep])
def submit(request: Request, caller: CallerDep, rule_id: RuleId) -> Response:
    try:
        eligibility.submit_rule(store_of(request), caller.actor, rule_id)
    except InvalidInput as exc:
        return _page(request, caller, exc.message(lang_of(request)), 400)
    return RedirectResponse(f"/eligibility?done=submitted-{rule_id}", status_code=303)


@router.post("/eligibility/rules/{rule_id}/decide", dependencies=[CsrfDep])
def decide(
    request: Request,
    caller: CallerDep,
    rule_id: RuleId,
    decision: Annotated[str, Form(pattern="^(approve|reject)$")],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        status = eligibility.decide_rule(
            store_of(request), caller.actor, rule_id, approve=decision == "approve", reason=reason
        )
    except InvalidInput as exc:
        return _page(request, caller, exc.message(lang_of(request)), 400)
    return RedirectResponse(f"/eligibility?done={status}-{rule_id}", status_code=303)


@router.get("/eligibility/run", response_class=HTMLResponse)
def run_page(
    request: Request,
    caller: CallerDep,
    rule: Annotated[str, Query(max_length=40)],
    org: Annotated[str, Query(max_length=20)],
    month: MonthQuery,
) -> HTMLResponse:
    """Run the rule for ``org`` and ``month`` and show the four lists, each person with the
    reason; the roster downloads (XLSX/CSV) run it again through the report writers."""
    check_same_origin(caller, request.headers.get("sec-fetch-site"))
    try:
        result = eligibility.run_rule(store_of(request), caller.actor, rule, org, month)
    except InvalidInput as exc:
        return _page(request, caller, exc.message(lang_of(request)), 400)
    query = urlencode({"org": org, "month": month})
    return render(
        request,
        "eligibility_run.html",
        {
            "r": result,
            "labels": eligibility.LIST_LABELS,
            "lists": eligibility.LISTS,
            "download": f"/api/eligibility/run/{rule}?{query}",
            "can_flag": _may(caller.actor, "sheet.write"),
            "flaggable_of": _flaggable,
            "back": urlencode({"rule": rule, "org": org, "month": month}),
            "done": request.query_params.get("done", ""),
        },
    )


def _flaggable(entry: eligibility.Entry) -> list[str]:
    """The person's own inputs an entry's explanation read (what a village may flag here)."""
    return list(dict.fromkeys(s.field for s in entry.tests if s.field.startswith("person.")))


@router.post("/eligibility/flag", dependencies=[CsrfDep])
def flag(
    request: Request,
    caller: CallerDep,
    entity_id: Annotated[int, Form(ge=1)],
    field: Annotated[str, Form(max_length=80)],
    value: Annotated[str, Form(max_length=200)],
    reason: Annotated[str, Form(max_length=500)] = "",
    back: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """A village (or town) flags an input of a listed person as wrong by recording the right
    value: an ordinary correction in its own name and scope, kept in the person's history;
    the field's authority still outranks it, so a disagreement is shown as one, not hidden.
    Only the person's own fields: a household field belongs on the household's card."""
    if not field.startswith("person."):
        msg = "此处只能更正本人的数据项；家庭数据请在户的卡片上更正"
        return _page(
            request, caller, msg if lang_of(request) == "zh" else "person fields only", 400
        )
    why = reason.strip() or "补贴认定时发现数据有误"
    try:
        record_changes(
            store_of(request), caller.actor, entity_id, [Change(field, value.strip(), reason=why)]
        )
    except InvalidInput as exc:
        return _page(request, caller, exc.message(lang_of(request)), 400)
    target = f"/eligibility/run?{back}&done=flagged" if back.startswith("rule=") else "/eligibility"
    return RedirectResponse(target, status_code=303)
