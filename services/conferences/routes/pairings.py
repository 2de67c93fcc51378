"""Generating and re-optimising schedules: each starts a background job and answers 202 with
the job's URL, where its progress shows until it ends."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Response

from services.conferences import handlers, views
from services.conferences.domain.model import Language
from services.conferences.routes.dependencies import ConferenceId, LanguageQuery, PairingJobsDep
from services.conferences.schemas import JobPublic, PairingCreate, ReoptimisationCreate
from shared.web.auth import Organiser
from shared.web.dependencies import SessionDep
from shared.web.errors import CHANGING, READING
from shared.web.idempotency import IdempotentWrite, Write
from shared.web.routing import SessionScopedRoute
from shared.web.schemas import IdInPath

router = APIRouter(prefix="/conferences", tags=["pairings"], route_class=SessionScopedRoute)

ACCEPTED = {**CHANGING, 202: {"description": "The job was started; follow `url`"}}


def _started(write: Write, jobs: PairingJobsDep, start: Callable[[], JobPublic]) -> Response:
    """Commit the job, then hand it to a worker (a replayed request starts nothing)."""
    started: list[JobPublic] = []

    def action() -> JobPublic:
        job = start()
        started.append(job)
        return job

    response = write.respond(202, action)
    for job in started:
        jobs.submit(job.job_id)
        response.headers["Location"] = job.url
    return response


@router.post(
    "/{conference_id}/pairings",
    status_code=202,
    response_model=JobPublic,
    responses=ACCEPTED,
    summary="Generate the schedule: pairs, slots and tables (organisers)",
)
def generate_pairings(
    conference_id: ConferenceId,
    body: PairingCreate,
    caller: Organiser,
    write: IdempotentWrite,
    jobs: PairingJobsDep,
) -> Response:
    return _started(
        write,
        jobs,
        lambda: handlers.start_pairing(write.unit, caller, conference_id, body, jobs),
    )


@router.post(
    "/{conference_id}/reoptimise",
    status_code=202,
    response_model=JobPublic,
    responses=ACCEPTED,
    summary="After cancellations or late arrivals: refill the open slots, keep the rest",
)
def reoptimise(
    conference_id: ConferenceId,
    body: ReoptimisationCreate,
    caller: Organiser,
    write: IdempotentWrite,
    jobs: PairingJobsDep,
) -> Response:
    return _started(
        write,
        jobs,
        lambda: handlers.start_reoptimisation(write.unit, caller, conference_id, body, jobs),
    )


@router.get(
    "/{conference_id}/pairing-jobs/{job_id}",
    response_model=JobPublic,
    responses=READING,
    summary="A pairing job: state, progress (score, bound, gap, elapsed) and result",
)
def read_job(
    conference_id: ConferenceId,
    job_id: IdInPath,
    caller: Organiser,
    session: SessionDep,
    jobs: PairingJobsDep,
    language: LanguageQuery = Language.VI,
) -> JobPublic:
    return views.job(session, caller, conference_id, job_id, jobs.settings, language)
