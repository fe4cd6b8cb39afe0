"""Accounts in the browser: the forced password change and the administrator's account list.

* ``/account/password``: anyone signed in changes their own password (policy in
  ``domain/passwords``). An account still on its one-time password is sent here by
  ``FirstSignIn`` before any other page and refused (403) by the API until it has changed.
* ``/admin/users``: accounts with filters (role, org subtree, state), the last sign-in,
  disable / enable, and a password reset whose one-time password is shown once.

``install(app)`` adds the router and the ``FirstSignIn`` middleware, which also records
each successful sign-in (the account list's "last sign-in").
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from onesheet.domain.access import ROLE_LABELS_ZH, ROLES, AccessDenied
from onesheet.domain.findings import InvalidInput
from onesheet.services import accounts, auth, users
from onesheet.services.errors import OperationalError, PoolTimeout
from onesheet.web.auth import SESSION_COOKIE, Caller, session_of
from onesheet.web.errors import BUSY, RETRY_AFTER_SECONDS, answer, is_busy
from onesheet.web.i18n import register
from onesheet.web.pages import CallerDep, CsrfDep, lang_of, render, store_of
from onesheet.web.security import HttpMiddleware

log = logging.getLogger(__name__)
router = APIRouter()


PASSWORD_PAGE = "/account/password"
OPEN_PATHS = (PASSWORD_PAGE, "/login", "/logout", "/static", "/favicon")

register(
    {
        "account_password_title": ("修改密码", "Change password"),
        "account_password_forced": (
            "这是首次登录（或密码已被重置），请先设置自己的密码。",
            "First sign-in (or a reset password): set your own password first.",
        ),
        "account_password_policy": (
            "至少 10 位，不能全是数字，不能包含用户名。",
            "At least 10 characters, not all digits, not containing the username.",
        ),
        "account_password_old": ("原密码（或一次性密码）", "Current (or one-time) password"),
        "account_password_new": ("新密码", "New password"),
        "account_password_again": ("再输入一次", "New password again"),
        "account_password_mismatch": ("两次输入的新密码不一致", "the new passwords differ"),
        "account_password_save": ("保存", "Save"),
        "admin_users_title": ("账号", "Accounts"),
        "admin_users_filter": ("筛选", "Filter"),
        "admin_users_all": ("全部", "All"),
        "admin_users_under": ("机构代码（含下级）", "Org code (and below)"),
        "admin_users_state": ("状态", "State"),
        "admin_users_active": ("启用", "Enabled"),
        "admin_users_disabled": ("已停用", "Disabled"),
        "admin_users_pending": ("待改密", "Must change password"),
        "admin_users_last": ("最近登录", "Last sign-in"),
        "admin_users_never": ("从未", "Never"),
        "admin_users_disable": ("停用", "Disable"),
        "admin_users_enable": ("启用", "Enable"),
        "admin_users_reset": ("重置密码", "Reset password"),
        "admin_users_reset_done": (
            "已重置，一次性密码只显示这一次：",
            "Reset. The one-time password is shown only this once:",
        ),
        "admin_users_count": ("个账号", "accounts"),
    }
)


def _person_only(caller: Caller) -> None:
    """A password is a person's: an API token (a department's system) has none to change."""
    if caller.via == "token":
        raise AccessDenied(
            "API 令牌不能修改密码，请本人登录后修改",
            "an API token cannot change a password; sign in as the person",
        )


@router.get(PASSWORD_PAGE, response_class=HTMLResponse)
def password_page(request: Request, caller: CallerDep) -> HTMLResponse:
    _person_only(caller)
    forced = accounts.must_change_password(store_of(request), caller.actor)
    return render(request, "account_password.html", {"forced": forced, "error": ""})


@router.post(PASSWORD_PAGE, response_class=HTMLResponse, dependencies=[CsrfDep])
def password_submit(
    request: Request,
    caller: CallerDep,
    old: Annotated[str, Form(max_length=200)],
    new: Annotated[str, Form(max_length=200)],
    again: Annotated[str, Form(max_length=200)],
) -> Response:
    _person_only(caller)
    store, lang = store_of(request), lang_of(request)
    error = ""
    if new != again:
        error = "两次输入的新密码不一致" if lang != "en" else "the new passwords differ"
    else:
        try:
            accounts.change_own_password(store, caller.actor, old, new)
        except InvalidInput as exc:
            error = exc.message(lang)
    if error:
        forced = accounts.must_change_password(store, caller.actor)
        ctx = {"forced": forced, "error": error}
        return render(request, "account_password.html", ctx, 400)
    return RedirectResponse("/", status_code=303)


def _flag(value: str) -> bool | None:
    return {"disabled": True, "active": False}.get(value)


def _users_page(
    request: Request, caller: Caller, *, reset: tuple[str, str] | None = None, error: str = ""
) -> HTMLResponse:
    q = request.query_params
    role = q.get("role") or None
    under = (q.get("under") or "").strip() or None
    state = q.get("state") or ""
    rows = accounts.list_accounts(
        store_of(request),
        caller.actor,
        role=role if role in ROLES else None,
        under=under if under and under.isdigit() else None,
        disabled=_flag(state),
    )
    if state == "pending":
        rows = [r for r in rows if r.must_change_password]
    response = render(
        request,
        "admin_users.html",
        {
            "rows": rows[:2000],
            "total": len(rows),
            "roles": [(r, ROLE_LABELS_ZH[r]) for r in ROLES],
            "role": role or "",
            "under": under or "",
            "state": state,
            "reset": reset,
            "error": error,
        },
    )
    response.headers["Cache-Control"] = "no-store"  # it may hold a one-time password
    return response


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, caller: CallerDep) -> HTMLResponse:
    return _users_page(request, caller)


@router.post(
    "/admin/users/{username}/{action}", response_class=HTMLResponse, dependencies=[CsrfDep]
)
def users_action(
    request: Request,
    caller: CallerDep,
    username: str,
    action: str,
) -> Response:
    store = store_of(request)
    try:
        if action == "disable":
            users.disable_user(store, caller.actor, username)
        elif action == "enable":
            users.enable_user(store, caller.actor, username)
        elif action == "reset":
            password = accounts.reset_password(store, caller.actor, username)
            return _users_page(request, caller, reset=(username, password))
        else:
            return Response(status_code=404)
    except InvalidInput as exc:
        return _users_page(request, caller, error=exc.message(lang_of(request)))
    return RedirectResponse("/admin/users", status_code=303)


class FirstSignIn(HttpMiddleware):
    """Send an account on its one-time password to the change page; note sign-ins.

    A plain ASGI middleware (``web/security.HttpMiddleware``). It looks the session up once,
    off the event loop, and keeps it in the scope, where the route's caller
    (``web/auth.session_of``) finds it instead of reading it again. It runs outside the
    app's exception handlers, so a busy database (classified as ``web/errors.is_busy``
    does) is answered here: 503 with ``Retry-After``."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        try:
            refused = await run_in_threadpool(_forced_change, request)
        except (OperationalError, PoolTimeout) as exc:
            if not is_busy(exc):
                raise
            refused = answer(request, 503, *BUSY, "busy", {"Retry-After": str(RETRY_AFTER_SECONDS)})
        if refused is not None:
            await refused(scope, receive, send)
            return
        if request.method == "POST" and request.url.path == "/login":
            send = _after_login(request, send)
        await self.app(scope, receive, send)


def _forced_change(request: Request) -> Response | None:
    """The redirect (pages) or 403 (API, changes) for a session still on a one-time
    password, or None to let the request through."""
    path = request.url.path
    token = request.cookies.get(SESSION_COOKIE)
    if not token or path.startswith(OPEN_PATHS):
        return None
    found = session_of(request.scope, store_of(request), token)
    if found is None or not found.must_change_password:
        return None
    if request.method == "GET" and not path.startswith("/api/"):
        return RedirectResponse(PASSWORD_PAGE, status_code=303)
    return JSONResponse(
        {"detail": "须先修改一次性密码 (change the one-time password first)"},
        status_code=403,
    )


def _after_login(request: Request, send: Send) -> Send:
    """``send`` that notes a successful sign-in and sends an account on its one-time
    password to the change page instead of where the login was going."""

    async def noting(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 303:
            headers = MutableHeaders(scope=message)
            new = _session_cookie(headers.getlist("set-cookie"))
            try:
                found = await run_in_threadpool(_signed_in, request, new) if new else None
            except (OperationalError, PoolTimeout) as exc:
                if not is_busy(exc):
                    raise
                # signed in all the same; the next request is sent to the password page
                log.warning("could not note a sign-in: the database is busy")
                found = None
            if found is not None and found.must_change_password:
                headers["location"] = PASSWORD_PAGE
        await send(message)

    return noting


def _signed_in(request: Request, token: str) -> auth.Session | None:
    store = store_of(request)
    found = session_of(request.scope, store, token)
    if found is not None:
        accounts.record_sign_in(store, found.actor)
    return found


def _session_cookie(cookies: list[str]) -> str | None:
    prefix = SESSION_COOKIE + "="
    for value in cookies:
        if value.startswith(prefix):
            return value.split(";", 1)[0][len(prefix) :]
    return None


def install(app: FastAPI) -> None:
    """Add the account pages and the first-sign-in middleware to the app."""
    app.include_router(router)
    app.add_middleware(FirstSignIn)
