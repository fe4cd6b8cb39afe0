"""How the web layer answers a failure: one handler per known exception, never a traceback.

Every handler answers ``/api/...`` with JSON (``detail`` in Chinese, ``detail_en`` in
English) and a page with ``error.html`` in the caller's language. Known domain exceptions get
their proper status (404 unknown, 409 changed meanwhile, 400 refused input); a database that
is busy (SQLite's "database is locked" after the busy timeout while a long import holds the
write lock; a PostgreSQL lock timeout, deadlock or serialisation failure; an exhausted
connection pool) is a 503 with ``Retry-After``, since trying again later is the remedy. A
value the database refuses to hold (PostgreSQL: a NUL character in text, a number past its
column's range) is the caller's input, so a 400.
Anything else is a real bug and stays a 500 (without a traceback in the answer).

Each answer carries its catalogued finding ``code`` (``data/findings.yaml``, documented in
``docs/findings.md``): the first finding's for refused input, ``request.*``/``system.busy``
for the other kinds, with the catalogue's words.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response

from onesheet.domain.access import AccessDenied
from onesheet.domain.findings import InvalidInput, catalogue
from onesheet.domain.values import ValueProblem
from onesheet.services.base import audit_refusal
from onesheet.services.errors import (
    DataError,
    OperationalError,
    PoolTimeout,
    StaleTask,
    StaleTemplate,
)
from onesheet.services.forms import TemplateNotApproved, TemplateNotFound
from onesheet.services.sheet_write import ConcurrentEdit, NoSuchConflict, UnknownEntity
from onesheet.web.auth import CsrfFailed, NotSignedIn
from onesheet.web.i18n import register
from onesheet.web.pages import lang_of, render

RETRY_AFTER_SECONDS = 5


def _words(code: str) -> tuple[str, str]:
    entry = catalogue()[code]
    return entry.zh, entry.en[:1].upper() + entry.en[1:]


BUSY = _words("system.busy")
UNSTORABLE = _words("request.unstorable")
STALE = _words("request.stale")
CSRF_REFUSED = _words("request.csrf")
# SQLite's busy answers, and PostgreSQL's lock_not_available, deadlock, serialisation failure
_BUSY_TEXT = ("database is locked", "database is busy", "database table is locked")
_BUSY_SQLSTATES = {"55P03", "40P01", "40001"}

register(
    {
        "busy": ("系统繁忙", "Busy"),
        "conflict_title": ("数据已变化", "Changed meanwhile"),
    }
)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def answer(
    request: Request,
    status: int,
    zh: str,
    en: str,
    title_key: str,
    headers: dict[str, str] | None = None,
    code: str | None = None,
) -> Response:
    """JSON for the API, the error page for pages; the same words either way."""
    if _is_api(request):
        body = {"detail": zh, "detail_en": en, **({"code": code} if code else {})}
        return JSONResponse(body, status, headers=headers)
    msg = en if lang_of(request) == "en" else zh
    response = render(request, "error.html", {"title_key": title_key, "message": msg}, status)
    response.headers.update(headers or {})
    return response


def _split(text: str) -> tuple[str, str]:
    """'中文 (English)' messages of the older exceptions → (zh, en)."""
    if text.endswith(")") and " (" in text:
        zh, en = text[:-1].split(" (", 1)
        return zh, en
    return text, text


def _audit_route_refusal(request: Request, exc: AccessDenied) -> None:
    """A refusal the route made itself (a role or ownership check before or after a
    service) is audited as ``denied`` like a service's own refusal (which is not audited
    twice): the caller, the method and path, and the entity when the path names one."""
    caller = getattr(request.state, "caller", None)
    if caller is None:
        return  # no actor to name: NotSignedIn answers before any AccessDenied can
    entity = str(request.path_params.get("entity_id", ""))
    audit_refusal(
        request.app.state.store,
        caller.actor,
        exc,
        where=f"route={request.method} {request.url.path}",
        entity_id=int(entity)
        if entity.isascii() and entity.isdigit() and len(entity) < 19
        else None,
    )


def is_busy(exc: BaseException) -> bool:
    """Whether a database error means "busy, try again" rather than a bug."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, OperationalError):
        return False
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    text = str(orig if orig is not None else exc).lower()
    return any(t in text for t in _BUSY_TEXT)


def install(app: FastAPI) -> None:
    """Register every handler on ``app``."""

    @app.exception_handler(NotSignedIn)
    def _not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if _is_api(request):
            body = {"detail": "not signed in / 未登录", "code": "request.not_signed_in"}
            return JSONResponse(body, status_code=401)
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)

    @app.exception_handler(AccessDenied)
    def _denied(request: Request, exc: AccessDenied) -> Response:
        _audit_route_refusal(request, exc)
        return answer(
            request, 403, exc.message_zh, exc.message_en, "forbidden", code="request.forbidden"
        )

    @app.exception_handler(CsrfFailed)
    def _csrf(request: Request, exc: CsrfFailed) -> Response:
        # A signed-in caller's change without its token may be a forged cross-site request:
        # audited like any refusal, so "who tried to change person X" has an answer.
        _audit_route_refusal(request, AccessDenied(*CSRF_REFUSED))
        msg = "表单已过期，请刷新后重试 (CSRF token missing or wrong)"
        return answer(request, 403, msg, msg, "forbidden", code="request.csrf")

    @app.exception_handler(InvalidInput)
    def _invalid(request: Request, exc: InvalidInput) -> Response:
        code = exc.findings[0].code if exc.findings else None
        zh, en = exc.message("zh"), exc.message("en")
        return answer(request, exc.status, zh, en, "bad_request", code=code)

    @app.exception_handler(ValueProblem)
    def _value(request: Request, exc: ValueProblem) -> Response:
        zh, en = exc.message_zh, exc.message_en
        return answer(request, 400, zh, en, "bad_request", code=exc.code)

    @app.exception_handler(UnknownEntity)
    @app.exception_handler(NoSuchConflict)
    @app.exception_handler(TemplateNotFound)
    def _unknown(request: Request, exc: Exception) -> Response:
        zh, en = _split(str(exc)) if str(exc) else ("未找到", "not found")
        return answer(request, 404, zh, en, "not_found", code="request.not_found")

    @app.exception_handler(TemplateNotApproved)
    def _not_approved(request: Request, exc: TemplateNotApproved) -> Response:
        zh, en = _split(str(exc))
        return answer(request, 409, zh, en, "bad_request", code="request.not_approved")

    @app.exception_handler(ConcurrentEdit)
    @app.exception_handler(StaleTask)
    @app.exception_handler(StaleTemplate)
    def _stale(request: Request, exc: Exception) -> Response:
        return answer(request, 409, *STALE, "conflict_title", code="request.stale")

    @app.exception_handler(RequestValidationError)
    async def _malformed(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return await request_validation_exception_handler(request, exc)
        where = "、".join(str(e.get("loc", ["?"])[-1]) for e in exc.errors() if isinstance(e, dict))
        zh = f"请求参数有误：{where}"
        en = f"invalid request parameters: {where}"
        return answer(request, 422, zh, en, "bad_request", code="request.malformed")

    @app.exception_handler(DataError)
    def _unstorable(request: Request, exc: DataError) -> Response:
        return answer(request, 400, *UNSTORABLE, "bad_request", code="request.unstorable")

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    def _database(request: Request, exc: Exception) -> Response:
        if not is_busy(exc):
            raise exc  # a real fault: the server error handler answers a plain 500
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return answer(request, 503, *BUSY, "busy", headers, code="system.busy")
