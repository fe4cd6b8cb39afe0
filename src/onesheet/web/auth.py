"""Who is calling: a session cookie (people) or a Bearer API token (department systems).

Pages and the API share one rule: no actor, no data. Cookie-authenticated requests that
change anything must carry the session's CSRF token (form field ``csrf_token`` or header
``X-CSRF-Token``); Bearer-token requests carry no cookie and need none.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from onesheet.domain.access import Actor
from onesheet.services import auth
from onesheet.services.base import Store

SESSION_COOKIE = "onesheet_session"
LOGIN_CSRF_COOKIE = "onesheet_login_csrf"


@dataclass(frozen=True)
class Caller:
    """The authenticated actor, how it authenticated, and the session's CSRF token."""

    actor: Actor
    csrf: str | None  # None for API tokens
    via: str  # "session" | "token"


class NotSignedIn(Exception):
    """No valid session or token: pages redirect to /login, the API answers 401."""


class CsrfFailed(Exception):
    """A state-changing cookie request without the right CSRF token."""


def caller_of(request: Request, store: Store) -> Caller:
    """The caller of ``request`` or ``NotSignedIn``."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        actor = auth.token_actor(store, header[7:].strip())
        if actor is None:
            raise NotSignedIn
        return Caller(actor, None, "token")
    token = request.cookies.get(SESSION_COOKIE)
    found = session_of(request.scope, store, token) if token else None
    if found is None:
        raise NotSignedIn
    return Caller(found.actor, found.csrf, "session")


def known_caller(request: Request) -> Caller | None:
    """The caller when the first-sign-in middleware has already looked its session up
    (no database work: an async dependency may answer without a threadpool hop), else None
    (a Bearer token, or no lookup yet: ask ``caller_of``). ``NotSignedIn`` for a session
    found dead."""
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return None
    token = request.cookies.get(SESSION_COOKIE)
    kept = request.scope.get(_SESSION_KEY)
    if not token or kept is None or kept[0] != token:
        return None
    if kept[1] is None:
        raise NotSignedIn
    return Caller(kept[1].actor, kept[1].csrf, "session")


async def resolve_caller(request: Request, store: Store) -> Caller:
    """``caller_of`` for async dependencies: no threadpool hop when the first-sign-in
    middleware has already read the session (``known_caller``)."""
    return known_caller(request) or await run_in_threadpool(caller_of, request, store)


_SESSION_KEY = "onesheet.session"


def session_of(scope: Scope, store: Store, token: str) -> auth.Session | None:
    """The live session of cookie ``token``, looked up once per request.

    The first-sign-in middleware and the route's caller both need it; the answer is kept
    in the request's ASGI scope (keyed by the token, so a session opened by this very
    request is looked up afresh), and never outlives the request: a session that ends or a
    user who is disabled is refused from the next request on."""
    kept = scope.get(_SESSION_KEY)
    if kept is not None and kept[0] == token:
        return kept[1]  # type: ignore[no-any-return]
    found = auth.session_actor(store, token)
    scope[_SESSION_KEY] = (token, found)
    return found


def secure(request: Request) -> bool:
    """Whether cookies set in answer to ``request`` must be ``Secure``: it came over HTTPS.

    Behind a TLS-terminating proxy the scheme is https once uvicorn applies the proxy's
    ``X-Forwarded-Proto`` (``onesheet serve`` trusts it from ``FORWARDED_ALLOW_IPS``, by
    default 127.0.0.1); plain http on 127.0.0.1 keeps working without ``Secure``.
    """
    return request.url.scheme == "https"


def csrf_submitted(request: Request, form_value: str | None = None) -> str | None:
    """The CSRF token a request carries: header ``X-CSRF-Token`` or form field."""
    return request.headers.get("x-csrf-token") or form_value


def check_csrf(caller: Caller, submitted: str | None) -> None:
    """Refuse a cookie-authenticated change whose CSRF token is missing or wrong."""
    if caller.via == "token":
        return
    if not submitted or not caller.csrf or not hmac.compare_digest(submitted, caller.csrf):
        raise CsrfFailed


def check_same_origin(caller: Caller, fetch_site: str | None) -> None:
    """Refuse a cookie-authenticated GET with side effects started from another site.

    A report download records a run and an audit event; SameSite=Lax still sends the cookie
    on a link followed from elsewhere, so the browser's ``Sec-Fetch-Site`` header decides:
    only the app's own pages (``same-origin``) or the address bar (``none``) may start it.
    Bearer callers are systems, not browsers, and need no such check.
    """
    if caller.via == "session" and fetch_site in ("cross-site", "same-site"):
        raise CsrfFailed
