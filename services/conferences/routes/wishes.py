"""Who should meet whom: participants' meeting requests, and the organisers' pins and
forbidden pairs."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.conferences import handlers, views
from services.conferences.routes.dependencies import ConferenceId, ParticipantId
from services.conferences.schemas import (
    ForbidCreate,
    ForbidPublic,
    MeetingRequestCreate,
    MeetingRequestPublic,
    PinCreate,
    PinPublic,
)
from shared.web.auth import CurrentCaller, Organiser
from shared.web.dependencies import SessionDep
from shared.web.errors import CHANGING, READING
from shared.web.idempotency import IdempotentWrite, PlainWrite
from shared.web.routing import SessionScopedRoute

router = APIRouter(
    prefix="/conferences", tags=["requests, pins and forbids"], route_class=SessionScopedRoute
)


@router.post(
    "/{conference_id}/requests",
    status_code=201,
    response_model=MeetingRequestPublic,
    responses=CHANGING,
    summary="Ask to meet someone (must_meet, would_like) or not (do_not_want)",
)
def request_meeting(
    conference_id: ConferenceId,
    body: MeetingRequestCreate,
    caller: CurrentCaller,
    write: IdempotentWrite,
) -> Response:
    return write.respond(
        201, lambda: handlers.request_meeting(write.unit, caller, conference_id, body)
    )


@router.get(
    "/{conference_id}/requests",
    response_model=list[MeetingRequestPublic],
    responses=READING,
    summary="Organisers: every request; a participant: its own",
)
def list_requests(
    conference_id: ConferenceId, caller: CurrentCaller, session: SessionDep
) -> list[MeetingRequestPublic]:
    return views.requests(session, caller, conference_id)


@router.delete(
    "/{conference_id}/requests/{requester_id}/{target_id}",
    response_model=MeetingRequestPublic,
    responses=CHANGING,
    summary="Withdraw a request (the participant that made it, or organisers)",
)
def withdraw_request(
    conference_id: ConferenceId,
    requester_id: ParticipantId,
    target_id: ParticipantId,
    caller: CurrentCaller,
    write: PlainWrite,
) -> Response:
    return write.respond(
        200,
        lambda: handlers.withdraw_request(
            write.unit, caller, conference_id, requester_id, target_id
        ),
    )


@router.post(
    "/{conference_id}/pins",
    status_code=201,
    response_model=PinPublic,
    responses=CHANGING,
    summary="Pin a pair: they will meet, in the slot given if any (organisers)",
)
def pin(
    conference_id: ConferenceId, body: PinCreate, caller: Organiser, write: IdempotentWrite
) -> Response:
    return write.respond(201, lambda: handlers.pin(write.unit, caller, conference_id, body))


@router.get(
    "/{conference_id}/pins",
    response_model=list[PinPublic],
    responses=READING,
    summary="The pinned pairs (organisers)",
)
def list_pins(
    conference_id: ConferenceId, caller: Organiser, session: SessionDep
) -> list[PinPublic]:
    return views.pins(session, caller, conference_id)


@router.delete(
    "/{conference_id}/pins/{cooperative_id}/{counterpart_id}",
    response_model=PinPublic,
    responses=CHANGING,
    summary="Unpin a pair (organisers)",
)
def unpin(
    conference_id: ConferenceId,
    cooperative_id: ParticipantId,
    counterpart_id: ParticipantId,
    caller: Organiser,
    write: PlainWrite,
) -> Response:
    return write.respond(
        200,
        lambda: handlers.unpin(write.unit, caller, conference_id, cooperative_id, counterpart_id),
    )


@router.post(
    "/{conference_id}/forbids",
    status_code=201,
    response_model=ForbidPublic,
    responses=CHANGING,
    summary="Forbid a pair: they will not be scheduled (organisers)",
)
def forbid(
    conference_id: ConferenceId, body: ForbidCreate, caller: Organiser, write: IdempotentWrite
) -> Response:
    return write.respond(201, lambda: handlers.forbid(write.unit, caller, conference_id, body))


@router.get(
    "/{conference_id}/forbids",
    response_model=list[ForbidPublic],
    responses=READING,
    summary="The forbidden pairs (organisers)",
)
def list_forbids(
    conference_id: ConferenceId, caller: Organiser, session: SessionDep
) -> list[ForbidPublic]:
    return views.forbids(session, caller, conference_id)


@router.delete(
    "/{conference_id}/forbids/{cooperative_id}/{counterpart_id}",
    response_model=ForbidPublic,
    responses=CHANGING,
    summary="Allow a forbidden pair again (organisers)",
)
def allow(
    conference_id: ConferenceId,
    cooperative_id: ParticipantId,
    counterpart_id: ParticipantId,
    caller: Organiser,
    write: PlainWrite,
) -> Response:
    return write.respond(
        200,
        lambda: handlers.allow(write.unit, caller, conference_id, cooperative_id, counterpart_id),
    )
