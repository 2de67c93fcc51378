"""The read side: what a caller may see of conferences, their schedules and their outcomes."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from services.conferences.access import (
    conference_to_read,
    is_organiser,
    own_participant,
    participant_to_read,
)
from services.conferences.domain.model import (
    Conference,
    Language,
    Meeting,
    ParticipantKind,
    Schedule,
)
from services.conferences.domain.outcomes import Outcome, OutcomeRecord, summarise_outcomes
from services.conferences.downloads import (
    AgendaFormat,
    AgendasFormat,
    Download,
    ScheduleFormat,
    agenda_file,
    agendas_file,
    schedule_file,
)
from services.conferences.events import local_time
from services.conferences.jobs import is_overdue, job_url, overdue_error
from services.conferences.orm import (
    ConferenceRow,
    ForbidRow,
    MeetingRequestRow,
    OutcomeRow,
    PairingJobRow,
    ParticipantRow,
    PinRow,
    RevisionRow,
)
from services.conferences.outputs.messages import capacity_message, fairness_message
from services.conferences.outputs.views import agenda as agenda_rows
from services.conferences.repository import (
    Conferences,
    LoadedConference,
    to_capacity,
    to_fairness,
    to_outcome,
    to_schedule,
)
from services.conferences.schemas import (
    AgendaItem,
    AgendaPublic,
    CapacityPublic,
    ConferencePublic,
    FairnessPublic,
    ForbidPublic,
    GridCell,
    GridRow,
    JobProgress,
    JobPublic,
    JobResult,
    JobState,
    MeetingPublic,
    MeetingRequestPublic,
    NotPlacedPublic,
    OutcomePublic,
    ParticipantPublic,
    PinPublic,
    ReportGroup,
    ReportPublic,
    SchedulePublic,
    ShortfallPublic,
    SlotPublic,
)
from services.conferences.settings import ConferencesSettings
from shared.contract.values import Reason
from shared.identity.model import Caller
from shared.storage.types import utc_now
from shared.web.errors import ErrorDetail, NotFound

# --- conferences and participants ---------------------------------------------------------


def conference_public(session: Session, row: ConferenceRow) -> ConferencePublic:
    conferences = Conferences(session)
    latest = conferences.latest_revision(row.id)
    return ConferencePublic(
        conference_id=row.id,
        name=row.name,
        day=row.day,
        venue=row.venue,
        timezone=row.timezone,
        table_count=row.table_count,
        meeting_minutes=row.meeting_minutes,
        slots=[
            SlotPublic(slot_id=s.slot_id, start=s.starts, end=s.ends, is_break=s.is_break)
            for s in row.slots
        ],
        participant_count=conferences.participant_count(row.id),
        latest_revision=None if latest is None else latest.revision,
        organised_by=row.organisation_id,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def conference(session: Session, caller: Caller, conference_id: str) -> ConferencePublic:
    return conference_public(session, conference_to_read(session, caller, conference_id))


def conferences(
    session: Session, caller: Caller, limit: int, offset: int
) -> list[ConferencePublic]:
    """Organisers see every conference; others those they are invited to."""
    scope = None if is_organiser(caller) else caller.organisation_id
    rows = Conferences(session).visible_to(scope, limit, offset)
    return [conference_public(session, row) for row in rows]


def participant_public(row: ParticipantRow) -> ParticipantPublic:
    return ParticipantPublic(
        participant_id=row.participant_id,
        organisation_id=row.organisation_id,
        kind=ParticipantKind(row.kind),
        name=row.name,
        district=row.district,
        sector=row.sector,
        max_meetings=row.max_meetings,
        language=Language(row.language),
        availability=row.availability,
        cancelled=row.cancelled,
        arrives_for=row.arrives_for,
    )


def participants(session: Session, caller: Caller, conference_id: str) -> list[ParticipantPublic]:
    """Organisers see everyone invited; a participant sees itself."""
    conference_to_read(session, caller, conference_id)
    if is_organiser(caller):
        rows = Conferences(session).participants(conference_id)
    else:
        rows = [own_participant(session, caller, conference_id)]
    return [participant_public(row) for row in rows]


def participant(
    session: Session, caller: Caller, conference_id: str, participant_id: str
) -> ParticipantPublic:
    _conference, row = participant_to_read(session, caller, conference_id, participant_id)
    return participant_public(row)


# --- requests, pins, forbids --------------------------------------------------------------


def request_public(row: MeetingRequestRow) -> MeetingRequestPublic:
    return MeetingRequestPublic.model_validate(row, from_attributes=True)


def pin_public(row: PinRow) -> PinPublic:
    return PinPublic.model_validate(row, from_attributes=True)


def forbid_public(row: ForbidRow) -> ForbidPublic:
    return ForbidPublic.model_validate(row, from_attributes=True)


def requests(session: Session, caller: Caller, conference_id: str) -> list[MeetingRequestPublic]:
    """Organisers see every request; a participant sees the ones it made."""
    conference_to_read(session, caller, conference_id)
    rows = Conferences(session).requests(conference_id)
    if not is_organiser(caller):
        own = own_participant(session, caller, conference_id).participant_id
        rows = [row for row in rows if row.requester_id == own]
    return [request_public(row) for row in rows]


def pins(session: Session, caller: Caller, conference_id: str) -> list[PinPublic]:
    conference_to_read(session, caller, conference_id)
    return [pin_public(row) for row in Conferences(session).pins(conference_id)]


def forbids(session: Session, caller: Caller, conference_id: str) -> list[ForbidPublic]:
    conference_to_read(session, caller, conference_id)
    return [forbid_public(row) for row in Conferences(session).forbids(conference_id)]


# --- pairing jobs -------------------------------------------------------------------------


def job_public(
    session: Session,
    row: PairingJobRow,
    settings: ConferencesSettings,
    language: Language = Language.VI,
    now: datetime | None = None,
) -> JobPublic:
    now = now or utc_now()
    state, error = JobState(row.state), row.error
    if is_overdue(row, settings, now):
        state, error = JobState.FAILED, overdue_error(row)
    progress = None
    if row.started_at is not None:
        finished = row.finished_at is not None or state is JobState.FAILED
        elapsed = (
            row.elapsed_seconds
            if finished and row.elapsed_seconds is not None
            else ((row.finished_at or now) - row.started_at).total_seconds()
        )
        gap = None
        if row.bound is not None and row.objective is not None and row.bound > 0:
            gap = max(0.0, (row.bound - row.objective) / row.bound)
        progress = JobProgress(
            elapsed_seconds=elapsed,
            score=row.score,
            objective=row.objective,
            bound=row.bound,
            gap=gap,
            solutions=row.solutions,
            floor_missing=row.floor_missing,
        )
    result = None
    if state is JobState.SUCCEEDED and row.revision is not None:
        revision = session.get(RevisionRow, (row.conference_id, row.revision))
        if revision is not None:
            result = JobResult(
                revision=revision.revision,
                status=revision.status,
                meetings=len(revision.meetings),
                total_score=revision.total_score,
                upper_bound=revision.upper_bound,
                gap=revision.gap,
                capacity_message=capacity_message(to_capacity(revision.capacity), language),
                fairness_message=fairness_message(to_fairness(revision.fairness), language),
                schedule_url=f"/v1/conferences/{row.conference_id}/schedule",
            )
    return JobPublic(
        job_id=row.id,
        conference_id=row.conference_id,
        action="reoptimise" if row.action == "reoptimise" else "generate",
        state=state,
        url=job_url(row.conference_id, row.id),
        solver=str(row.parameters["solver"]),
        time_limit_seconds=float(row.parameters["time_limit_seconds"]),
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        progress=progress,
        result=result,
        error=None if error is None else ErrorDetail.model_validate(error),
    )


def job(
    session: Session,
    caller: Caller,
    conference_id: str,
    job_id: str,
    settings: ConferencesSettings,
    language: Language,
) -> JobPublic:
    conference_to_read(session, caller, conference_id)
    row = Conferences(session).job(conference_id, job_id)
    if row is None:
        raise NotFound.of("pairing job", job_id)
    return job_public(session, row, settings, language)


# --- schedules ----------------------------------------------------------------------------


def _scheduled(
    session: Session, row: ConferenceRow
) -> tuple[LoadedConference, RevisionRow, Schedule]:
    conferences = Conferences(session)
    latest = conferences.latest_revision(row.id)
    if latest is None:
        raise NotFound(
            f"conference {row.id!r} has no schedule yet; generate one with "
            f"POST /v1/conferences/{row.id}/pairings",
            code="no_schedule",
        )
    return conferences.load(row), latest, to_schedule(latest)


def _meeting_public(conference: Conference, meeting: Meeting) -> MeetingPublic:
    people = conference.participants_by_id()
    slot = conference.slot(meeting.slot_id)
    counterpart = people.get(meeting.counterpart_id)
    cooperative = people.get(meeting.cooperative_id)
    return MeetingPublic(
        meeting_id=meeting.meeting_id,
        slot_id=meeting.slot_id,
        starts_at=local_time(conference, slot),
        ends_at=local_time(conference, slot, end=True),
        table=meeting.table,
        cooperative_id=meeting.cooperative_id,
        cooperative_name=cooperative.name if cooperative else meeting.cooperative_id,
        counterpart_id=meeting.counterpart_id,
        counterpart_name=counterpart.name if counterpart else meeting.counterpart_id,
        counterpart_kind=counterpart.kind if counterpart else ParticipantKind.BUSINESS,
        match_score=meeting.match_score,
        why=[Reason(code=r.code, en=r.en, vi=r.vi) for r in meeting.why],
    )


def schedule(
    session: Session, caller: Caller, conference_id: str, language: Language
) -> SchedulePublic:
    loaded, revision, current = _scheduled(
        session, conference_to_read(session, caller, conference_id)
    )
    conf = loaded.conference
    meetings = {m.meeting_id: _meeting_public(conf, m) for m in current.meetings}
    grid = []
    for slot in sorted(conf.slots, key=lambda s: s.start):
        at_table = {m.table: meetings[m.meeting_id] for m in current.meetings_in(slot.slot_id)}
        tables = (
            []
            if slot.is_break
            else [
                GridCell(table=n, meeting=at_table.get(n)) for n in range(1, conf.table_count + 1)
            ]
        )
        grid.append(
            GridRow(
                slot_id=slot.slot_id,
                start=slot.start,
                end=slot.end,
                is_break=slot.is_break,
                tables=tables,
            )
        )
    capacity = to_capacity(revision.capacity)
    fairness = to_fairness(revision.fairness)
    return SchedulePublic(
        conference_id=conference_id,
        revision=revision.revision,
        made_by="reoptimise" if revision.made_by == "reoptimise" else "generate",
        solver=revision.solver,
        status=revision.status,
        total_score=revision.total_score,
        objective=revision.objective,
        upper_bound=revision.upper_bound,
        bound_method=revision.bound_method,
        gap=revision.gap,
        seconds=revision.seconds,
        capacity=CapacityPublic(
            table_slots=capacity.table_slots,
            candidate_meetings=capacity.candidate_meetings,
            placed=capacity.placed,
            not_placed=capacity.not_placed,
            not_placed_by_reason=capacity.not_placed_by_reason,
            requested_not_placed=[
                NotPlacedPublic(
                    cooperative_id=item.cooperative_id,
                    counterpart_id=item.counterpart_id,
                    reason=item.reason,
                    participant_id=item.participant_id,
                )
                for item in capacity.requested_not_placed
            ],
            demand_exceeds_capacity=capacity.demand_exceeds_capacity,
            message=capacity_message(capacity, language),
        ),
        fairness=FairnessPublic(
            floor=fairness.floor,
            mode=fairness.mode,
            met=fairness.met,
            shortfalls=[
                ShortfallPublic(
                    cooperative_id=s.cooperative_id, got=s.got, floor=s.floor, reason=s.reason
                )
                for s in fairness.shortfalls
            ],
            message=fairness_message(fairness, language),
        ),
        grid=grid,
        meetings=[meetings[m.meeting_id] for m in current.meetings],
        dropped_meeting_ids=list(revision.dropped),
        created_at=revision.created_at,
    )


def agenda(
    session: Session,
    caller: Caller,
    conference_id: str,
    participant_id: str,
    language: Language | None,
) -> AgendaPublic:
    row, participant_row = participant_to_read(session, caller, conference_id, participant_id)
    loaded, revision, current = _scheduled(session, row)
    conf = loaded.conference
    own = language or Language(participant_row.language)
    people = conf.participants_by_id()
    items = []
    for item in agenda_rows(conf, current, participant_id, own):
        other_id = item.meeting.other(participant_id)
        other = people.get(other_id)
        items.append(
            AgendaItem(
                meeting_id=item.meeting.meeting_id,
                slot_id=item.slot.slot_id,
                starts_at=local_time(conf, item.slot),
                ends_at=local_time(conf, item.slot, end=True),
                table=item.table,
                meets_id=other_id,
                meets_name=item.counterpart_name,
                meets_kind=other.kind if other else ParticipantKind.BUSINESS,
                why=item.why,
            )
        )
    return AgendaPublic(
        conference_id=conference_id,
        revision=revision.revision,
        participant_id=participant_id,
        name=participant_row.name,
        language=own,
        meetings=items,
    )


# --- files --------------------------------------------------------------------------------


def schedule_download(
    session: Session,
    caller: Caller,
    conference_id: str,
    file_format: ScheduleFormat,
    language: Language,
) -> Download:
    loaded, _revision, current = _scheduled(
        session, conference_to_read(session, caller, conference_id)
    )
    return schedule_file(loaded.conference, current, file_format, language)


def agendas_download(
    session: Session,
    caller: Caller,
    conference_id: str,
    file_format: AgendasFormat,
    language: Language,
) -> Download:
    loaded, _revision, current = _scheduled(
        session, conference_to_read(session, caller, conference_id)
    )
    return agendas_file(loaded.conference, current, file_format, language)


def agenda_download(
    session: Session,
    caller: Caller,
    conference_id: str,
    participant_id: str,
    file_format: AgendaFormat,
    language: Language | None,
) -> Download:
    row, _participant = participant_to_read(session, caller, conference_id, participant_id)
    loaded, _revision, current = _scheduled(session, row)
    return agenda_file(loaded.conference, current, participant_id, file_format, language)


# --- outcomes and the steering committee's report -----------------------------------------


def outcome_public(row: OutcomeRow) -> OutcomePublic:
    return OutcomePublic(
        meeting_id=row.meeting_id,
        cooperative_id=row.cooperative_id,
        counterpart_id=row.counterpart_id,
        outcome=Outcome(row.outcome),
        note=row.note,
        recorded_at=row.recorded_at,
    )


def outcomes(session: Session, caller: Caller, conference_id: str) -> list[OutcomePublic]:
    conference_to_read(session, caller, conference_id)
    return [outcome_public(row) for row in Conferences(session).outcomes(conference_id)]


def _groups(
    meetings: Iterable[Meeting],
    latest: dict[str, OutcomeRecord],
    key_of: Callable[[str, str], str],
) -> list[ReportGroup]:
    """Meetings and outcomes counted per key; ``key_of(cooperative, counterpart)``."""
    scheduled: Counter[str] = Counter()
    recorded: Counter[str] = Counter()
    held: Counter[str] = Counter()
    by_outcome: dict[str, Counter[str]] = defaultdict(Counter)
    for meeting in meetings:
        scheduled[key_of(meeting.cooperative_id, meeting.counterpart_id)] += 1
    for record in latest.values():
        key = key_of(record.cooperative_id, record.counterpart_id)
        recorded[key] += 1
        held[key] += record.outcome is not Outcome.NO_SHOW
        by_outcome[key][record.outcome.value] += 1
    return [
        ReportGroup(
            key=key,
            scheduled=scheduled[key],
            recorded=recorded[key],
            held=held[key],
            by_outcome=dict(by_outcome[key]),
        )
        for key in sorted(set(scheduled) | set(recorded))
    ]


def report(session: Session, caller: Caller, conference_id: str) -> ReportPublic:
    row = conference_to_read(session, caller, conference_id)
    conferences = Conferences(session)
    loaded = conferences.load(row)
    latest_revision = conferences.latest_revision(conference_id)
    current = (
        Schedule(conference_id, ()) if latest_revision is None else to_schedule(latest_revision)
    )
    records = [to_outcome(r) for r in conferences.outcomes(conference_id)]
    summary = summarise_outcomes(current, records)
    latest: dict[str, OutcomeRecord] = {}
    for record in records:
        latest[record.meeting_id] = record
    people = loaded.conference.participants_by_id()

    def attribute(name: str) -> Callable[[str, str], str]:
        def key_of(cooperative_id: str, _counterpart_id: str) -> str:
            found = people.get(cooperative_id)
            value = getattr(found, name, None) if found else None
            return value or "unknown"

        return key_of

    def counterpart_kind(_cooperative_id: str, counterpart_id: str) -> str:
        found = people.get(counterpart_id)
        return found.kind.value if found else "unknown"

    by_outcome = summary.by_outcome
    return ReportPublic(
        conference_id=conference_id,
        name=row.name,
        day=row.day,
        revision=None if latest_revision is None else latest_revision.revision,
        scheduled=summary.scheduled,
        recorded=summary.recorded,
        held=summary.held,
        mou_signed=by_outcome.get(Outcome.MOU_SIGNED.value, 0),
        contracts=by_outcome.get(Outcome.CONTRACT.value, 0),
        loan_applications=by_outcome.get(Outcome.LOAN_APPLICATION.value, 0),
        by_outcome=dict(by_outcome),
        by_district=_groups(current.meetings, latest, attribute("district")),
        by_sector=_groups(current.meetings, latest, attribute("sector")),
        by_counterpart_kind=_groups(current.meetings, latest, counterpart_kind),
    )
