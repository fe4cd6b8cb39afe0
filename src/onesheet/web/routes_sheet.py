"""一张表 in the browser and over the API: home, the sheet page (search, filters,
conflicts), a person's page with changes in passing and settling, and the people API."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from onesheet.domain.access import PERMISSIONS, AccessDenied
from onesheet.domain.findings import InvalidInput
from onesheet.services.sheet_read import (
    SHEET_FILTERS,
    conflict_choices,
    editable_inputs,
    filter_people,
    list_conflicts,
    read_entity,
    search_people,
)
from onesheet.services.sheet_write import (
    Change,
    ConcurrentEdit,
    NoSuchConflict,
    record_changes,
    settle_conflict,
)
from onesheet.web.auth import Caller, NotSignedIn, caller_of, check_csrf
from onesheet.web.deps import MAX_ID, MAX_LIMIT, MAX_QUERY, EntityId, SearchText, is_number
from onesheet.web.i18n import register
from onesheet.web.pages import CallerDep, lang_of, render, store_of
from onesheet.web.summary import county_summary

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    try:
        request.state.caller = caller_of(request, store_of(request))
    except NotSignedIn:
        request.state.caller = None
    return render(request, "home.html", {"s": county_summary(store_of(request))})


@router.get("/sheet", response_class=HTMLResponse)
def sheet_page(request: Request, caller: CallerDep, q: SearchText = "") -> HTMLResponse:
    store = store_of(request)
    chosen = [k for k in request.query_params.getlist("f") if k in SHEET_FILTERS]
    hits = search_people(store, caller.actor, q, limit=50) if q.strip() else []
    filtered = filter_people(store, caller.actor, chosen) if chosen else []
    conflicts = list_conflicts(store, caller.actor, limit=50)
    ctx = {
        "q": q,
        "hits": hits,
        "searched": bool(q.strip()),
        "filters": SHEET_FILTERS.values(),
        "chosen": chosen,
        "filtered": filtered,
        "conflicts": conflicts,
    }
    return render(request, "sheet.html", ctx)


AsOf = Annotated[
    date | None,
    Query(description="显示该日的记录：当日所在的村（社区）与乡镇、当日的值 (YYYY-MM-DD)"),
]


def _end_of(day: date | None) -> datetime | None:
    """A day as the card reads it: everything valid by the end of that day."""
    return datetime.combine(day, time.max) if day else None


@router.get("/people/{entity_id}", response_class=HTMLResponse)
def person_page(
    request: Request, caller: CallerDep, entity_id: EntityId, saved: str = "", as_of: AsOf = None
) -> HTMLResponse:
    return _person(request, caller, entity_id, saved=saved, as_of=as_of)


def _person(
    request: Request,
    caller: Caller,
    entity_id: int,
    status: int = 200,
    as_of: date | None = None,
    **ctx: object,
) -> HTMLResponse:
    """The card, editable today; read as of a day it is history and offers no changes."""
    store = store_of(request)
    card = read_entity(store, caller.actor, entity_id, with_history=True, as_of=_end_of(as_of))
    past = as_of is not None
    base = {
        "card": card,
        "as_of": as_of,
        "inputs": {} if past else editable_inputs(store, caller.actor, card),
        "conflicts": {} if past else conflict_choices(store, caller.actor, entity_id),
        "can_settle": caller.actor.role in PERMISSIONS["sheet.settle"],
        "csrf": caller.csrf or "",
        "errors": {},
        "typed": {},
    }
    return render(request, "person.html", {**base, **ctx}, status)


@router.post("/people/{entity_id}/values")
def person_change(
    request: Request,
    caller: CallerDep,
    entity_id: EntityId,
    field: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "value",
    source: Annotated[str, Form()] = "",
) -> Response:
    """One value changed in passing, or a conflict settled: one batch, the cadre as actor."""
    check_csrf(caller, csrf_token)
    if kind not in ("value", "settle") or not is_number(version) or int(version) > MAX_ID:
        return _person(request, caller, entity_id, 400, errors={field: t_bad_form(request)})
    store = store_of(request)
    note = reason.strip()[:200] or None
    try:
        if kind == "settle":
            settle_conflict(
                store, caller.actor, entity_id, field, source,
                expected_version=int(version), reason=note,
            )  # fmt: skip
        else:
            card = read_entity(store, caller.actor, entity_id)
            if field not in editable_inputs(store, caller.actor, card):
                raise AccessDenied(f"不能修改“{field}”", f"{field} may not be changed here")
            change = Change(field, value, reason=note)
            record_changes(store, caller.actor, entity_id, [change], expected_version=int(version))
    except InvalidInput as refused:
        lang = lang_of(request)
        errors = {
            f.field or field: f.message_en if lang == "en" else f.message_zh
            for f in refused.findings
        }
        typed = {field: value}
        return _person(request, caller, entity_id, 400, errors=errors, typed=typed)
    except (ConcurrentEdit, NoSuchConflict):
        return _person(request, caller, entity_id, 409, stale=True)
    return RedirectResponse(f"/people/{entity_id}?saved={quote(field)}", status_code=303)


@router.get("/api/summary")
def api_summary(request: Request) -> dict[str, object]:
    return county_summary(store_of(request))


@router.get("/api/me")
def api_me(caller: CallerDep) -> dict[str, object]:
    a = caller.actor
    return {"username": a.username, "role": a.role, "org": a.org_code, "dept": a.department}


@router.get("/api/people")
def api_people(
    request: Request,
    caller: CallerDep,
    q: Annotated[str, Query(max_length=MAX_QUERY, description="姓名或身份证号")],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="最多返回条数")] = 20,
) -> list[dict[str, object]]:
    return [vars(h) for h in search_people(store_of(request), caller.actor, q, limit=limit)]


@router.get("/api/people/{entity_id}")
def api_person(
    request: Request, caller: CallerDep, entity_id: EntityId, as_of: AsOf = None
) -> dict[str, object]:
    card = read_entity(store_of(request), caller.actor, entity_id, as_of=_end_of(as_of))
    return {
        "entity_id": card.entity_id,
        "entity_type": card.entity_type,
        "as_of": as_of.isoformat() if as_of else None,
        "org_code": card.org_code,
        "org_name": card.org_name,
        "town_code": card.town_code,
        "town_name": card.town_name,
        "version": card.version,
        "values": {
            v.key: {"value": v.value, "display": v.display, "source": v.source}
            for v in card.values
            if v.value is not None
        },
    }


def t_bad_form(request: Request) -> str:
    return "Malformed form; reload" if lang_of(request) == "en" else "表单有误，请刷新后重试"


register(
    {
        "sheet_filters": ("筛选", "Filters"),
        "sheet_conflicts": ("待核实冲突", "Conflicts to settle"),
        "sheet_no_conflicts": ("暂无冲突", "No conflicts"),
        "sheet_filtered": ("筛选结果 {n} 人", "{n} people match"),
        "sheet_clear": ("清除", "Clear"),
        "person_edit": ("修改", "Edit"),
        "person_save": ("保存", "Save"),
        "person_reason": ("原因（如迁出、死亡、换号）", "Reason (moved, died, new number…)"),
        "person_saved": ("已保存", "Saved"),
        "person_stale": (
            "已被他人修改，请刷新后再改",
            "Changed by someone else; reload and edit again",
        ),
        "person_settle": ("以此为准", "Use this"),
        "person_as_of": (
            "{day} 的记录（当日所在村、乡镇与当日的值，只读）",
            "As on {day} (the village, town and values of that day; read-only)",
        ),
        "person_today": ("查看当前记录", "Show today's record"),
        "person_empty": ("（空）", "(empty)"),
        "person_fill_empty": ("补充空白项（{n}）", "Fill empty values ({n})"),
        "person_conflict_hint": (
            "各来源不一致，请核实后选定一个",
            "Sources disagree; check and pick one",
        ),
    }
)
