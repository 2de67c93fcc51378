"""Typed dependencies every service's routes use: the service's context and a database session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from shared.web.context import ServiceContext, context_of


def get_context(request: Request) -> ServiceContext:
    return context_of(request.app)


ContextDep = Annotated[ServiceContext, Depends(get_context)]


def get_session(context: ContextDep) -> Iterator[Session]:
    # Closing rolls back whatever the route did not commit (an error mid-way, say).
    with context.database.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
