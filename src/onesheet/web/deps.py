"""FastAPI dependencies shared by API routers: the store and the calling actor.

``current_actor`` takes the actor from the lead's authentication (``web/auth.caller_of``):
an ``Authorization: Bearer <API token>`` header for department systems, or the session
cookie of a signed-in person. No header that merely names a user is ever trusted. Routers
read the store from ``app.state.store``, which ``create_app`` sets.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request

from onesheet.domain.access import Actor
from onesheet.services.base import Store
from onesheet.web.auth import resolve_caller

# Bounds every list, page and id parameter is validated against (a 422 past them): no
# ``limit=-1`` (SQLite reads LIMIT -1 as "no limit"), no id past a 64-bit integer.
MAX_LIMIT = 200
MAX_PAGE = 100_000
MAX_QUERY = 100
MAX_ID = 2**63 - 1

EntityId = Annotated[int, Path(ge=1, le=MAX_ID, description="对象编号 (entity id)")]
TaskId = Annotated[int, Path(ge=1, le=MAX_ID, description="任务编号 (task id)")]
RuleId = Annotated[int, Path(ge=1, le=MAX_ID, description="规则编号 (rule id)")]
RunId = Annotated[int, Path(ge=1, le=MAX_ID, description="运行编号 (run id)")]
FeedbackId = Annotated[int, Path(ge=1, le=MAX_ID, description="反馈编号 (feedback id)")]
PageNo = Annotated[int, Query(ge=1, le=MAX_PAGE, description="页码，从 1 起 (page, from 1)")]
SearchText = Annotated[str, Query(max_length=MAX_QUERY, description="姓名或身份证号")]


def is_number(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts "²", which ``int`` refuses."""
    return text.isascii() and text.isdigit()


def get_store(request: Request) -> Store:
    """The app's store (``create_app`` keeps it on ``app.state``)."""
    return request.app.state.store  # type: ignore[no-any-return]


async def current_actor(request: Request) -> Actor:
    """The authenticated actor, or ``NotSignedIn`` (the app answers 401 on /api/).

    Async so that a session the first-sign-in middleware already read costs no threadpool
    hop; a lookup (a Bearer token) still runs in the threadpool."""
    caller = await resolve_caller(request, get_store(request))
    request.state.caller = caller
    return caller.actor
