"""``/v1/conferences``: create and read linkage conferences."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.conferences import handlers, views
from services.conferences.routes.dependencies import ConferenceId
from services.conferences.schemas import ConferenceCreate, ConferencePublic
from shared.web.auth import CurrentCaller, Organiser
from shared.web.dependencies import SessionDep
from shared.web.errors import CREATING, LISTING, READING
from shared.web.idempotency import IdempotentWrite
from shared.web.routing import SessionScopedRoute
from shared.web.schemas import LimitQuery, OffsetQuery

router = APIRouter(prefix="/conferences", tags=["conferences"], route_class=SessionScopedRoute)


@router.post(
    "",
    status_code=201,
    response_model=ConferencePublic,
    responses=CREATING,
    summary="Create a conference: day, venue, time slots with breaks, tables (organisers)",
)
def create_conference(
    body: ConferenceCreate, caller: Organiser, write: IdempotentWrite
) -> Response:
    return write.respond(201, lambda: handlers.create_conference(write.unit, caller, body))


@router.get(
    "",
    response_model=list[ConferencePublic],
    responses=LISTING,
    summary="Organisers: every conference; others: those they are invited to",
)
def list_conferences(
    caller: CurrentCaller, session: SessionDep, limit: LimitQuery = 50, offset: OffsetQuery = 0
) -> list[ConferencePublic]:
    return views.conferences(session, caller, limit, offset)


@router.get(
    "/{conference_id}",
    response_model=ConferencePublic,
    responses=READING,
    summary="A conference (organisers, or a participant invited to it)",
)
def read_conference(
    conference_id: ConferenceId, caller: CurrentCaller, session: SessionDep
) -> ConferencePublic:
    return views.conference(session, caller, conference_id)
