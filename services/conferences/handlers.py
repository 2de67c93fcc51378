"""The write side: create conferences, invite, take requests, pins and forbids, start pairing
jobs, record outcomes.

Each handler changes rows (and adds events to the outbox); the caller commits both in one
transaction (``shared.web.idempotency.Write``). After every change the whole conference is
checked by the domain, so what is stored can always be scheduled, and a problem is named
when it is made, not when the solver runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from services.conferences import views
from services.conferences.access import (
    conference_to_change,
    is_organiser,
    own_participant,
    participant_to_change,
)
from services.conferences.domain.errors import ConferenceInputError, Problem
from services.conferences.domain.model import (
    Conference,
    Participant,
    ParticipantKind,
    Slot,
)
from services.conferences.domain.outcomes import record_outcome
from services.conferences.domain.solvers import get_solver
from services.conferences.domain.validation import validate
from services.conferences.events import outcome_recorded
from services.conferences.jobs import GENERATE, REOPTIMISE, PairingJobs, is_overdue, job_url
from services.conferences.orm import (
    ConferenceRow,
    ForbidRow,
    MeetingRequestRow,
    PairingJobRow,
    ParticipantRow,
    PinRow,
    SlotRow,
)
from services.conferences.participant_directory import known_cooperative, select_participants
from services.conferences.repository import Conferences, to_schedule
from services.conferences.schemas import (
    ConferenceCreate,
    ConferencePublic,
    ForbidCreate,
    ForbidPublic,
    Invitation,
    InvitationPublic,
    JobPublic,
    JobState,
    MeetingRequestCreate,
    MeetingRequestPublic,
    OutcomesCreate,
    OutcomesPublic,
    PairingCreate,
    ParticipantIn,
    ParticipantPublic,
    ParticipantUpdate,
    PinCreate,
    PinPublic,
    ReoptimisationCreate,
)
from shared.identity.model import Caller
from shared.outbox.unit_of_work import UnitOfWork
from shared.storage.ids import new_id
from shared.storage.types import utc_now
from shared.topics import FEEDBACK
from shared.web.errors import Conflict, FieldProblem, InvalidInput, NotFound

# --- conferences --------------------------------------------------------------------------


def _slot_rows(conference_id: str, data: ConferenceCreate) -> list[SlotRow]:
    return [
        SlotRow(
            conference_id=conference_id,
            slot_id=slot.slot_id or f"slot-{position + 1}",
            position=position,
            starts=slot.start,
            ends=slot.end,
            is_break=slot.is_break,
        )
        for position, slot in enumerate(data.slots)
    ]


def create_conference(unit: UnitOfWork, caller: Caller, data: ConferenceCreate) -> ConferencePublic:
    conference_id = new_id("conf")
    slots = _slot_rows(conference_id, data)
    validate(
        Conference(
            conference_id=conference_id,
            name=data.name,
            day=data.day,
            venue=data.venue,
            slots=tuple(Slot(s.slot_id, s.starts, s.ends, s.is_break) for s in slots),
            table_count=data.table_count,
            meeting_minutes=data.meeting_minutes,
            participants=(),
            timezone=data.timezone,
        )
    )
    row = ConferenceRow(
        id=conference_id,
        organisation_id=caller.organisation_id,
        name=data.name,
        day=data.day,
        venue=data.venue,
        timezone=data.timezone,
        table_count=data.table_count,
        meeting_minutes=data.meeting_minutes,
        slots=slots,
    )
    Conferences(unit.session).add(row)
    return views.conference_public(unit.session, row)


def _check(session: Session, row: ConferenceRow) -> None:
    """The domain's verdict on the conference as it now stands (without the matches, which
    come from the scoring service and are filtered, not refused)."""
    conferences = Conferences(session)
    session.flush()
    loaded = conferences.load(row)
    validate(loaded.conference, conferences.inputs(loaded, with_candidates=False))


# --- participants -------------------------------------------------------------------------


def _explicit(
    session: Session, items: Sequence[ParticipantIn], default_max: int
) -> list[ParticipantRow]:
    rows, problems = [], []
    for position, item in enumerate(items):
        organisation_id, name = item.organisation_id, item.name
        district, sector = item.district, item.sector
        if item.kind is ParticipantKind.COOPERATIVE:
            profile = known_cooperative(session, item.participant_id) or {}
            organisation_id = organisation_id or profile.get("organisation_id")
            name = name or profile.get("name")
            district = district or profile.get("district")
            sector = sector or profile.get("sector")
            if organisation_id is None or name is None:
                problems.append(
                    FieldProblem(
                        field=f"participants[{position}].participant_id",
                        reason=f"unknown cooperative {item.participant_id!r}: it is not in the "
                        "cooperatives directory; give its organisation_id and name",
                    )
                )
                continue
        rows.append(
            ParticipantRow(
                participant_id=item.participant_id,
                organisation_id=organisation_id or item.participant_id,
                kind=item.kind.value,
                name=name or item.participant_id,
                district=district,
                sector=sector,
                max_meetings=default_max if item.max_meetings is None else item.max_meetings,
                language=item.language.value,
                availability=None if item.availability is None else list(item.availability),
                cancelled=False,
                arrives_for=None,
            )
        )
    if problems:
        raise InvalidInput("some participants are unknown; nobody was invited", fields=problems)
    return rows


def _selected(
    session: Session,
    data: Invitation,
    invited: Sequence[ParticipantRow],
    default_max: int,
) -> list[ParticipantRow]:
    assert data.select is not None
    cooperatives, counterparts = select_participants(
        session,
        districts=data.select.districts,
        sectors=data.select.sectors,
        kinds=data.select.kinds,
        invited_cooperatives=[
            p.participant_id for p in invited if p.kind == ParticipantKind.COOPERATIVE.value
        ],
    )
    chosen: list[tuple[Participant, str]] = [
        *cooperatives,
        *((p, p.participant_id) for p in counterparts),
    ]
    return [
        ParticipantRow(
            participant_id=participant.participant_id,
            organisation_id=organisation_id,
            kind=participant.kind.value,
            name=participant.name,
            district=participant.district,
            sector=participant.sector,
            max_meetings=default_max,
            language=data.language.value,
            availability=None,
            cancelled=False,
            arrives_for=None,
        )
        for participant, organisation_id in chosen
    ]


def invite(
    unit: UnitOfWork, caller: Caller, conference_id: str, data: Invitation
) -> InvitationPublic:
    """Invites one by one (an id invited already is a conflict), or everyone selected (those
    invited already are left as they are)."""
    session = unit.session
    row = conference_to_change(session, caller, conference_id)
    conferences = Conferences(session)
    loaded = conferences.load(row)
    meeting_slots = len(loaded.conference.meeting_slots())
    default_max = meeting_slots if data.max_meetings is None else data.max_meetings
    ids = {p.participant_id for p in loaded.participants}
    organisations = {p.organisation_id: p.participant_id for p in loaded.participants}
    if data.participants is not None:
        new = _explicit(session, data.participants, default_max)
        clashes = []
        seen: dict[str, int] = {}
        for position, candidate in enumerate(new):
            field = f"participants[{position}].participant_id"
            if candidate.participant_id in ids:
                clashes.append(FieldProblem(field=field, reason="invited already"))
            elif candidate.organisation_id in organisations:
                clashes.append(
                    FieldProblem(
                        field=field,
                        reason=f"organisation {candidate.organisation_id!r} takes part already "
                        f"as {organisations[candidate.organisation_id]!r}",
                    )
                )
            elif candidate.participant_id in seen:
                clashes.append(
                    FieldProblem(
                        field=field,
                        reason=f"also at participants[{seen[candidate.participant_id]}]",
                    )
                )
            seen.setdefault(candidate.participant_id, position)
        if clashes:
            raise Conflict(
                "some participants take part already; nobody was invited", fields=clashes
            )
        already: list[str] = []
    else:
        selected = _selected(session, data, loaded.participants, default_max)
        new, already = [], []
        for candidate in selected:
            if candidate.participant_id in ids or candidate.organisation_id in organisations:
                already.append(candidate.participant_id)
                continue
            new.append(candidate)
            ids.add(candidate.participant_id)
            organisations[candidate.organisation_id] = candidate.participant_id
    position = conferences.next_position(conference_id)
    for offset, candidate in enumerate(new):
        candidate.conference_id = conference_id
        candidate.position = position + offset
        conferences.add_participant(candidate)
    row.touch()
    _check(session, row)
    return InvitationPublic(
        invited=[views.participant_public(p) for p in new], already_invited=already
    )


def update_participant(
    unit: UnitOfWork,
    caller: Caller,
    conference_id: str,
    participant_id: str,
    data: ParticipantUpdate,
) -> ParticipantPublic:
    """A participant's availability, maximum and language: by the organisers or by the
    participant itself. Takes effect at the next generation or re-optimisation."""
    conference, row = participant_to_change(unit.session, caller, conference_id, participant_id)
    row.availability = None if data.availability is None else list(dict.fromkeys(data.availability))
    row.max_meetings = data.max_meetings
    row.language = data.language.value
    conference.touch()
    _check(unit.session, conference)
    return views.participant_public(row)


# --- requests, pins, forbids --------------------------------------------------------------


def _requester(
    session: Session, caller: Caller, conference_id: str, asked_for: str | None
) -> tuple[ConferenceRow, str]:
    """The conference (locked) and on whose behalf a request is made."""
    conferences = Conferences(session)
    if is_organiser(caller):
        row = conference_to_change(session, caller, conference_id)
        if asked_for is None:
            raise InvalidInput.at("requester_id", "organisers say on whose behalf they ask")
        return row, asked_for
    row_or_none = conferences.get(conference_id, lock=True)
    if row_or_none is None:
        raise NotFound.of("conference", conference_id)
    own = own_participant(session, caller, conference_id).participant_id
    if asked_for is not None and asked_for != own:
        raise InvalidInput.at(
            "requester_id", "you ask for yourself: leave requester_id out or give your own"
        )
    return row_or_none, own


def request_meeting(
    unit: UnitOfWork, caller: Caller, conference_id: str, data: MeetingRequestCreate
) -> MeetingRequestPublic:
    """Must meet, would like, or do not want; asking again about the same participant
    replaces the earlier wish."""
    session = unit.session
    row, requester = _requester(session, caller, conference_id, data.requester_id)
    request = session.get(MeetingRequestRow, (conference_id, requester, data.target_id))
    if request is None:
        request = MeetingRequestRow(
            conference_id=conference_id, requester_id=requester, target_id=data.target_id
        )
        session.add(request)
    request.kind = data.kind.value
    request.made_at = utc_now()
    row.touch()
    _check(session, row)
    return views.request_public(request)


def withdraw_request(
    unit: UnitOfWork, caller: Caller, conference_id: str, requester_id: str, target_id: str
) -> MeetingRequestPublic:
    session = unit.session
    row, requester = _requester(session, caller, conference_id, requester_id)
    request = session.get(MeetingRequestRow, (conference_id, requester, target_id))
    if request is None:
        raise NotFound.of("meeting request", f"{requester}->{target_id}")
    answer = views.request_public(request)
    session.delete(request)
    row.touch()
    return answer


def pin(unit: UnitOfWork, caller: Caller, conference_id: str, data: PinCreate) -> PinPublic:
    """The organisers want this pair to meet (in this slot, if one is given)."""
    session = unit.session
    row = conference_to_change(session, caller, conference_id)
    pinned = session.get(PinRow, (conference_id, data.cooperative_id, data.counterpart_id))
    if pinned is None:
        pinned = PinRow(
            conference_id=conference_id,
            cooperative_id=data.cooperative_id,
            counterpart_id=data.counterpart_id,
        )
        session.add(pinned)
    pinned.slot_id = data.slot_id
    pinned.decided_at = utc_now()
    row.touch()
    _check(session, row)
    return views.pin_public(pinned)


def unpin(
    unit: UnitOfWork, caller: Caller, conference_id: str, cooperative_id: str, counterpart_id: str
) -> PinPublic:
    session = unit.session
    row = conference_to_change(session, caller, conference_id)
    pinned = session.get(PinRow, (conference_id, cooperative_id, counterpart_id))
    if pinned is None:
        raise NotFound.of("pin", f"{cooperative_id}–{counterpart_id}")
    answer = views.pin_public(pinned)
    session.delete(pinned)
    row.touch()
    return answer


def forbid(
    unit: UnitOfWork, caller: Caller, conference_id: str, data: ForbidCreate
) -> ForbidPublic:
    """The organisers do not want this pair to meet."""
    session = unit.session
    row = conference_to_change(session, caller, conference_id)
    key = (conference_id, data.cooperative_id, data.counterpart_id)
    forbidden = session.get(ForbidRow, key)
    if forbidden is None:
        forbidden = ForbidRow(
            conference_id=conference_id,
            cooperative_id=data.cooperative_id,
            counterpart_id=data.counterpart_id,
        )
        session.add(forbidden)
    forbidden.decided_at = utc_now()
    row.touch()
    _check(session, row)
    return views.forbid_public(forbidden)


def allow(
    unit: UnitOfWork, caller: Caller, conference_id: str, cooperative_id: str, counterpart_id: str
) -> ForbidPublic:
    session = unit.session
    row = conference_to_change(session, caller, conference_id)
    forbidden = session.get(ForbidRow, (conference_id, cooperative_id, counterpart_id))
    if forbidden is None:
        raise NotFound.of("forbidden pair", f"{cooperative_id}–{counterpart_id}")
    answer = views.forbid_public(forbidden)
    session.delete(forbidden)
    row.touch()
    return answer


# --- pairing jobs -------------------------------------------------------------------------


def _check_solver(jobs: PairingJobs, solver: str, time_limit_seconds: float) -> None:
    get_solver(solver)  # an unknown name answers 422 listing the known ones
    most = jobs.settings.max_time_limit_seconds
    if time_limit_seconds > most:
        raise InvalidInput.at(
            "time_limit_seconds", f"at most {most:g} seconds (CONFERENCES_MAX_TIME_LIMIT_SECONDS)"
        )


def _no_job_running(session: Session, conference_id: str, jobs: PairingJobs) -> None:
    now = utc_now()
    for running in Conferences(session).unfinished_jobs(conference_id):
        if not is_overdue(running, jobs.settings, now):
            raise Conflict(
                f"a pairing job of this conference is {running.state}: "
                f"{job_url(conference_id, running.id)}; wait for it to end",
                code="job_running",
            )


def _new_job(
    session: Session,
    caller: Caller,
    conference_id: str,
    action: str,
    parameters: dict[str, object],
) -> PairingJobRow:
    job = PairingJobRow(
        id=new_id("job"),
        conference_id=conference_id,
        requested_by=caller.organisation_id,
        action=action,
        parameters=parameters,
        state=JobState.QUEUED.value,
        created_at=utc_now(),
        solutions=0,
    )
    session.add(job)
    session.flush()
    return job


def start_pairing(
    unit: UnitOfWork, caller: Caller, conference_id: str, data: PairingCreate, jobs: PairingJobs
) -> JobPublic:
    """A job that generates a new schedule from scratch; the caller submits it once the
    transaction is committed."""
    session = unit.session
    row = conference_to_change(session, caller, conference_id)
    _check_solver(jobs, data.solver, data.time_limit_seconds)
    conferences = Conferences(session)
    loaded = conferences.load(row)
    validate(
        loaded.for_solving(data.fairness_floor, data.fairness_mode),
        conferences.inputs(loaded, with_candidates=False),
    )
    _no_job_running(session, conference_id, jobs)
    job = _new_job(session, caller, conference_id, GENERATE, data.model_dump(mode="json"))
    return views.job_public(session, job, jobs.settings)


def start_reoptimisation(
    unit: UnitOfWork,
    caller: Caller,
    conference_id: str,
    data: ReoptimisationCreate,
    jobs: PairingJobs,
) -> JobPublic:
    """A job that re-optimises the newest revision after cancellations and late arrivals."""
    session = unit.session
    row = conference_to_change(session, caller, conference_id)
    _check_solver(jobs, data.solver, data.time_limit_seconds)
    conferences = Conferences(session)
    if conferences.latest_revision(conference_id) is None:
        raise Conflict(
            "there is no schedule to re-optimise; generate one first", code="no_schedule"
        )
    loaded = conferences.load(row)
    known = {p.participant_id for p in loaded.participants}
    slots = {s.slot_id for s in loaded.conference.slots}
    problems = []
    if data.from_slot not in slots:
        problems.append(Problem("unknown_slot", "from_slot", f"unknown slot {data.from_slot!r}"))
    for pid in [*data.cancelled, *(late.participant_id for late in data.late)]:
        if pid not in known:
            problems.append(Problem("unknown_participant", pid, f"unknown participant {pid!r}"))
    for late in data.late:
        if late.arrives_for not in slots:
            problems.append(
                Problem(
                    "unknown_slot",
                    late.arrives_for,
                    f"{late.participant_id!r} arrives for unknown slot {late.arrives_for!r}",
                )
            )
    if problems:
        raise ConferenceInputError(problems)
    _no_job_running(session, conference_id, jobs)
    parameters = {
        "solver": data.solver,
        "time_limit_seconds": data.time_limit_seconds,
        "change": {
            "from_slot": data.from_slot,
            "cancelled": sorted(set(data.cancelled)),
            "late": {late.participant_id: late.arrives_for for late in data.late},
        },
    }
    job = _new_job(session, caller, conference_id, REOPTIMISE, parameters)
    return views.job_public(session, job, jobs.settings)


# --- outcomes -----------------------------------------------------------------------------


def record_outcomes(
    unit: UnitOfWork, caller: Caller, conference_id: str, data: OutcomesCreate
) -> OutcomesPublic:
    """Outcomes of meetings of the newest schedule, all or none; each goes to the scoring
    service as MeetingOutcomeRecorded."""
    session = unit.session
    row = conference_to_change(session, caller, conference_id)
    conferences = Conferences(session)
    latest = conferences.latest_revision(conference_id)
    if latest is None:
        raise Conflict("the conference has no schedule, so no meetings yet", code="no_schedule")
    schedule = to_schedule(latest)
    records, problems = [], []
    for position, item in enumerate(data.outcomes):
        try:
            records.append(record_outcome(schedule, item.meeting_id, item.outcome.value, item.note))
        except ConferenceInputError as error:
            problems += [
                FieldProblem(field=f"outcomes[{position}].meeting_id", reason=p.message)
                for p in error.problems
            ]
    if problems:
        raise InvalidInput("some outcomes name no meeting; nothing was recorded", fields=problems)
    now = utc_now()
    saved = []
    for record in records:
        saved.append(conferences.add_outcome(record, caller.organisation_id, now))
        unit.outbox.add(FEEDBACK, outcome_recorded(record))
    row.touch()
    return OutcomesPublic(recorded=[views.outcome_public(r) for r in saved])
