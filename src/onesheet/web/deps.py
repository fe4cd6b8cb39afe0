"""FastAPI dependencies shared by API routers: the store and the calling actor.

``current_actor`` takes the actor from the lead's authentication (``web/auth.caller_of``):
an ``Authorization: Bearer <API token>`` header for department systems, or the session
cookie of a signed-in person. No header that merely names a user is ever trusted. Routers
read the store from ``app.state.store``, which ``create_app`` sets.
"""

from __future__ import annotations

from fastapi import Request

from onesheet.domain.access import Actor
from onesheet.services.base import Store
from onesheet.web.auth import caller_of


def get_store(request: Request) -> Store:
    """The app's store (``create_app`` keeps it on ``app.state``)."""
    return request.app.state.store  # type: ignore[no-any-return]


def current_actor(request: Request) -> Actor:
    """The authenticated actor, or ``NotSignedIn`` (the app answers 401 on /api/)."""
    caller = caller_of(request, get_store(request))
    request.state.caller = caller
    return caller.actor
