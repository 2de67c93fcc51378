"""The route class of every service router: a request's database sessions end with its endpoint.

FastAPI runs a sync endpoint on AnyIO's thread pool (40 threads), then would validate its answer
on that pool again, and would close a generator dependency's session only after that. Between
the two, the request would hold a pooled connection while it queued for a thread, and threads in
other requests' endpoints would queue for connections: with fewer connections than threads they
blocked each other until the pool timed out (500s at ~100 requests/s). Closing the sessions when
the endpoint returns means only a running endpoint holds a connection, so a pool of any size
drains.

Use it on every router a :class:`~shared.web.service.ServiceSpec` lists::

    router = APIRouter(prefix="/demands", tags=["demands"], route_class=SessionScopedRoute)

Endpoints answer with Pydantic models or Responses, never with ORM rows, so nothing needs the
session after they return. Closing rolls back whatever was not committed. This route is the
only place sessions are closed (``get_session`` has no teardown of its own, and refuses to
serve a route of another class), async endpoints included.

A model the endpoint answers with is checked against the route's response model and turned
into JSON right there, in the endpoint's thread, with FastAPI's own response field: FastAPI
would otherwise queue for the thread pool a second time to check it (routes with options
such as ``response_model_exclude`` or their own response class are left to FastAPI).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Response
from fastapi.concurrency import run_in_threadpool
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import ResponseValidationError
from fastapi.routing import APIRoute
from fastapi.utils import is_body_allowed_for_status_code
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


@dataclass
class _Answer:
    """How the route would serialise an endpoint's result, once FastAPI has built the route:
    its response field (None: leave it to FastAPI) and status code."""

    field: Any = None
    status_code: int = 200

    def response(self, result: Any) -> Any:
        """The result checked against the response model and serialised, exactly as FastAPI
        would (the same field, the same calls), but here in the endpoint's worker thread:
        FastAPI would take the result to the thread pool again to check it."""
        if self.field is None or isinstance(result, Response):
            return result
        value, errors = self.field.validate(result, {}, loc=("response",))
        if errors:
            raise ResponseValidationError(errors=errors, body=result)
        return Response(
            self.field.serialize_json(value, by_alias=True),
            status_code=self.status_code,
            media_type="application/json",
        )


async def _close_async(sessions: list[Session]) -> None:
    for session in sessions:
        if session.in_transaction():
            # It holds a connection: rolling back and returning it may wait on the database.
            await run_in_threadpool(session.close)
        else:
            session.close()


def closing_sessions(
    endpoint: Callable[..., Any], answer: _Answer | None = None
) -> Callable[..., Any]:
    """``endpoint``, closing the sessions it was given as soon as it returns or raises (and
    serialising a sync endpoint's result in the same thread when ``answer`` says how)."""
    if getattr(endpoint, "closes_sessions", False):
        return endpoint
    if inspect.iscoroutinefunction(endpoint):
        # FastAPI validates an async endpoint's answer without another trip to the pool.

        @functools.wraps(endpoint)
        async def async_endpoint_then_close(*args: Any, **kwargs: Any) -> Any:
            try:
                return await endpoint(*args, **kwargs)
            finally:
                await _close_async(_sessions_in(kwargs))

        async_endpoint_then_close.closes_sessions = True  # type: ignore[attr-defined]
        return async_endpoint_then_close
    serialise = answer or _Answer()

    @functools.wraps(endpoint)  # FastAPI reads the parameters through __wrapped__
    def endpoint_then_close(*args: Any, **kwargs: Any) -> Any:
        try:
            result = endpoint(*args, **kwargs)
        finally:
            for session in _sessions_in(kwargs):
                session.close()
        return serialise.response(result)

    endpoint_then_close.closes_sessions = True  # type: ignore[attr-defined]
    return endpoint_then_close


def _takes_response(dependant: Dependant) -> bool:
    return dependant.response_param_name is not None or any(
        _takes_response(sub) for sub in dependant.dependencies
    )


class SessionScopedRoute(APIRoute):
    closes_sessions = True
    """Read by ``get_session``: its sessions are closed here, so it need not close them."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        answer = _Answer()
        super().__init__(path, closing_sessions(endpoint, answer), **kwargs)
        field = self.response_field
        plain = (  # what FastAPI would do is "validate, then dump_json with the defaults"
            field is not None
            and hasattr(field, "serialize_json")
            and isinstance(self.response_class, DefaultPlaceholder)
            and self.response_model_include is None
            and self.response_model_exclude is None
            and self.response_model_by_alias
            and not self.response_model_exclude_unset
            and not self.response_model_exclude_defaults
            and not self.response_model_exclude_none
            and is_body_allowed_for_status_code(self.status_code or 200)
            # A Response parameter's status and headers go only onto answers FastAPI makes.
            and not _takes_response(self.dependant)
        )
        if plain:
            answer.field, answer.status_code = field, self.status_code or 200
