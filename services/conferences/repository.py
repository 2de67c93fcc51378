"""Loading and saving conferences: rows in, domain records out, and back."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from services.conferences.candidate_pairs import best_pairs
from services.conferences.domain.model import (
    CapacityReport,
    Conference,
    FairnessMode,
    FairnessReport,
    FloorShortfall,
    Forbid,
    Language,
    Meeting,
    MeetingRequest,
    NotPlaced,
    PairingInputs,
    PairReason,
    Participant,
    ParticipantKind,
    Pin,
    RequestKind,
    Schedule,
    SchedulingResult,
    Slot,
)
from services.conferences.domain.outcomes import Outcome, OutcomeRecord
from services.conferences.orm import (
    ConferenceRow,
    ForbidRow,
    MeetingRequestRow,
    MeetingRow,
    OutcomeRow,
    PairingJobRow,
    ParticipantRow,
    PinRow,
    RevisionRow,
)
from shared.storage.records import OwnedRows
from shared.storage.types import utc_now

# --- rows to domain records ---------------------------------------------------------------


def to_slot(row: Any) -> Slot:
    return Slot(row.slot_id, row.starts, row.ends, row.is_break)


def to_participant(row: ParticipantRow) -> Participant:
    return Participant(
        participant_id=row.participant_id,
        name=row.name,
        kind=ParticipantKind(row.kind),
        max_meetings=row.max_meetings,
        language=Language(row.language),
        availability=None if row.availability is None else frozenset(row.availability),
        district=row.district,
        sector=row.sector,
    )


def present(participant: Participant, row: ParticipantRow, slots: tuple[Slot, ...]) -> Participant:
    """The participant as a solver should see them: no slot at all once cancelled, none before
    their arrival when late."""
    if row.cancelled:
        return replace(participant, availability=frozenset())
    if row.arrives_for is None:
        return participant
    arrival = next((s.start for s in slots if s.slot_id == row.arrives_for), None)
    if arrival is None:
        return participant
    reachable = {s.slot_id for s in slots if s.start >= arrival}
    if participant.availability is not None:
        reachable &= participant.availability
    return replace(participant, availability=frozenset(reachable))


def to_meeting(row: MeetingRow) -> Meeting:
    return Meeting(
        meeting_id=row.meeting_id,
        slot_id=row.slot_id,
        table=row.table_number,
        cooperative_id=row.cooperative_id,
        counterpart_id=row.counterpart_id,
        match_score=row.match_score,
        why=tuple(PairReason(r["code"], r["en"], r["vi"]) for r in row.why),
    )


def to_schedule(row: RevisionRow) -> Schedule:
    return Schedule.of(row.conference_id, [to_meeting(m) for m in row.meetings], row.revision)


def capacity_document(report: CapacityReport) -> dict[str, Any]:
    return {
        "table_slots": report.table_slots,
        "candidate_meetings": report.candidate_meetings,
        "placed": report.placed,
        "not_placed_by_reason": dict(report.not_placed_by_reason),
        "requested_not_placed": [
            {
                "cooperative_id": item.cooperative_id,
                "counterpart_id": item.counterpart_id,
                "reason": item.reason,
                "participant_id": item.participant_id,
            }
            for item in report.requested_not_placed
        ],
    }


def to_capacity(document: dict[str, Any]) -> CapacityReport:
    return CapacityReport(
        table_slots=document["table_slots"],
        candidate_meetings=document["candidate_meetings"],
        placed=document["placed"],
        not_placed_by_reason=dict(document["not_placed_by_reason"]),
        requested_not_placed=tuple(
            NotPlaced(
                cooperative_id=item["cooperative_id"],
                counterpart_id=item["counterpart_id"],
                reason=item["reason"],
                participant_id=item["participant_id"],
                requested=True,
            )
            for item in document["requested_not_placed"]
        ),
    )


def fairness_document(report: FairnessReport) -> dict[str, Any]:
    return {
        "floor": report.floor,
        "mode": report.mode.value,
        "cooperatives_with_match": report.cooperatives_with_match,
        "shortfalls": [
            {
                "cooperative_id": item.cooperative_id,
                "got": item.got,
                "floor": item.floor,
                "reason": item.reason,
            }
            for item in report.shortfalls
        ],
    }


def to_fairness(document: dict[str, Any]) -> FairnessReport:
    return FairnessReport(
        floor=document["floor"],
        mode=FairnessMode(document["mode"]),
        cooperatives_with_match=document["cooperatives_with_match"],
        shortfalls=tuple(FloorShortfall(**item) for item in document["shortfalls"]),
    )


def to_outcome(row: OutcomeRow) -> OutcomeRecord:
    return OutcomeRecord(
        conference_id=row.conference_id,
        meeting_id=row.meeting_id,
        cooperative_id=row.cooperative_id,
        counterpart_id=row.counterpart_id,
        outcome=Outcome(row.outcome),
        note=row.note,
    )


def reason_document(reason: PairReason) -> dict[str, str]:
    return {"code": reason.code, "en": reason.en, "vi": reason.vi}


# --- a conference with everything that belongs to it --------------------------------------


@dataclass(frozen=True)
class LoadedConference:
    """A conference's rows and its domain record (participants as invited)."""

    row: ConferenceRow
    participants: tuple[ParticipantRow, ...]
    conference: Conference

    def participant_row(self, participant_id: str) -> ParticipantRow | None:
        for row in self.participants:
            if row.participant_id == participant_id:
                return row
        return None

    def for_solving(self, fairness_floor: int, fairness_mode: FairnessMode) -> Conference:
        """The conference as the solver sees it: cancellations and late arrivals applied."""
        slots = self.conference.slots
        people = tuple(
            present(participant, row, slots)
            for participant, row in zip(
                self.conference.participants, self.participants, strict=True
            )
        )
        return replace(
            self.conference,
            participants=people,
            fairness_floor=fairness_floor,
            fairness_mode=fairness_mode,
        )


class Conferences(OwnedRows[ConferenceRow]):
    def __init__(self, session: Session) -> None:
        super().__init__(session, ConferenceRow, "conference")

    # conferences

    def visible_to(
        self, organisation_id: str | None, limit: int, offset: int
    ) -> list[ConferenceRow]:
        """Newest day first; every conference for organisers (``None``), else those the
        organisation is invited to."""
        query = select(ConferenceRow).order_by(ConferenceRow.day.desc(), ConferenceRow.id)
        if organisation_id is not None:
            invited = select(ParticipantRow.conference_id).where(
                ParticipantRow.organisation_id == organisation_id
            )
            query = query.where(ConferenceRow.id.in_(invited))
        return list(self.session.execute(query.limit(limit).offset(offset)).scalars())

    def load(self, row: ConferenceRow) -> LoadedConference:
        participants = tuple(self.participants(row.id))
        conference = Conference(
            conference_id=row.id,
            name=row.name,
            day=row.day,
            venue=row.venue,
            slots=tuple(to_slot(slot) for slot in row.slots),
            table_count=row.table_count,
            meeting_minutes=row.meeting_minutes,
            participants=tuple(to_participant(p) for p in participants),
            timezone=row.timezone,
        )
        return LoadedConference(row, participants, conference)

    # participants

    def participants(self, conference_id: str) -> list[ParticipantRow]:
        query = (
            select(ParticipantRow)
            .where(ParticipantRow.conference_id == conference_id)
            .order_by(ParticipantRow.position)
        )
        return list(self.session.execute(query).scalars())

    def participant(self, conference_id: str, participant_id: str) -> ParticipantRow | None:
        return self.session.get(ParticipantRow, (conference_id, participant_id))

    def participant_of(self, conference_id: str, organisation_id: str) -> ParticipantRow | None:
        query = select(ParticipantRow).where(
            ParticipantRow.conference_id == conference_id,
            ParticipantRow.organisation_id == organisation_id,
        )
        return self.session.execute(query).scalar_one_or_none()

    def participant_count(self, conference_id: str) -> int:
        query = select(func.count()).where(ParticipantRow.conference_id == conference_id)
        return int(self.session.execute(query).scalar_one())

    def next_position(self, conference_id: str) -> int:
        query = select(func.max(ParticipantRow.position)).where(
            ParticipantRow.conference_id == conference_id
        )
        last = self.session.execute(query).scalar_one_or_none()
        return 0 if last is None else last + 1

    def add_participant(self, row: ParticipantRow) -> ParticipantRow:
        row.invited_at = utc_now()
        self.session.add(row)
        self.session.flush()
        return row

    # requests, pins, forbids

    def requests(
        self, conference_id: str, participant_id: str | None = None
    ) -> list[MeetingRequestRow]:
        """Every request, or those made by or to one participant."""
        query = select(MeetingRequestRow).where(MeetingRequestRow.conference_id == conference_id)
        if participant_id is not None:
            query = query.where(
                or_(
                    MeetingRequestRow.requester_id == participant_id,
                    MeetingRequestRow.target_id == participant_id,
                )
            )
        query = query.order_by(MeetingRequestRow.made_at, MeetingRequestRow.requester_id)
        return list(self.session.execute(query).scalars())

    def pins(self, conference_id: str) -> list[PinRow]:
        query = select(PinRow).where(PinRow.conference_id == conference_id)
        return list(self.session.execute(query.order_by(PinRow.decided_at)).scalars())

    def forbids(self, conference_id: str) -> list[ForbidRow]:
        query = select(ForbidRow).where(ForbidRow.conference_id == conference_id)
        return list(self.session.execute(query.order_by(ForbidRow.decided_at)).scalars())

    def inputs(self, loaded: LoadedConference, *, with_candidates: bool) -> PairingInputs:
        """What the pairing is made from; candidates (matches and leads) only among the
        invited participants."""
        conference_id = loaded.row.id
        candidates: tuple[Any, ...] = ()
        if with_candidates:
            people = loaded.conference.participants
            candidates = best_pairs(
                self.session,
                [p.participant_id for p in people if p.is_cooperative],
                [p.participant_id for p in people if not p.is_cooperative],
            )
        return PairingInputs(
            candidates=candidates,
            requests=tuple(
                MeetingRequest(r.requester_id, r.target_id, RequestKind(r.kind))
                for r in self.requests(conference_id)
            ),
            pins=tuple(
                Pin(p.cooperative_id, p.counterpart_id, p.slot_id) for p in self.pins(conference_id)
            ),
            forbids=tuple(
                Forbid(f.cooperative_id, f.counterpart_id) for f in self.forbids(conference_id)
            ),
        )

    # revisions

    def latest_revision(self, conference_id: str) -> RevisionRow | None:
        query = (
            select(RevisionRow)
            .where(RevisionRow.conference_id == conference_id)
            .order_by(RevisionRow.revision.desc())
            .limit(1)
        )
        return self.session.execute(query).scalar_one_or_none()

    def save_revision(
        self,
        conference_id: str,
        result: SchedulingResult,
        *,
        job_id: str,
        made_by: str,
        fairness_floor: int,
        fairness_mode: FairnessMode,
        change: dict[str, Any] | None,
    ) -> RevisionRow:
        """The result as the conference's next revision (numbered here, whatever the solver
        numbered it)."""
        latest = self.latest_revision(conference_id)
        number = 1 if latest is None else latest.revision + 1
        row = RevisionRow(
            conference_id=conference_id,
            revision=number,
            job_id=job_id,
            made_by=made_by,
            solver=result.solver,
            status=result.status,
            total_score=result.total_score,
            objective=result.objective,
            upper_bound=result.upper_bound,
            bound_method=result.bound_method,
            gap=result.gap,
            seconds=result.seconds,
            fairness_floor=fairness_floor,
            fairness_mode=fairness_mode.value,
            capacity=capacity_document(result.capacity),
            fairness=fairness_document(result.fairness),
            change=change,
            dropped=[m.meeting_id for m in result.dropped],
            created_at=utc_now(),
            meetings=[
                MeetingRow(
                    conference_id=conference_id,
                    revision=number,
                    meeting_id=m.meeting_id,
                    slot_id=m.slot_id,
                    table_number=m.table,
                    cooperative_id=m.cooperative_id,
                    counterpart_id=m.counterpart_id,
                    match_score=m.match_score,
                    why=[reason_document(r) for r in m.why],
                )
                for m in result.schedule.meetings
            ],
        )
        self.session.add(row)
        self.session.flush()
        return row

    # outcomes

    def outcomes(self, conference_id: str) -> list[OutcomeRow]:
        query = (
            select(OutcomeRow)
            .where(OutcomeRow.conference_id == conference_id)
            .order_by(OutcomeRow.id)
        )
        return list(self.session.execute(query).scalars())

    def add_outcome(self, record: OutcomeRecord, recorded_by: str, at: datetime) -> OutcomeRow:
        row = OutcomeRow(
            conference_id=record.conference_id,
            meeting_id=record.meeting_id,
            cooperative_id=record.cooperative_id,
            counterpart_id=record.counterpart_id,
            outcome=record.outcome.value,
            note=record.note,
            recorded_by=recorded_by,
            recorded_at=at,
        )
        self.session.add(row)
        self.session.flush()
        return row

    # pairing jobs

    def job(self, conference_id: str, job_id: str) -> PairingJobRow | None:
        row = self.session.get(PairingJobRow, job_id)
        return row if row is not None and row.conference_id == conference_id else None

    def unfinished_jobs(self, conference_id: str) -> list[PairingJobRow]:
        query = select(PairingJobRow).where(
            PairingJobRow.conference_id == conference_id,
            PairingJobRow.state.in_(("queued", "running")),
        )
        return list(self.session.execute(query).scalars())
