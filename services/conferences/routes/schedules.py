"""The schedule and the agendas: as JSON, and as files to download (CSV, XLSX, ICS, PDF) in
Vietnamese or English."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.conferences import views
from services.conferences.domain.model import Language
from services.conferences.downloads import AgendaFormat, AgendasFormat, ScheduleFormat
from services.conferences.routes.dependencies import (
    FILE_RESPONSES,
    ConferenceId,
    LanguageQuery,
    OwnLanguageQuery,
    ParticipantId,
    file_response,
)
from services.conferences.schemas import AgendaPublic, SchedulePublic
from shared.web.auth import CurrentCaller, Organiser
from shared.web.dependencies import SessionDep
from shared.web.errors import READING
from shared.web.routing import SessionScopedRoute

router = APIRouter(prefix="/conferences", tags=["schedules"], route_class=SessionScopedRoute)


@router.get(
    "/{conference_id}/schedule",
    response_model=SchedulePublic,
    responses=READING,
    summary="The newest schedule: grid, gap to the bound, and what did not fit (organisers)",
)
def read_schedule(
    conference_id: ConferenceId,
    caller: Organiser,
    session: SessionDep,
    language: LanguageQuery = Language.VI,
) -> SchedulePublic:
    return views.schedule(session, caller, conference_id, language)


@router.get(
    "/{conference_id}/schedule.{file_format}",
    response_class=Response,
    responses={**READING, **FILE_RESPONSES},
    summary="The grid as CSV, XLSX (with every agenda), ICS or PDF (organisers)",
)
def download_schedule(
    conference_id: ConferenceId,
    file_format: ScheduleFormat,
    caller: Organiser,
    session: SessionDep,
    language: LanguageQuery = Language.VI,
) -> Response:
    return file_response(
        views.schedule_download(session, caller, conference_id, file_format, language)
    )


@router.get(
    "/{conference_id}/agendas.{file_format}",
    response_class=Response,
    responses={**READING, **FILE_RESPONSES},
    summary="Every participant's agenda in one CSV or PDF, to print (organisers)",
)
def download_agendas(
    conference_id: ConferenceId,
    file_format: AgendasFormat,
    caller: Organiser,
    session: SessionDep,
    language: LanguageQuery = Language.VI,
) -> Response:
    return file_response(
        views.agendas_download(session, caller, conference_id, file_format, language)
    )


# Before the JSON agenda: "/agendas/coop-1.pdf" would also fit "/agendas/{participant_id}".
@router.get(
    "/{conference_id}/agendas/{participant_id}.{file_format}",
    response_class=Response,
    responses={**READING, **FILE_RESPONSES},
    summary="A participant's agenda as CSV, ICS or PDF (organisers, or the participant)",
)
def download_agenda(
    conference_id: ConferenceId,
    participant_id: ParticipantId,
    file_format: AgendaFormat,
    caller: CurrentCaller,
    session: SessionDep,
    language: OwnLanguageQuery = None,
) -> Response:
    return file_response(
        views.agenda_download(session, caller, conference_id, participant_id, file_format, language)
    )


@router.get(
    "/{conference_id}/agendas/{participant_id}",
    response_model=AgendaPublic,
    responses=READING,
    summary="A participant's agenda: who, when, which table, why (organisers, or itself)",
)
def read_agenda(
    conference_id: ConferenceId,
    participant_id: ParticipantId,
    caller: CurrentCaller,
    session: SessionDep,
    language: OwnLanguageQuery = None,
) -> AgendaPublic:
    return views.agenda(session, caller, conference_id, participant_id, language)
