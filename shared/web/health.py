"""``GET /healthz``: the process answers and its database does too."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from shared.web.dependencies import ContextDep
from shared.web.errors import ErrorResponse, ServiceUnavailable

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"]
    service: str


@router.get(
    "/healthz",
    summary="Is the service up?",
    response_model=Health,
    responses={503: {"model": ErrorResponse, "description": "The database does not answer"}},
)
def healthz(context: ContextDep) -> Health:
    try:
        with context.database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        raise ServiceUnavailable(f"database unreachable: {type(error).__name__}") from None
    return Health(status="ok", service=context.spec.name)
