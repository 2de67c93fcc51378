"""After the conference: what came of each meeting, and the steering committee's report."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.conferences import handlers, views
from services.conferences.routes.dependencies import ConferenceId
from services.conferences.schemas import OutcomePublic, OutcomesCreate, OutcomesPublic, ReportPublic
from shared.web.auth import Organiser
from shared.web.dependencies import SessionDep
from shared.web.errors import CHANGING, READING
from shared.web.idempotency import IdempotentWrite
from shared.web.routing import SessionScopedRoute

router = APIRouter(prefix="/conferences", tags=["outcomes"], route_class=SessionScopedRoute)


@router.post(
    "/{conference_id}/outcomes",
    status_code=201,
    response_model=OutcomesPublic,
    responses=CHANGING,
    summary="Record outcomes: met, no show, MoU signed, contract, loan application (organisers)",
)
def record_outcomes(
    conference_id: ConferenceId, body: OutcomesCreate, caller: Organiser, write: IdempotentWrite
) -> Response:
    return write.respond(
        201, lambda: handlers.record_outcomes(write.unit, caller, conference_id, body)
    )


@router.get(
    "/{conference_id}/outcomes",
    response_model=list[OutcomePublic],
    responses=READING,
    summary="Every outcome recorded, oldest first (organisers)",
)
def list_outcomes(
    conference_id: ConferenceId, caller: Organiser, session: SessionDep
) -> list[OutcomePublic]:
    return views.outcomes(session, caller, conference_id)


@router.get(
    "/{conference_id}/report",
    response_model=ReportPublic,
    responses=READING,
    summary="For the steering committee: meetings held, MoUs, contracts, loan applications",
)
def report(conference_id: ConferenceId, caller: Organiser, session: SessionDep) -> ReportPublic:
    return views.report(session, caller, conference_id)
