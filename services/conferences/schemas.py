"""What the conferences API reads and answers (Create / Update / Public per resource)."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from services.conferences.domain.model import FairnessMode, Language, ParticipantKind, RequestKind
from services.conferences.domain.outcomes import Outcome
from shared.contract.values import EntityId, LongText, Reason, ShortText
from shared.web.errors import ErrorDetail
from shared.web.schemas import ApiModel, District, Sector, json_schema_examples

# --- conferences --------------------------------------------------------------------------


def _local(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("a time of day without a time zone: the conference's time zone applies")
    return value


def _written(value: time) -> str:
    return value.strftime("%H:%M" if value.second == 0 else "%H:%M:%S")


TimeOfDay = Annotated[
    time,
    AfterValidator(_local),
    PlainSerializer(_written, return_type=str),
    # JSON Schema's "time" format demands a zone offset; a slot's time is local to the day.
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
            "examples": ["08:30"],
        }
    ),
]

SLOTS_EXAMPLE: list[dict[str, Any]] = [
    {"slot_id": "s1", "start": "08:30", "end": "08:50"},
    {"slot_id": "s2", "start": "08:55", "end": "09:15"},
    {"slot_id": "s3", "start": "09:20", "end": "09:40"},
    {"slot_id": "tea", "start": "09:40", "end": "10:00", "is_break": True},
    {"slot_id": "s4", "start": "10:00", "end": "10:20"},
    {"slot_id": "s5", "start": "10:25", "end": "10:45"},
]

CONFERENCE_EXAMPLE: dict[str, Any] = {
    "name": "Hội nghị kết nối cung cầu nông sản Quảng Bình 2026",
    "day": "2026-04-16",
    "venue": "Trung tâm Hội nghị tỉnh, Đồng Hới",
    "table_count": 12,
    "meeting_minutes": 20,
    "slots": SLOTS_EXAMPLE,
}


class SlotIn(ApiModel):
    slot_id: EntityId | None = Field(
        default=None, description="Your own code (s1, tea…); made from the position if absent"
    )
    start: TimeOfDay
    end: TimeOfDay
    is_break: StrictBool = Field(default=False, description="A break: no meeting is placed")


class ConferenceCreate(ApiModel):
    model_config = json_schema_examples(CONFERENCE_EXAMPLE)

    name: ShortText = Field(description="Tên hội nghị")
    day: date
    venue: ShortText = Field(description="Địa điểm")
    timezone: str = Field(default="Asia/Ho_Chi_Minh", max_length=64)
    table_count: StrictInt = Field(ge=1, le=1000, description="Số bàn gặp gỡ")
    meeting_minutes: StrictInt = Field(ge=1, le=480, description="Length of one meeting")
    slots: list[SlotIn] = Field(min_length=1, max_length=200, description="Time slots and breaks")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class SlotPublic(ApiModel):
    slot_id: str
    start: TimeOfDay
    end: TimeOfDay
    is_break: bool


class ConferencePublic(ApiModel):
    conference_id: str
    name: str
    day: date
    venue: str
    timezone: str
    table_count: int
    meeting_minutes: int
    slots: list[SlotPublic]
    participant_count: int
    latest_revision: int | None = Field(description="null until pairings are generated")
    organised_by: str = Field(description="the organiser organisation that created it")
    version: int
    created_at: datetime
    updated_at: datetime


# --- participants -------------------------------------------------------------------------


class ParticipantIn(ApiModel):
    participant_id: EntityId = Field(
        description="The id the scoring service uses: a cooperative's id (coop-…), or the "
        "organisation id of a business or bank"
    )
    kind: ParticipantKind
    organisation_id: EntityId | None = Field(
        default=None,
        description="Who may read this participant's agenda. A cooperative's comes from the "
        "cooperatives directory; a business's or bank's is its participant_id",
    )
    name: ShortText | None = Field(default=None, description="Default: from the directory")
    district: District | None = None
    sector: Sector | None = None
    max_meetings: StrictInt | None = Field(
        default=None, ge=0, le=200, description="Default: one per meeting slot"
    )
    language: Language = Language.VI
    availability: list[EntityId] | None = Field(
        default=None, max_length=200, description="Slot ids; null: every slot"
    )


class Selection(ApiModel):
    """Everyone of some districts, sectors and kinds; an empty list does not filter.

    Cooperatives come from the cooperatives directory; businesses and banks are those with a
    live match or loan lead with a cooperative of the conference (they have no district)."""

    districts: list[District] = Field(default_factory=list, max_length=50)
    sectors: list[Sector] = Field(default_factory=list, max_length=50)
    kinds: list[ParticipantKind] = Field(default_factory=list, max_length=3)


class Invitation(ApiModel):
    """Either ``participants`` (one by one) or ``select`` (take all of a district, sector or
    kind), not both."""

    model_config = json_schema_examples(
        {"select": {"districts": ["le-thuy"], "kinds": ["cooperative", "business", "bank"]}},
        {
            "participants": [
                {"participant_id": "org-dn-hai-long", "kind": "business", "name": "Cty Hải Long"}
            ]
        },
    )

    participants: list[ParticipantIn] | None = Field(default=None, min_length=1, max_length=5000)
    select: Selection | None = None
    max_meetings: StrictInt | None = Field(
        default=None, ge=0, le=200, description="For a selection; default: one per meeting slot"
    )
    language: Language = Field(default=Language.VI, description="For a selection")

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        if (self.participants is None) == (self.select is None):
            raise ValueError("give either participants or select")
        return self


class ParticipantPublic(ApiModel):
    participant_id: str
    organisation_id: str
    kind: ParticipantKind
    name: str
    district: str | None
    sector: str | None
    max_meetings: int
    language: Language
    availability: list[str] | None = Field(description="slot ids; null: every slot")
    cancelled: bool
    arrives_for: str | None = Field(description="the slot a late participant arrives for")


class InvitationPublic(ApiModel):
    invited: list[ParticipantPublic]
    already_invited: list[str] = Field(description="selected, but invited before")


class ParticipantUpdate(ApiModel):
    """Replaces the participant's availability, maximum of meetings and language."""

    model_config = json_schema_examples(
        {"availability": ["s1", "s2", "s4"], "max_meetings": 3, "language": "vi"}
    )

    availability: list[EntityId] | None = Field(max_length=200, description="null: every slot")
    max_meetings: StrictInt = Field(ge=0, le=200)
    language: Language


# --- requests, pins, forbids --------------------------------------------------------------


class MeetingRequestCreate(ApiModel):
    model_config = json_schema_examples({"target_id": "org-dn-hai-long", "kind": "must_meet"})

    target_id: EntityId = Field(description="the participant to meet (or not)")
    kind: RequestKind
    requester_id: EntityId | None = Field(
        default=None,
        description="Organisers only: on whose behalf; participants ask for themselves",
    )


class MeetingRequestPublic(ApiModel):
    requester_id: str
    target_id: str
    kind: RequestKind
    made_at: datetime


class PinCreate(ApiModel):
    model_config = json_schema_examples(
        {"cooperative_id": "coop-1", "counterpart_id": "org-dn-hai-long", "slot_id": "s2"}
    )

    cooperative_id: EntityId
    counterpart_id: EntityId
    slot_id: EntityId | None = Field(default=None, description="null: any slot")


class PinPublic(ApiModel):
    cooperative_id: str
    counterpart_id: str
    slot_id: str | None
    decided_at: datetime


class ForbidCreate(ApiModel):
    cooperative_id: EntityId
    counterpart_id: EntityId


class ForbidPublic(ApiModel):
    cooperative_id: str
    counterpart_id: str
    decided_at: datetime


# --- pairing jobs -------------------------------------------------------------------------


class PairingCreate(ApiModel):
    model_config = json_schema_examples(
        {"solver": "cpsat", "time_limit_seconds": 30, "fairness_floor": 1, "fairness_mode": "hard"}
    )

    solver: str = Field(default="cpsat", max_length=32, description="cpsat, flow or greedy")
    time_limit_seconds: float = Field(default=30.0, gt=0, le=3600, allow_inf_nan=False)
    fairness_floor: StrictInt = Field(
        default=0, ge=0, le=50, description="k: meetings every cooperative with a match should get"
    )
    fairness_mode: FairnessMode = Field(
        default=FairnessMode.HARD, description="hard: the floor comes first; soft: it is traded"
    )


class LateArrival(ApiModel):
    participant_id: EntityId
    arrives_for: EntityId = Field(description="the first slot they can attend")


class ReoptimisationCreate(ApiModel):
    """Meetings before ``from_slot`` are history; every meeting not broken by the change stays
    in its slot at its table; open slots are filled again."""

    model_config = json_schema_examples(
        {
            "from_slot": "s3",
            "cancelled": ["org-dn-hai-long"],
            "late": [{"participant_id": "coop-7", "arrives_for": "s4"}],
        }
    )

    from_slot: EntityId = Field(description="the first slot that may still change")
    cancelled: list[EntityId] = Field(default_factory=list, max_length=5000)
    late: list[LateArrival] = Field(default_factory=list, max_length=5000)
    solver: str = Field(default="cpsat", max_length=32)
    time_limit_seconds: float = Field(default=30.0, gt=0, le=3600, allow_inf_nan=False)


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class JobProgress(ApiModel):
    """Where the solver is. Score units: 1.0 is one perfect match."""

    elapsed_seconds: float
    score: float | None = Field(description="best schedule so far: match scores and bonuses")
    objective: float | None = Field(description="score less fairness penalties")
    bound: float | None = Field(description="no schedule can beat this")
    gap: float | None = Field(description="(bound - objective) / bound")
    solutions: int
    floor_missing: int | None = Field(description="meetings missing to the fairness floor")


class JobResult(ApiModel):
    revision: int
    status: str = Field(description="optimal (proven) or feasible")
    meetings: int
    total_score: float
    upper_bound: float
    gap: float
    capacity_message: str
    fairness_message: str
    schedule_url: str


class JobPublic(ApiModel):
    job_id: str
    conference_id: str
    action: Literal["generate", "reoptimise"]
    state: JobState
    url: str = Field(description="GET it to follow the job")
    solver: str
    time_limit_seconds: float
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: JobProgress | None
    result: JobResult | None
    error: ErrorDetail | None


# --- schedules ----------------------------------------------------------------------------


class MeetingPublic(ApiModel):
    meeting_id: str = Field(description="stable across revisions; outcomes refer to it")
    slot_id: str
    starts_at: datetime
    ends_at: datetime
    table: int
    cooperative_id: str
    cooperative_name: str
    counterpart_id: str
    counterpart_name: str
    counterpart_kind: ParticipantKind
    match_score: float
    why: list[Reason]


class GridCell(ApiModel):
    table: int
    meeting: MeetingPublic | None


class GridRow(ApiModel):
    slot_id: str
    start: TimeOfDay
    end: TimeOfDay
    is_break: bool
    tables: list[GridCell] = Field(description="one per table; empty for a break")


class NotPlacedPublic(ApiModel):
    cooperative_id: str
    counterpart_id: str
    reason: str
    participant_id: str | None = Field(description="who reached their maximum, when one did")


class CapacityPublic(ApiModel):
    table_slots: int = Field(description="tables x meeting slots open to new meetings")
    candidate_meetings: int
    placed: int
    not_placed: int
    not_placed_by_reason: dict[str, int]
    requested_not_placed: list[NotPlacedPublic]
    demand_exceeds_capacity: bool
    message: str = Field(description="for organisers, in the language asked for")


class ShortfallPublic(ApiModel):
    cooperative_id: str
    got: int
    floor: int
    reason: str


class FairnessPublic(ApiModel):
    floor: int
    mode: FairnessMode
    met: bool
    shortfalls: list[ShortfallPublic]
    message: str


class SchedulePublic(ApiModel):
    conference_id: str
    revision: int
    made_by: Literal["generate", "reoptimise"]
    solver: str
    status: str
    total_score: float = Field(description="of the meetings this revision placed")
    objective: float
    upper_bound: float
    bound_method: str
    gap: float
    seconds: float
    capacity: CapacityPublic
    fairness: FairnessPublic
    grid: list[GridRow]
    meetings: list[MeetingPublic]
    dropped_meeting_ids: list[str] = Field(description="taken out by a re-optimisation")
    created_at: datetime


class AgendaItem(ApiModel):
    meeting_id: str
    slot_id: str
    starts_at: datetime
    ends_at: datetime
    table: int
    meets_id: str
    meets_name: str
    meets_kind: ParticipantKind
    why: str = Field(description="why you were paired, in the agenda's language")


class AgendaPublic(ApiModel):
    conference_id: str
    revision: int
    participant_id: str
    name: str
    language: Language
    meetings: list[AgendaItem]


# --- outcomes and the report --------------------------------------------------------------


class OutcomeIn(ApiModel):
    meeting_id: EntityId
    outcome: Outcome
    note: LongText = ""


class OutcomesCreate(ApiModel):
    model_config = json_schema_examples(
        {"outcomes": [{"meeting_id": "mtg-0123456789abcdef0123", "outcome": "mou_signed"}]}
    )

    outcomes: list[OutcomeIn] = Field(min_length=1, max_length=5000)


class OutcomePublic(ApiModel):
    meeting_id: str
    cooperative_id: str
    counterpart_id: str
    outcome: Outcome
    note: str
    recorded_at: datetime


class OutcomesPublic(ApiModel):
    recorded: list[OutcomePublic]


class ReportGroup(ApiModel):
    key: str = Field(description="a district or sector code; 'unknown' when not known")
    scheduled: int
    recorded: int
    held: int
    by_outcome: dict[str, int]


class ReportPublic(ApiModel):
    """For the steering committee: meetings held and what came of them."""

    conference_id: str
    name: str
    day: date
    revision: int | None
    scheduled: int
    recorded: int
    held: int
    mou_signed: int
    contracts: int
    loan_applications: int
    by_outcome: dict[str, int]
    by_district: list[ReportGroup]
    by_sector: list[ReportGroup]
    by_counterpart_kind: list[ReportGroup]
