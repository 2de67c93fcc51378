"""Pairing jobs: a schedule is generated (or re-optimised) in a worker thread of the API
process, while organisers follow its progress at the job's URL.

A job is a row: ``queued`` when asked for, ``running`` once a worker claims it (one worker
wins, even across processes), then ``succeeded`` with a new revision, or ``failed`` with an
error in the API's format. The solver has a time limit, so a job always ends; a job that is
still unfinished well after its limit (its process stopped) is shown as failed, and another
may be started.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, update
from sqlalchemy.exc import SQLAlchemyError

from services.conferences.api_errors import as_api_error
from services.conferences.domain.errors import ConferenceError
from services.conferences.domain.model import (
    Conference,
    FairnessMode,
    PairingInputs,
    Progress,
    Schedule,
    SchedulingResult,
)
from services.conferences.domain.reoptimisation import reoptimise
from services.conferences.domain.scheduling import generate_schedule
from services.conferences.domain.solvers import ProgressCallback, SolveOptions
from services.conferences.events import EventTooLarge, fitting
from services.conferences.orm import PairingJobRow
from services.conferences.repository import Conferences, to_schedule
from services.conferences.schemas import JobState
from services.conferences.settings import ConferencesSettings
from shared.outbox.writer import Outbox
from shared.storage.database import Database
from shared.storage.types import utc_now
from shared.topics import CONFERENCES
from shared.web.errors import ApiError

log = logging.getLogger(__name__)

GENERATE = "generate"
REOPTIMISE = "reoptimise"


def job_url(conference_id: str, job_id: str) -> str:
    return f"/v1/conferences/{conference_id}/pairing-jobs/{job_id}"


def deadline(row: PairingJobRow, settings: ConferencesSettings) -> datetime:
    """When an unfinished job stops being believed: its time limit plus a grace after it
    started, or the queue's patience when it never started."""
    if row.started_at is None:
        return row.created_at + timedelta(seconds=settings.queue_timeout_seconds)
    limit = float(row.parameters["time_limit_seconds"])
    return row.started_at + timedelta(seconds=limit + settings.overdue_after_seconds)


def is_overdue(row: PairingJobRow, settings: ConferencesSettings, now: datetime) -> bool:
    unfinished = row.state in (JobState.QUEUED, JobState.RUNNING)
    return unfinished and now > deadline(row, settings)


def overdue_error(row: PairingJobRow) -> dict[str, Any]:
    return {
        "code": "overdue",
        "message": f"job {row.id} did not finish within its time limit; the service may have "
        "restarted meanwhile. Start the pairing again.",
        "fields": [],
    }


@dataclass(frozen=True)
class _Work:
    """What a job solves, read from the database before the solver starts."""

    conference_id: str
    action: str
    parameters: dict[str, Any]
    conference: Conference  # as invited: names and kinds, for the event
    solving: Conference  # as the solver sees it
    inputs: PairingInputs
    schedule: Schedule | None  # the revision a re-optimisation starts from
    fairness_floor: int
    fairness_mode: FairnessMode
    cancelled: tuple[str, ...] = ()
    late: dict[str, str] = field(default_factory=dict)


class PairingJobs:
    """Runs the API process's pairing jobs, a few at a time (``concurrent_solves``)."""

    def __init__(
        self, database: Database, settings: ConferencesSettings, outbox: Table, producer: str
    ) -> None:
        self.settings = settings
        self._database = database
        self._outbox = outbox
        self._producer = producer
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, job_id: str) -> None:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.settings.concurrent_solves, thread_name_prefix="pairing"
                )
            self._pool.submit(self.run, job_id)

    def shutdown(self) -> None:
        """Stop taking jobs; a solve under way ends at its time limit."""
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None

    # --- one job, start to end -----------------------------------------------------------

    def run(self, job_id: str) -> None:
        """Claim the job and run it to its end; a job claimed elsewhere is left alone."""
        if not self._claim(job_id):
            return
        try:
            work = self._read(job_id)
            result = self._solve(work, self._progress_writer(job_id))
            self._save(job_id, work, result)
        except ConferenceError as error:
            self._fail(job_id, _error_document(as_api_error(error)))
        except EventTooLarge as error:
            self._fail(job_id, {"code": "event_too_large", "message": str(error), "fields": []})
        except Exception:
            log.exception("pairing job %s failed", job_id)
            self._fail(
                job_id,
                {
                    "code": "internal_error",
                    "message": "an internal error stopped the job; it has been logged",
                    "fields": [],
                },
            )

    def _claim(self, job_id: str) -> bool:
        with self._database.sessions.begin() as session:
            claimed = session.execute(
                update(PairingJobRow)
                .where(PairingJobRow.id == job_id, PairingJobRow.state == JobState.QUEUED.value)
                .values(state=JobState.RUNNING.value, started_at=utc_now())
            )
            return bool(getattr(claimed, "rowcount", 0))

    def _read(self, job_id: str) -> _Work:
        with self._database.sessions() as session:
            conferences = Conferences(session)
            job = session.get(PairingJobRow, job_id)
            assert job is not None  # claimed a moment ago
            row = conferences.get(job.conference_id)
            if row is None:
                raise ConferenceError(f"conference {job.conference_id!r} no longer exists")
            loaded = conferences.load(row)
            inputs = conferences.inputs(loaded, with_candidates=True)
            parameters = dict(job.parameters)
            if job.action == GENERATE:
                floor = int(parameters["fairness_floor"])
                mode = FairnessMode(parameters["fairness_mode"])
                return _Work(
                    conference_id=row.id,
                    action=job.action,
                    parameters=parameters,
                    conference=loaded.conference,
                    solving=loaded.for_solving(floor, mode),
                    inputs=inputs,
                    schedule=None,
                    fairness_floor=floor,
                    fairness_mode=mode,
                )
            latest = conferences.latest_revision(row.id)
            if latest is None:
                raise ConferenceError("there is no schedule to re-optimise; generate one first")
            change = parameters["change"]
            # Earlier cancellations and late arrivals still hold; this change adds to them.
            cancelled = {p.participant_id for p in loaded.participants if p.cancelled}
            cancelled |= set(change["cancelled"])
            late = {
                p.participant_id: p.arrives_for
                for p in loaded.participants
                if p.arrives_for is not None
            }
            late.update(change["late"])
            floor, mode = latest.fairness_floor, FairnessMode(latest.fairness_mode)
            # The domain applies cancellations and late arrivals itself, from ``from_slot`` on:
            # it sees the participants as invited.
            solving = replace(loaded.conference, fairness_floor=floor, fairness_mode=mode)
            return _Work(
                conference_id=row.id,
                action=job.action,
                parameters=parameters,
                conference=loaded.conference,
                solving=solving,
                inputs=inputs,
                schedule=to_schedule(latest),
                fairness_floor=floor,
                fairness_mode=mode,
                cancelled=tuple(sorted(cancelled)),
                late=late,
            )

    def _solve(self, work: _Work, progress: ProgressCallback) -> SchedulingResult:
        options = SolveOptions(
            time_limit_seconds=float(work.parameters["time_limit_seconds"]),
            workers=self.settings.solver_workers,
        )
        solver = str(work.parameters["solver"])
        if work.schedule is None:
            return generate_schedule(
                work.solving, work.inputs, solver=solver, options=options, progress=progress
            )
        return reoptimise(
            work.solving,
            work.inputs,
            work.schedule,
            now_slot_id=str(work.parameters["change"]["from_slot"]),
            cancelled=work.cancelled,
            late=work.late,
            solver=solver,
            options=options,
            progress=progress,
        )

    def _save(self, job_id: str, work: _Work, result: SchedulingResult) -> None:
        """The revision, its event and the job's end, in one transaction."""
        with self._database.sessions() as session:
            conferences = Conferences(session)
            row = conferences.get(work.conference_id, lock=True)
            if row is None:
                raise ConferenceError(f"conference {work.conference_id!r} no longer exists")
            change = work.parameters.get("change")
            revision = conferences.save_revision(
                work.conference_id,
                result,
                job_id=job_id,
                made_by=work.action,
                fairness_floor=work.fairness_floor,
                fairness_mode=work.fairness_mode,
                change=change,
            )
            event = fitting(
                work.conference,
                to_schedule(revision),
                solver=result.solver,
                total_score=result.total_score,
                upper_bound=result.upper_bound,
                gap=result.gap,
                dropped_meeting_ids=revision.dropped,
            )
            Outbox(session, self._outbox, self._producer).add(CONFERENCES, event)
            if work.action == REOPTIMISE:
                for participant in conferences.participants(work.conference_id):
                    if participant.participant_id in work.cancelled:
                        participant.cancelled = True
                    if participant.participant_id in work.late:
                        participant.arrives_for = work.late[participant.participant_id]
            row.touch()
            job = session.get(PairingJobRow, job_id)
            assert job is not None
            job.state = JobState.SUCCEEDED.value
            job.revision = revision.revision
            job.finished_at = utc_now()
            job.progressed_at = job.finished_at
            job.elapsed_seconds = result.seconds
            job.score = result.total_score
            job.objective = result.objective
            job.bound = result.upper_bound
            job.solutions = max(job.solutions, len(result.progress))
            job.floor_missing = sum(s.floor - s.got for s in result.fairness.shortfalls)
            session.commit()

    def _fail(self, job_id: str, error: dict[str, Any]) -> None:
        try:
            with self._database.sessions.begin() as session:
                session.execute(
                    update(PairingJobRow)
                    .where(PairingJobRow.id == job_id)
                    .values(state=JobState.FAILED.value, finished_at=utc_now(), error=error)
                )
        except SQLAlchemyError:
            log.exception("could not record the failure of pairing job %s", job_id)

    def _progress_writer(self, job_id: str) -> ProgressCallback:
        """The solver's progress callback: writes the newest step, at most once per
        ``progress_interval_seconds`` (the end result is written anyway)."""
        last_written = [0.0]
        interval = self.settings.progress_interval_seconds

        def report(step: Progress) -> None:
            now = time.monotonic()
            if now - last_written[0] < interval:
                return
            last_written[0] = now
            try:
                with self._database.sessions.begin() as session:
                    session.execute(
                        update(PairingJobRow)
                        .where(
                            PairingJobRow.id == job_id,
                            PairingJobRow.state == JobState.RUNNING.value,
                        )
                        .values(
                            progressed_at=utc_now(),
                            elapsed_seconds=step.elapsed_seconds,
                            score=step.score,
                            objective=step.objective,
                            bound=step.bound,
                            solutions=step.solutions,
                            floor_missing=step.floor_missing,
                        )
                    )
            except SQLAlchemyError as error:
                # Progress is for people watching; the solve goes on without it.
                log.warning("pairing job %s: progress not saved: %s", job_id, error)

        return report


def _error_document(error: ApiError) -> dict[str, Any]:
    return {
        "code": error.code,
        "message": error.message,
        "fields": [problem.model_dump() for problem in error.fields],
    }
