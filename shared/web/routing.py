"""The route class of every service router: a request's database sessions end with its endpoint.

FastAPI runs a sync endpoint on AnyIO's thread pool (40 threads), then validates its answer on
that pool again, and closes ``get_session``'s session only after that. Between the two, the
request holds a pooled connection while it queues for a thread, and threads in other requests'
endpoints queue for connections: with fewer connections than threads they block each other until
the pool times out (500s at ~100 requests/s before this). Closing the sessions when the endpoint
returns means only a running endpoint holds a connection, so a pool of any size drains.

Use it on every router a :class:`~shared.web.service.ServiceSpec` lists::

    router = APIRouter(prefix="/demands", tags=["demands"], route_class=SessionScopedRoute)

Endpoints answer with Pydantic models or Responses, never with ORM rows, so nothing needs the
session after they return. Closing rolls back whatever was not committed.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from shared.web.idempotency import Write


def _sessions_in(arguments: dict[str, Any]) -> list[Session]:
    sessions = []
    for value in arguments.values():
        if isinstance(value, Session):
            sessions.append(value)
        elif isinstance(value, Write):
            sessions.append(value.session)
    return sessions


def closing_sessions(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """``endpoint``, closing the sessions it was given as soon as it returns or raises."""
    if inspect.iscoroutinefunction(endpoint) or getattr(endpoint, "closes_sessions", False):
        return endpoint  # async endpoints are validated without another trip to the pool

    @functools.wraps(endpoint)  # FastAPI reads the parameters through __wrapped__
    def endpoint_then_close(*args: Any, **kwargs: Any) -> Any:
        try:
            return endpoint(*args, **kwargs)
        finally:
            for session in _sessions_in(kwargs):
                session.close()

    endpoint_then_close.closes_sessions = True  # type: ignore[attr-defined]
    return endpoint_then_close


class SessionScopedRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, closing_sessions(endpoint), **kwargs)
