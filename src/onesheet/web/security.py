"""Security headers on every answer, and the API docs served from the app's own files.

``SecurityHeaders`` is a plain ASGI middleware (it never buffers a body, so streamed reports
stay streamed): every response gets a Content-Security-Policy that allows scripts, styles,
images and requests from this origin only and no framing, plus ``nosniff``, ``DENY`` and
``no-referrer``. Everything but ``/static`` is personal data or depends on who asks, so it
is ``Cache-Control: no-store``; static files keep their validators.

The templates follow the policy: no inline script or style, no ``style=`` attribute, no
event-handler attribute — page scripts and styles live under ``/static``, and JSON a script
needs is embedded as ``<script type="application/json">`` (data, not code).

``/docs`` is Swagger UI from ``static/vendor`` (see its README) started by
``static/docs.js``; FastAPI's own page would load it from a CDN and start it inline.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SWAGGER_UI = "5.35.0"
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",  # Swagger UI's icons are data: SVGs in its stylesheet
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
NO_STORE = (b"cache-control", b"no-store")


class HttpMiddleware:
    """A plain ASGI middleware for HTTP requests (no ``BaseHTTPMiddleware``: that costs a
    task group and a body stream per request); lifespan and other scopes pass straight
    through. A subclass writes ``http``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class SecurityHeaders(HttpMiddleware):
    """Add the security headers (and ``no-store`` outside ``/static``) to every response."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        static = scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not static:
                    headers = [(k, v) for k, v in headers if k.lower() != NO_STORE[0]]
                    headers.append(NO_STORE)
                given = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in HEADERS if k not in given]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


docs_router = APIRouter(include_in_schema=False)

_DOCS_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · API</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui-{version}.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="/static/vendor/swagger-ui-bundle-{version}.js"></script>
<script src="/static/docs.js"></script>
</body>
</html>
"""


@docs_router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI over ``/openapi.json``, every file from this app."""
    app = request.app
    return HTMLResponse(
        _DOCS_PAGE.format(
            title=escape(app.title), version=SWAGGER_UI, openapi=escape(app.openapi_url)
        )
    )
