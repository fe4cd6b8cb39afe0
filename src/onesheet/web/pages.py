"""What every page route shares: templates, language, rendering, and the signed-in caller.

Page routers live in their own modules and import these; the store and the caller come from
the request (``app.state.store``, set by ``create_app``), so a router needs no closure.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Annotated

from fastapi import Depends, Form, Header, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from onesheet.domain.access import ROLE_LABELS_ZH, Actor
from onesheet.services.base import Store
from onesheet.web.auth import Caller, check_csrf, resolve_caller, secure
from onesheet.web.deps import current_actor, get_store
from onesheet.web.i18n import LANGS, translate

# One rule for where the store comes from (``app.state.store``): pages and API routers alike.
store_of = get_store


@cache
def templates() -> Jinja2Templates:
    return Jinja2Templates(directory=str(files("onesheet.web") / "templates"))


def lang_of(request: Request) -> str:
    """``?lang=`` first, then the ``lang`` cookie; Chinese by default."""
    asked = request.query_params.get("lang") or request.cookies.get("lang")
    return asked if asked in LANGS else "zh"


async def page_caller(request: Request) -> Caller:
    """Dependency: the signed-in caller (``NotSignedIn`` redirects pages to /login).

    Async so that a session the first-sign-in middleware already read costs no threadpool
    hop; a lookup (a Bearer token) still runs in the threadpool."""
    caller = await resolve_caller(request, store_of(request))
    request.state.caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(page_caller)]


def csrf_checked(caller: CallerDep, csrf_token: Annotated[str, Form()] = "") -> None:
    """The form's CSRF check as a dependency: it runs before the rest of the form is
    validated, so a cookie request without its token is a 403 whatever it holds (not 422)."""
    check_csrf(caller, csrf_token)


CsrfDep = Depends(csrf_checked)
"""Put in a page route's ``dependencies=[CsrfDep]``; the route may still take ``csrf_token``."""


def api_csrf_checked(
    request: Request,
    actor: Annotated[Actor, Depends(current_actor)],
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> None:
    """The JSON API's CSRF check: a cookie-authenticated POST carries the session's token in
    the ``X-CSRF-Token`` header (a Bearer token needs none). As a dependency it runs before
    the body is validated, so a cookie request without its token is a 403 whatever its body
    (not a 422). It shares ``current_actor`` with the route, so the caller is read once."""
    check_csrf(request.state.caller, x_csrf_token)


ApiCsrfDep = Depends(api_csrf_checked)
"""Put in an API route's ``dependencies=[ApiCsrfDep]``; the route need not check again."""
"""The signed-in caller of a page or API route (``NotSignedIn`` → /login or 401)."""


def render(request: Request, name: str, ctx: dict[str, object], status: int = 200) -> HTMLResponse:
    """A page in the caller's language, with label helpers every template may use."""
    lang = lang_of(request)
    store = store_of(request)
    response = templates().TemplateResponse(
        request,
        name,
        {
            "t": lambda key: translate(key, lang),
            "lang": lang,
            "caller": getattr(request.state, "caller", None),
            "role_label": ROLE_LABELS_ZH,
            "field_label": lambda key: field_label(store, key, lang),
            "dept_label": lambda key: dept_label(store, key, lang),
            **ctx,
        },
        status_code=status,
    )
    if request.query_params.get("lang") in LANGS:
        response.set_cookie("lang", lang, samesite="lax", httponly=True, secure=secure(request))
    return response


def field_label(store: Store, key: str, lang: str) -> str:
    f = store.dictionary.fields.get(key)
    if f is None:
        return key
    return f.label_en if lang == "en" else f.label_zh


def dept_label(store: Store, key: str | None, lang: str) -> str:
    d = store.dictionary.departments.get(key or "")
    if d is None:
        return key or ""
    return d.name_en if lang == "en" else d.name_zh
