"""The web application: ``create_app(store)`` builds it; nothing happens at import time.

Pages (Jinja2, Simplified Chinese by default) and the JSON API under ``/api`` are thin
shells over the same services as the CLI. Who is calling comes from ``web/auth.py``; every
data route needs a caller, and the services enforce scope, grants, masking and audit.
"""

import secrets
from importlib.resources import files
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from onesheet import __version__
from onesheet.domain.access import PERMISSIONS, AccessDenied
from onesheet.domain.findings import InvalidInput
from onesheet.services import auth as auth_service
from onesheet.services.base import Store
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
from onesheet.web import (
    api_import,
    api_reports,
    errors,
    routes_admin,
    routes_demands,
    routes_feedback,
    routes_forms,
    routes_tasks,
)
from onesheet.web.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Caller,
    CsrfFailed,
    NotSignedIn,
    check_csrf,
    secure,
)
from onesheet.web.deps import MAX_ID, MAX_LIMIT, MAX_QUERY, EntityId, SearchText, is_number
from onesheet.web.i18n import register
from onesheet.web.pages import lang_of, page_caller, render
from onesheet.web.security import SecurityHeaders, docs_router
from onesheet.web.summary import county_summary


def create_app(store: Store) -> FastAPI:
    """The FastAPI app over ``store``."""
    app = FastAPI(title="OneSheet 一表通", version=__version__, docs_url=None, redoc_url=None)
    app.state.store = store
    app.add_middleware(SecurityHeaders)
    errors.install(app)
    static = files("onesheet.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    app.include_router(api_reports.router)
    app.include_router(api_import.router)
    app.include_router(routes_tasks.router)
    app.include_router(routes_forms.router)
    app.include_router(routes_feedback.router)
    app.include_router(routes_admin.router)
    app.include_router(routes_demands.router)
    app.include_router(docs_router)
    CallerDep = Annotated[Caller, Depends(page_caller)]

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str = "/") -> HTMLResponse:
        token = secrets.token_urlsafe(24)
        response = render(request, "login.html", {"csrf": token, "next": _safe_next(next)})
        response.set_cookie(
            LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure(request)
        )
        return response

    @app.post("/login")
    def login_submit(
        request: Request,
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        csrf_token: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not expected or not secrets.compare_digest(expected, csrf_token):
            raise CsrfFailed
        try:
            ticket = auth_service.login(store, username.strip(), password)
        except auth_service.LoginRefused as exc:
            msg = exc.message_en if lang_of(request) == "en" else exc.message_zh
            token = secrets.token_urlsafe(24)
            ctx = {"csrf": token, "next": _safe_next(next), "error": msg, "username": username}
            response = render(request, "login.html", ctx, 401)
            response.set_cookie(
                LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure(request)
            )
            return response
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            ticket.token,
            httponly=True,
            samesite="lax",
            secure=secure(request),
            max_age=auth_service.SESSION_HOURS * 3600,
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE, secure=secure(request), samesite="strict")
        return response

    @app.post("/logout")
    def logout(
        request: Request, caller: CallerDep, csrf_token: Annotated[str, Form()] = ""
    ) -> Response:
        check_csrf(caller, csrf_token)
        auth_service.logout(store, request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, secure=secure(request), samesite="lax")
        return response

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        try:
            page_caller(request)
        except NotSignedIn:
            request.state.caller = None
        return render(request, "home.html", {"s": county_summary(store)})

    @app.get("/sheet", response_class=HTMLResponse)
    def sheet_page(request: Request, caller: CallerDep, q: SearchText = "") -> HTMLResponse:
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

    @app.get("/people/{entity_id}", response_class=HTMLResponse)
    def person_page(
        request: Request, caller: CallerDep, entity_id: EntityId, saved: str = ""
    ) -> HTMLResponse:
        return _person(request, caller, entity_id, saved=saved)

    def _person(
        request: Request, caller: Caller, entity_id: int, status: int = 200, **ctx: object
    ) -> HTMLResponse:
        card = read_entity(store, caller.actor, entity_id, with_history=True)
        base = {
            "card": card,
            "inputs": editable_inputs(store, caller.actor, card),
            "conflicts": conflict_choices(store, caller.actor, entity_id),
            "can_settle": caller.actor.role in PERMISSIONS["sheet.settle"],
            "csrf": caller.csrf or "",
            "errors": {},
            "typed": {},
        }
        return render(request, "person.html", {**base, **ctx}, status)

    @app.post("/people/{entity_id}/values")
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
                record_changes(
                    store, caller.actor, entity_id, [change], expected_version=int(version)
                )
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

    @app.get("/api/summary")
    def api_summary() -> dict[str, object]:
        return county_summary(store)

    @app.get("/api/me")
    def api_me(caller: CallerDep) -> dict[str, object]:
        a = caller.actor
        return {"username": a.username, "role": a.role, "org": a.org_code, "dept": a.department}

    @app.get("/api/people")
    def api_people(
        caller: CallerDep,
        q: Annotated[str, Query(max_length=MAX_QUERY, description="姓名或身份证号")],
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="最多返回条数")] = 20,
    ) -> list[dict[str, object]]:
        return [vars(h) for h in search_people(store, caller.actor, q, limit=limit)]

    @app.get("/api/people/{entity_id}")
    def api_person(caller: CallerDep, entity_id: EntityId) -> dict[str, object]:
        card = read_entity(store, caller.actor, entity_id)
        return {
            "entity_id": card.entity_id,
            "entity_type": card.entity_type,
            "org_code": card.org_code,
            "version": card.version,
            "values": {
                v.key: {"value": v.value, "display": v.display, "source": v.source}
                for v in card.values
                if v.value is not None
            },
        }

    return app


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
        "person_empty": ("（空）", "(empty)"),
        "person_fill_empty": ("补充空白项（{n}）", "Fill empty values ({n})"),
        "person_conflict_hint": (
            "各来源不一致，请核实后选定一个",
            "Sources disagree; check and pick one",
        ),
    }
)


def app_from_environment() -> FastAPI:
    """The app over the database the settings name (``onesheet serve --workers N``)."""
    from onesheet.settings import get_settings

    return create_app(Store.from_url(get_settings().database_url))


def _safe_next(target: str) -> str:
    """Only same-site paths after login (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"
