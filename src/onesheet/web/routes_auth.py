"""Signing in and out: the login page (with its own CSRF cookie) and logout."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from onesheet.services import auth as auth_service
from onesheet.web.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE, CsrfFailed, check_csrf, secure
from onesheet.web.pages import CallerDep, lang_of, render, store_of

router = APIRouter()


def _safe_next(target: str) -> str:
    """Only same-site paths after login (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _login_form(request: Request, ctx: dict[str, object], status: int = 200) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", {"csrf": token, **ctx}, status)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure(request)
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return _login_form(request, {"next": _safe_next(next)})


@router.post("/login")
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
        ticket = auth_service.login(store_of(request), username.strip(), password)
    except auth_service.LoginRefused as exc:
        msg = exc.message_en if lang_of(request) == "en" else exc.message_zh
        ctx = {"next": _safe_next(next), "error": msg, "username": username}
        return _login_form(request, ctx, 401)
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


@router.post("/logout")
def logout(
    request: Request, caller: CallerDep, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    check_csrf(caller, csrf_token)
    auth_service.logout(store_of(request), request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, secure=secure(request), samesite="lax")
    return response
