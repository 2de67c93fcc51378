"""The records of a linkage conference, in the organisers' words.

A conference has time slots (some of them breaks) and tables; invited participants
(cooperatives, businesses, banks) meet in pairs, one cooperative with one business or bank,
at a table during a slot. Every record is a small frozen dataclass: the domain never mutates,
it derives new records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum


class ParticipantKind(StrEnum):
    COOPERATIVE = "cooperative"
    BUSINESS = "business"
    BANK = "bank"


class Language(StrEnum):
    VI = "vi"
    EN = "en"


class RequestKind(StrEnum):
    MUST_MEET = "must_meet"
    WOULD_LIKE = "would_like"
    DO_NOT_WANT = "do_not_want"


class FairnessMode(StrEnum):
    """How the fairness floor binds.

    ``hard``: every cooperative with a match gets ``k`` meetings whenever the capacity allows;
    the score is maximised only among such schedules. ``soft``: a missing floor meeting costs
    ``floor_penalty`` score points and is traded against the score like anything else.
    """

    HARD = "hard"
    SOFT = "soft"


@dataclass(frozen=True, slots=True)
class Slot:
    slot_id: str
    start: time
    end: time
    is_break: bool = False

    @property
    def minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


@dataclass(frozen=True, slots=True)
class Participant:
    participant_id: str
    name: str
    kind: ParticipantKind
    max_meetings: int
    language: Language = Language.VI
    # None means every slot of the conference; breaks in it are ignored.
    availability: frozenset[str] | None = None
    district: str | None = None
    sector: str | None = None

    @property
    def is_cooperative(self) -> bool:
        return self.kind is ParticipantKind.COOPERATIVE

    def is_available(self, slot_id: str) -> bool:
        return self.availability is None or slot_id in self.availability


@dataclass(frozen=True, slots=True)
class Conference:
    conference_id: str
    name: str
    day: date
    venue: str
    slots: tuple[Slot, ...]
    table_count: int
    meeting_minutes: int
    participants: tuple[Participant, ...]
    fairness_floor: int = 0
    fairness_mode: FairnessMode = FairnessMode.HARD
    timezone: str = "Asia/Ho_Chi_Minh"

    def participant(self, participant_id: str) -> Participant:
        for participant in self.participants:
            if participant.participant_id == participant_id:
                return participant
        raise KeyError(participant_id)

    def participants_by_id(self) -> dict[str, Participant]:
        return {p.participant_id: p for p in self.participants}

    def slot(self, slot_id: str) -> Slot:
        for slot in self.slots:
            if slot.slot_id == slot_id:
                return slot
        raise KeyError(slot_id)

    def meeting_slots(self) -> tuple[Slot, ...]:
        """The slots meetings may take, breaks left out, in time order."""
        return tuple(sorted((s for s in self.slots if not s.is_break), key=lambda s: s.start))

    def starts_at(self, slot: Slot) -> datetime:
        return datetime.combine(self.day, slot.start)

    def ends_at(self, slot: Slot) -> datetime:
        return datetime.combine(self.day, slot.end)


@dataclass(frozen=True, slots=True)
class PairReason:
    """Why two participants were paired, for people: a stable code and both languages."""

    code: str
    en: str
    vi: str

    def text(self, language: Language) -> str:
        return self.vi if language is Language.VI else self.en


@dataclass(frozen=True, slots=True)
class CandidatePair:
    """A cooperative and a business or bank the scoring service proposes to meet.

    ``score`` is the match or lead score in [0, 1]; several matches between the same two
    participants (several demands or loan products) may be given, the best one counts.
    """

    cooperative_id: str
    counterpart_id: str
    score: float
    reasons: tuple[PairReason, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.cooperative_id, self.counterpart_id)


@dataclass(frozen=True, slots=True)
class MeetingRequest:
    """One participant's wish about meeting another; either side may ask."""

    requester_id: str
    target_id: str
    kind: RequestKind


@dataclass(frozen=True, slots=True)
class Pin:
    """The organisers want this pair to meet, optionally in a given slot."""

    cooperative_id: str
    counterpart_id: str
    slot_id: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.cooperative_id, self.counterpart_id)


@dataclass(frozen=True, slots=True)
class Forbid:
    """The organisers do not want this pair to meet."""

    cooperative_id: str
    counterpart_id: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.cooperative_id, self.counterpart_id)


@dataclass(frozen=True, slots=True)
class PairingInputs:
    """What the pairing is made from, besides the conference itself."""

    candidates: tuple[CandidatePair, ...] = ()
    requests: tuple[MeetingRequest, ...] = ()
    pins: tuple[Pin, ...] = ()
    forbids: tuple[Forbid, ...] = ()


def pair_key(a: Participant, b: Participant) -> tuple[str, str] | None:
    """The (cooperative, counterpart) key of two participants, or None if they are not a
    cooperative with a business or bank."""
    if a.is_cooperative and not b.is_cooperative:
        return (a.participant_id, b.participant_id)
    if b.is_cooperative and not a.is_cooperative:
        return (b.participant_id, a.participant_id)
    return None


def meeting_id_for(conference_id: str, cooperative_id: str, counterpart_id: str) -> str:
    """A stable id for the meeting of a pair: a pair meets at most once per conference, so the
    id survives re-optimisation and outcomes recorded later still find their meeting."""
    digest = hashlib.sha1(
        f"{conference_id}\x1f{cooperative_id}\x1f{counterpart_id}".encode(), usedforsecurity=False
    ).hexdigest()
    return f"mtg-{digest[:20]}"


@dataclass(frozen=True, slots=True)
class Meeting:
    meeting_id: str
    slot_id: str
    table: int  # 1-based, as printed on the table cards
    cooperative_id: str
    counterpart_id: str
    match_score: float
    why: tuple[PairReason, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.cooperative_id, self.counterpart_id)

    def involves(self, participant_id: str) -> bool:
        return participant_id in (self.cooperative_id, self.counterpart_id)

    def other(self, participant_id: str) -> str:
        return self.counterpart_id if participant_id == self.cooperative_id else self.cooperative_id


@dataclass(frozen=True, slots=True)
class Schedule:
    conference_id: str
    meetings: tuple[Meeting, ...]
    revision: int = 1

    @classmethod
    def of(cls, conference_id: str, meetings: Iterable[Meeting], revision: int = 1) -> Schedule:
        # A stable order for comparison and storage; renderers order by the slots' times.
        ordered = tuple(sorted(meetings, key=lambda m: (m.slot_id, m.table)))
        return cls(conference_id, ordered, revision)

    def meetings_of(self, participant_id: str) -> tuple[Meeting, ...]:
        return tuple(m for m in self.meetings if m.involves(participant_id))

    def meetings_in(self, slot_id: str) -> tuple[Meeting, ...]:
        return tuple(m for m in self.meetings if m.slot_id == slot_id)

    def meeting(self, meeting_id: str) -> Meeting:
        for meeting in self.meetings:
            if meeting.meeting_id == meeting_id:
                return meeting
        raise KeyError(meeting_id)


@dataclass(frozen=True, slots=True)
class Progress:
    """A solver's state while it runs, in score units (1.0 = one perfect match).

    ``objective`` is ``score`` less the fairness penalties of ``floor_missing`` meetings;
    with a hard floor the penalty is huge on purpose, so show people score and
    floor_missing rather than the objective."""

    elapsed_seconds: float
    score: float
    floor_missing: int
    objective: float
    bound: float | None
    solutions: int


@dataclass(frozen=True, slots=True)
class NotPlaced:
    """A meeting someone asked for (or that was a candidate) which is not in the schedule."""

    cooperative_id: str
    counterpart_id: str
    reason: str  # a NotPlacedReason value
    participant_id: str | None = None  # who hit their limit, when one did
    requested: bool = False


@dataclass(frozen=True, slots=True)
class CapacityReport:
    """How demand compares with capacity, and why each meeting not placed was not."""

    table_slots: int  # tables x meeting slots open for new meetings
    candidate_meetings: int
    placed: int
    not_placed_by_reason: dict[str, int]
    requested_not_placed: tuple[NotPlaced, ...]

    @property
    def not_placed(self) -> int:
        return self.candidate_meetings - self.placed

    @property
    def demand_exceeds_capacity(self) -> bool:
        return self.not_placed > 0


@dataclass(frozen=True, slots=True)
class FloorShortfall:
    cooperative_id: str
    got: int
    floor: int
    reason: str  # a ShortfallReason value


@dataclass(frozen=True, slots=True)
class FairnessReport:
    floor: int
    mode: FairnessMode
    cooperatives_with_match: int
    shortfalls: tuple[FloorShortfall, ...]

    @property
    def met(self) -> bool:
        return not self.shortfalls


@dataclass(frozen=True, slots=True)
class SchedulingResult:
    """A schedule and how good it is: objective, a proven upper bound and the gap between."""

    schedule: Schedule
    solver: str
    status: str  # a SolveStatus value
    total_score: float  # match scores plus request bonuses of the meetings placed
    objective: float  # total_score minus fairness penalties: what the solver maximised
    upper_bound: float
    bound_method: str
    seconds: float
    capacity: CapacityReport
    fairness: FairnessReport
    progress: tuple[Progress, ...] = ()
    dropped: tuple[Meeting, ...] = field(default=())  # re-optimisation: meetings taken out

    @property
    def gap(self) -> float:
        """Relative optimality gap, (bound - objective) / bound; 0 when proven optimal."""
        if self.upper_bound <= 0:
            return 0.0
        return max(0.0, (self.upper_bound - self.objective) / abs(self.upper_bound))
