"""涉村事项: departments register demands, reviewers decide them, villages see their calendar
and flag what came outside the Gate, and everyone sees the demand ledger. Thin: every page
and API calls ``services.demands``."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from onesheet.domain import demands as rules
from onesheet.domain.access import ROLE_LABELS_ZH, AccessDenied, Actor
from onesheet.domain.feedback import STATUSES as FEEDBACK_STATUSES
from onesheet.domain.findings import InvalidInput
from onesheet.services import demands
from onesheet.services.base import local_today
from onesheet.web.auth import Caller
from onesheet.web.deps import MAX_ID
from onesheet.web.i18n import register
from onesheet.web.pages import CallerDep, CsrfDep, lang_of, render, store_of

router = APIRouter()


MonthQuery = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")]

register(
    {
        "demands_title": ("涉村事项准入", "Demands on villages"),
        "calendar_title": ("本村事项日历", "Village calendar"),
        "demands_ledger_title": ("涉村事项台账", "Demand ledger"),
    }
)


def _require_role(actor: Actor, roles: tuple[str, ...]) -> None:
    if actor.role not in roles:
        who = ROLE_LABELS_ZH.get(actor.role, actor.role)
        raise AccessDenied(f"{who}无权访问此页面", f"role {actor.role} may not open this page")


def _split(text: str) -> list[str]:
    for sep in "，,、；;\n\t":
        text = text.replace(sep, " ")
    return [p for p in text.split(" ") if p]


def _common() -> dict[str, object]:
    return {
        "kinds": {k: v[0] for k, v in rules.KINDS.items()},
        "frequencies": {k: v[0] for k, v in rules.FREQUENCIES.items()},
        "statuses": {k: v[0] for k, v in rules.STATUSES.items()},
    }


def _demands_page(
    request: Request, caller: Caller, error: str = "", status: int = 200
) -> HTMLResponse:
    store = store_of(request)
    actor = caller.actor
    rows = demands.list_demands(store, actor)
    reviews = {}
    if actor.role in ("reviewer", "admin", "department"):
        reviews = {
            d.id: demands.review_demand(store, actor, d.id) for d in rows if d.status == "submitted"
        }
    details = {d.id: demands.show_demand(store, actor, d.id) for d in rows}
    return render(
        request,
        "demands.html",
        {
            **_common(),
            "demands": rows,
            "reviews": reviews,
            "details": details,
            "can_register": actor.role in ("department", "admin"),
            "can_decide": actor.role in ("reviewer", "admin"),
            "departments": store.dictionary.departments,
            "today": local_today().isoformat(),
            "error": error,
            "done": request.query_params.get("done", ""),
        },
        status,
    )


@router.get("/demands", response_class=HTMLResponse)
def demands_page(request: Request, caller: CallerDep) -> HTMLResponse:
    _require_role(caller.actor, ("department", "reviewer", "admin"))
    return _demands_page(request, caller)


@router.post("/demands", dependencies=[CsrfDep])
def demands_register(
    request: Request,
    caller: CallerDep,
    kind: Annotated[str, Form()],
    title: Annotated[str, Form()] = "",
    villages: Annotated[str, Form()] = "",
    frequency: Annotated[str, Form()] = "",
    minutes: Annotated[int, Form(ge=0, le=100000)] = 0,
    basis: Annotated[str, Form()] = "",
    matter: Annotated[str, Form()] = "",
    starts_on: Annotated[date | None, Form()] = None,
    ends_on: Annotated[date | None, Form()] = None,
    topics: Annotated[str, Form()] = "",
    data_fields: Annotated[str, Form()] = "",
    department: Annotated[str, Form()] = "",
) -> Response:
    _require_role(caller.actor, ("department", "admin"))
    try:
        d = demands.register_demand(
            store_of(request),
            caller.actor,
            kind=kind,
            title=title,
            villages=_split(villages),
            frequency=frequency,
            minutes=minutes,
            basis=basis,
            matter=matter or None,
            starts_on=starts_on or local_today(),
            ends_on=ends_on,
            topics=_split(topics),
            data_fields=_split(data_fields),
            department=department or None,
        )
    except InvalidInput as exc:
        return _demands_page(request, caller, exc.message(lang_of(request)), 400)
    return RedirectResponse(f"/demands?done=registered-{d.id}", status_code=303)


@router.post("/demands/{demand_id}/decide", dependencies=[CsrfDep])
def demands_decide(
    request: Request,
    caller: CallerDep,
    demand_id: int,
    decision: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    into: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
) -> Response:
    store = store_of(request)
    try:
        if decision == "approved":
            demands.approve_demand(store, caller.actor, demand_id, reason=reason)
        elif decision == "rejected":
            demands.reject_demand(store, caller.actor, demand_id, reason=reason)
        elif decision == "merged":
            demands.merge_demand(store, caller.actor, demand_id, reason=reason, into=into)
        else:
            raise HTTPException(400, "decision is approved | rejected | merged")
    except demands.DemandNotFound as missing:
        raise HTTPException(404, str(missing)) from missing
    except InvalidInput as exc:
        return _demands_page(request, caller, exc.message(lang_of(request)), 400)
    return RedirectResponse(f"/demands?done={decision}-{demand_id}", status_code=303)


# ---- the village's calendar --------------------------------------------------------------


def _calendar_page(
    request: Request,
    caller: Caller,
    day: date | None,
    *,
    message: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    store = store_of(request)
    cal = demands.village_calendar(store, caller.actor, today=day)
    return render(
        request,
        "calendar.html",
        {
            **_common(),
            "cal": cal,
            "departments": store.dictionary.departments,
            "can_flag": caller.actor.role in ("village", "town"),
            "message": message,
            "error": error,
        },
        status,
    )


@router.get("/calendar", response_class=HTMLResponse)
def calendar_page(
    request: Request, caller: CallerDep, day: Annotated[date | None, Query()] = None
) -> HTMLResponse:
    _require_role(caller.actor, ("village", "town"))
    return _calendar_page(request, caller, day)


@router.post("/calendar/flag", response_class=HTMLResponse, dependencies=[CsrfDep])
def calendar_flag(
    request: Request,
    caller: CallerDep,
    text: Annotated[str, Form()] = "",
    demand_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
    kind: Annotated[str, Form()] = "",
    department: Annotated[str, Form()] = "",
) -> HTMLResponse:
    try:
        result = demands.flag_demand(
            store_of(request),
            caller.actor,
            text=text,
            demand_id=demand_id,
            kind=kind or None,
            department=department or None,
        )
    except demands.DemandNotFound as missing:
        raise HTTPException(404, str(missing)) from missing
    except InvalidInput as exc:
        return _calendar_page(
            request, caller, None, error=exc.message(lang_of(request)), status=400
        )
    msg = result.message_en if lang_of(request) == "en" else result.message_zh
    return _calendar_page(request, caller, None, message=msg)


# ---- the ledger ----------------------------------------------------------------------------


@router.get("/demands/ledger", response_class=HTMLResponse)
def demands_ledger_page(
    request: Request, caller: CallerDep, first: MonthQuery = None, last: MonthQuery = None
) -> HTMLResponse:
    try:
        led = demands.demand_ledger(store_of(request), caller.actor, first=first, last=last)
    except InvalidInput as exc:
        raise HTTPException(400, exc.message(lang_of(request))) from exc
    tables = {key: rules.ledger_table(led, key) for key, _ in _TABLES}
    return render(
        request,
        "demands_ledger.html",
        {
            **_common(),
            "led": led,
            "tables": tables,
            "table_names": dict(_TABLES),
            "first": led["months"][0],  # type: ignore[index]
            "last": led["months"][-1],  # type: ignore[index]
            "feedback_statuses": FEEDBACK_STATUSES,
        },
    )


_TABLES = [
    ("by_month", "按月"),
    ("by_department", "按部门"),
    ("by_town", "按乡镇（街道）"),
    ("by_village", "按村（社区）"),
]


@router.get("/api/demands/ledger")
def api_demands_ledger(
    request: Request, caller: CallerDep, first: MonthQuery = None, last: MonthQuery = None
) -> dict[str, object]:
    try:
        return demands.demand_ledger(store_of(request), caller.actor, first=first, last=last)
    except InvalidInput as exc:
        raise HTTPException(400, exc.message("zh")) from exc


@router.get("/api/demands/ledger.xlsx")
def api_demands_ledger_xlsx(
    request: Request, caller: CallerDep, first: MonthQuery = None, last: MonthQuery = None
) -> Response:
    try:
        data = demands.demand_ledger_xlsx(store_of(request), caller.actor, first=first, last=last)
    except InvalidInput as exc:
        raise HTTPException(400, exc.message("zh")) from exc
    name = quote(f"涉村事项台账_{first or ''}_{last or ''}.xlsx")
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )


@router.get("/api/demands")
def api_demands(request: Request, caller: CallerDep) -> list[dict[str, object]]:
    return [vars(d) for d in demands.list_demands(store_of(request), caller.actor)]
