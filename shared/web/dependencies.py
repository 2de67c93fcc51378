"""Typed dependencies every service's routes use: the service's context and a database session."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from shared.web.context import ServiceContext, context_of

# Both are ``async`` so that FastAPI does not send them to its thread pool (a sync dependency
# costs a trip there). Neither blocks: a session connects only when first used.
#
# The kit's own dependencies take the context from the ``Request`` (``context_of``) rather than
# through ``ContextDep``: FastAPI walks every sub-dependency's tree on every request, even one
# whose value it has cached, and each step costs more than the lookup it stands for.


async def get_context(request: Request) -> ServiceContext:
    return context_of(request.app)


ContextDep = Annotated[ServiceContext, Depends(get_context)]


def new_session(request: Request) -> Session:
    """A new session for the request's route, which closes it as its endpoint ends
    (``SessionScopedRoute``); refused to a route of another class, which would not. The
    route closes the sessions among its endpoint's arguments (a ``Session``, a ``Write``'s),
    so only endpoints take one, not other dependencies.

    No dependency here closes a session: FastAPI runs a generator dependency's teardown in an
    exit stack under a shielded cancel scope, which cost a read more than one of its queries,
    and the route closes its sessions earlier anyway. A session the endpoint never got (a
    later dependency refused the request) never connected, so it holds nothing to close."""
    if not getattr(request.scope.get("route"), "closes_sessions", False):
        raise RuntimeError(
            "a route that takes a database session must be a SessionScopedRoute "
            "(shared.web.routing), which closes it"
        )
    return context_of(request.app).database.sessions()


async def get_session(request: Request) -> Session:
    return new_session(request)


SessionDep = Annotated[Session, Depends(get_session)]
