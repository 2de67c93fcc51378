"""Typed dependencies every service's routes use: the service's context and a database session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from shared.web.context import ServiceContext, context_of

# Both are ``async`` so that FastAPI does not send them to its thread pool (a sync dependency
# costs a trip there, and a sync generator two); neither blocks: a session connects only when
# first used, and by the time it is closed here the endpoint has closed it already
# (shared.web.routing), unless a route kept it open.


async def get_context(request: Request) -> ServiceContext:
    return context_of(request.app)


ContextDep = Annotated[ServiceContext, Depends(get_context)]


async def get_session(context: ContextDep) -> AsyncIterator[Session]:
    # Closing rolls back whatever the route did not commit (an error mid-way, say).
    session = context.database.sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            # It holds a connection: rolling back and returning it may wait on the database.
            await run_in_threadpool(session.close)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_session)]
