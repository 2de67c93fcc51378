"""``/v1/conferences/{id}/participants``: invite, and each participant's availability,
maximum of meetings and language."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.conferences import handlers, views
from services.conferences.routes.dependencies import ConferenceId, ParticipantId
from services.conferences.schemas import (
    Invitation,
    InvitationPublic,
    ParticipantPublic,
    ParticipantUpdate,
)
from shared.web.auth import CurrentCaller, Organiser
from shared.web.dependencies import SessionDep
from shared.web.errors import CHANGING, READING
from shared.web.idempotency import IdempotentWrite, PlainWrite
from shared.web.routing import SessionScopedRoute

router = APIRouter(prefix="/conferences", tags=["participants"], route_class=SessionScopedRoute)


@router.post(
    "/{conference_id}/participants",
    status_code=201,
    response_model=InvitationPublic,
    responses=CHANGING,
    summary="Invite participants one by one, or everyone of a district, sector or kind",
)
def invite(
    conference_id: ConferenceId, body: Invitation, caller: Organiser, write: IdempotentWrite
) -> Response:
    return write.respond(201, lambda: handlers.invite(write.unit, caller, conference_id, body))


@router.get(
    "/{conference_id}/participants",
    response_model=list[ParticipantPublic],
    responses=READING,
    summary="Organisers: everyone invited; a participant: itself",
)
def list_participants(
    conference_id: ConferenceId, caller: CurrentCaller, session: SessionDep
) -> list[ParticipantPublic]:
    return views.participants(session, caller, conference_id)


@router.get(
    "/{conference_id}/participants/{participant_id}",
    response_model=ParticipantPublic,
    responses=READING,
    summary="One participant (organisers, or the participant itself)",
)
def read_participant(
    conference_id: ConferenceId,
    participant_id: ParticipantId,
    caller: CurrentCaller,
    session: SessionDep,
) -> ParticipantPublic:
    return views.participant(session, caller, conference_id, participant_id)


@router.put(
    "/{conference_id}/participants/{participant_id}",
    response_model=ParticipantPublic,
    responses=CHANGING,
    summary="Replace a participant's availability, maximum of meetings and language",
)
def update_participant(
    conference_id: ConferenceId,
    participant_id: ParticipantId,
    body: ParticipantUpdate,
    caller: CurrentCaller,
    write: PlainWrite,
) -> Response:
    return write.respond(
        200,
        lambda: handlers.update_participant(
            write.unit, caller, conference_id, participant_id, body
        ),
    )
