"""Event payloads, v1. Each names what happened, in the past tense, in the users' words.

A payload class declares its wire ``event_type`` and ``schema_version`` once; the envelope
carries them, so the wire never names a Python class.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar, Literal, Self

from pydantic import AwareDatetime, Field, StrictInt, model_validator

from shared.contract.values import (
    Certification,
    CooperativeKind,
    DistrictCode,
    EntityId,
    LoanPurpose,
    LongText,
    Month,
    PlaceCode,
    Quantity,
    Reason,
    Record,
    RequiredCertification,
    Score,
    SectorCode,
    ShortText,
    Vnd,
)


class EventPayload(Record):
    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    def partition_key(self) -> str:
        """The Kafka key: events sharing it stay in order."""
        raise NotImplementedError


# --- cooperatives -------------------------------------------------------------------------


class Product(Record):
    product_id: EntityId
    name: ShortText
    description: LongText = ""
    monthly_capacity: Quantity
    certifications: list[Certification] = Field(default_factory=list, max_length=20)
    harvest_months: list[Month] = Field(
        default_factory=list, max_length=12, description="empty means all year"
    )


class CooperativeProfile(Record):
    cooperative_id: EntityId
    organisation_id: EntityId
    name: ShortText
    kind: CooperativeKind
    sector: SectorCode
    district: DistrictCode
    commune: ShortText
    founded_year: StrictInt = Field(ge=1945, le=2100)
    member_count: StrictInt = Field(ge=1, le=1_000_000)
    annual_revenue_vnd: Vnd | None = None
    products: list[Product] = Field(default_factory=list, max_length=200)

    def partition_key(self) -> str:
        return self.cooperative_id


class CooperativeRegistered(CooperativeProfile, EventPayload):
    event_type: ClassVar[str] = "CooperativeRegistered"


class CooperativeUpdated(CooperativeProfile, EventPayload):
    """The whole profile after the change, so a consumer needs no earlier event to use it."""

    event_type: ClassVar[str] = "CooperativeUpdated"


class CreditNeedSubmitted(EventPayload):
    event_type: ClassVar[str] = "CreditNeedSubmitted"

    credit_need_id: EntityId
    cooperative_id: EntityId
    amount_vnd: Vnd
    purpose: LoanPurpose
    purpose_detail: LongText = ""
    term_months: StrictInt = Field(ge=1, le=360)
    collateral_offered: bool
    collateral_description: LongText = ""

    def partition_key(self) -> str:
        return self.cooperative_id


# --- businesses ---------------------------------------------------------------------------


class Recurrence(StrEnum):
    MONTHLY = "monthly"
    ONE_OFF = "one_off"


class SourcingDemand(Record):
    demand_id: EntityId
    business_id: EntityId
    product: ShortText
    description: LongText = ""
    quantity: Quantity
    recurrence: Recurrence
    required_certifications: list[RequiredCertification] = Field(
        default_factory=list, max_length=10
    )
    delivery_place: PlaceCode
    delivery_from: date
    delivery_until: date
    price_min_vnd: Vnd | None = Field(default=None, description="per unit of the quantity")
    price_max_vnd: Vnd | None = None

    @model_validator(mode="after")
    def _ranges_in_order(self) -> Self:
        if self.delivery_until < self.delivery_from:
            raise ValueError("delivery_until must not be before delivery_from")
        if (
            self.price_min_vnd is not None
            and self.price_max_vnd is not None
            and self.price_max_vnd < self.price_min_vnd
        ):
            raise ValueError("price_max_vnd must not be below price_min_vnd")
        return self

    def partition_key(self) -> str:
        return self.demand_id


class SourcingDemandPosted(SourcingDemand, EventPayload):
    event_type: ClassVar[str] = "SourcingDemandPosted"


class SourcingDemandUpdated(SourcingDemand, EventPayload):
    event_type: ClassVar[str] = "SourcingDemandUpdated"


class SourcingDemandClosed(EventPayload):
    event_type: ClassVar[str] = "SourcingDemandClosed"

    demand_id: EntityId
    business_id: EntityId
    reason: LongText = ""

    def partition_key(self) -> str:
        return self.demand_id


# --- banks --------------------------------------------------------------------------------


class LoanProduct(Record):
    loan_product_id: EntityId
    bank_id: EntityId
    name: ShortText
    amount_min_vnd: Vnd
    amount_max_vnd: Vnd
    max_term_months: StrictInt = Field(ge=1, le=360)
    interest_rate_pct_per_year: float = Field(gt=0, lt=100, allow_inf_nan=False)
    eligible_sectors: list[SectorCode] = Field(default_factory=list, description="empty: any")
    eligible_kinds: list[CooperativeKind] = Field(default_factory=list, description="empty: any")
    min_years_operating: StrictInt = Field(default=0, ge=0, le=100)
    min_members: StrictInt = Field(default=0, ge=0)
    collateral_required: bool
    eligible_districts: list[DistrictCode] = Field(default_factory=list, description="empty: any")
    purposes: list[LoanPurpose] = Field(default_factory=list, description="empty: any")

    @model_validator(mode="after")
    def _amounts_in_order(self) -> Self:
        if self.amount_max_vnd < self.amount_min_vnd:
            raise ValueError("amount_max_vnd must not be below amount_min_vnd")
        return self

    def partition_key(self) -> str:
        return self.loan_product_id


class LoanProductPublished(LoanProduct, EventPayload):
    event_type: ClassVar[str] = "LoanProductPublished"


class LoanProductUpdated(LoanProduct, EventPayload):
    event_type: ClassVar[str] = "LoanProductUpdated"


class LoanProductWithdrawn(EventPayload):
    event_type: ClassVar[str] = "LoanProductWithdrawn"

    loan_product_id: EntityId
    bank_id: EntityId

    def partition_key(self) -> str:
        return self.loan_product_id


# --- scoring service output ---------------------------------------------------------------


# Records published before ranks moved to the readers carry one; it is read and dropped, so
# replaying those topics dead-letters nothing. Never written.
_OLD_RANK = "ignored: a rank published before readers worked ranks out from the scores"


class SourcingMatchFound(EventPayload):
    """A cooperative proposed for a demand, new or re-scored; ``partners`` names others
    proposed with it as a group that together can fill the quantity.

    There is no rank: a demand's matches rank by score, best first, ties by cooperative id
    then product id. Ranks are worked out where they are read, so one match entering a
    demand's list is one record, not a re-publication of every match below it."""

    event_type: ClassVar[str] = "SourcingMatchFound"

    match_id: EntityId
    demand_id: EntityId
    business_id: EntityId
    cooperative_id: EntityId
    product_id: EntityId
    partners: list[EntityId] = Field(default_factory=list)
    score: Score
    rank: StrictInt | None = Field(default=None, ge=1, exclude=True, description=_OLD_RANK)
    components: dict[str, Score]
    reasons: list[Reason]
    model_version: str = Field(max_length=64)

    def partition_key(self) -> str:
        return self.match_id


class LoanLeadScored(EventPayload):
    """A credit need eligible for a loan product, new or re-scored. A bank's leads rank by
    score, best first, ties by lead id; as for matches, the rank is worked out by readers."""

    event_type: ClassVar[str] = "LoanLeadScored"

    lead_id: EntityId
    credit_need_id: EntityId
    cooperative_id: EntityId
    loan_product_id: EntityId
    bank_id: EntityId
    score: Score
    rank: StrictInt | None = Field(default=None, ge=1, exclude=True, description=_OLD_RANK)
    components: dict[str, Score]
    reasons: list[Reason]
    model_version: str = Field(max_length=64)

    def partition_key(self) -> str:
        return self.lead_id


class MatchRetracted(EventPayload):
    """A match or lead that no longer holds (demand closed, product withdrawn, profile changed)."""

    event_type: ClassVar[str] = "MatchRetracted"

    match_id: EntityId = Field(description="the sourcing match id or the lead id")
    match_kind: Literal["sourcing", "lead"]
    cooperative_id: EntityId
    demand_id: EntityId | None = None
    business_id: EntityId | None = None
    bank_id: EntityId | None = None
    reason: Reason

    def partition_key(self) -> str:
        return self.match_id


# --- feedback -----------------------------------------------------------------------------


class LeadDecision(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class LeadDecisionRecorded(EventPayload):
    event_type: ClassVar[str] = "LeadDecisionRecorded"

    lead_id: EntityId
    bank_id: EntityId
    cooperative_id: EntityId
    credit_need_id: EntityId
    loan_product_id: EntityId
    decision: LeadDecision
    reason: LongText = ""

    def partition_key(self) -> str:
        return self.cooperative_id


class MeetingOutcome(StrEnum):
    MET = "met"
    NO_SHOW = "no_show"
    MOU_SIGNED = "mou_signed"
    CONTRACT = "contract"
    LOAN_APPLICATION = "loan_application"


class MeetingOutcomeRecorded(EventPayload):
    event_type: ClassVar[str] = "MeetingOutcomeRecorded"

    conference_id: EntityId
    meeting_id: EntityId
    cooperative_id: EntityId
    counterpart_id: EntityId = Field(description="the business or bank met")
    outcome: MeetingOutcome
    note: LongText = ""

    def partition_key(self) -> str:
        return self.cooperative_id


# --- conferences --------------------------------------------------------------------------


class ScheduledMeeting(Record):
    meeting_id: EntityId
    slot_id: EntityId
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    table: StrictInt = Field(ge=1)
    cooperative_id: EntityId
    counterpart_id: EntityId
    counterpart_kind: Literal["business", "bank"]
    match_score: Score
    reasons: list[Reason] = Field(default_factory=list)


class ConferenceScheduled(EventPayload):
    """A linkage conference's schedule, whole, one event per revision (re-optimising after a
    cancellation makes the next revision)."""

    event_type: ClassVar[str] = "ConferenceScheduled"

    conference_id: EntityId
    revision: StrictInt = Field(ge=1)
    name: ShortText
    day: date
    venue: ShortText
    solver: str = Field(max_length=64)
    total_score: float = Field(ge=0, allow_inf_nan=False)
    upper_bound: float = Field(ge=0, allow_inf_nan=False)
    gap: float = Field(ge=0, allow_inf_nan=False, description="(bound - score) / bound")
    meetings: list[ScheduledMeeting]
    dropped_meeting_ids: list[EntityId] = Field(default_factory=list)

    def partition_key(self) -> str:
        return self.conference_id


# --- smoke check --------------------------------------------------------------------------


class SmokePing(EventPayload):
    event_type: ClassVar[str] = "SmokePing"

    ping_id: EntityId
    sequence: StrictInt = Field(ge=0)
    text: ShortText

    def partition_key(self) -> str:
        return self.ping_id


class SmokePong(EventPayload):
    event_type: ClassVar[str] = "SmokePong"

    ping_id: EntityId
    sequence: StrictInt = Field(ge=0)
    text: ShortText
    answered_by: ShortText

    def partition_key(self) -> str:
        return self.ping_id


PAYLOAD_TYPES: tuple[type[EventPayload], ...] = (
    CooperativeRegistered,
    CooperativeUpdated,
    CreditNeedSubmitted,
    SourcingDemandPosted,
    SourcingDemandUpdated,
    SourcingDemandClosed,
    LoanProductPublished,
    LoanProductUpdated,
    LoanProductWithdrawn,
    SourcingMatchFound,
    LoanLeadScored,
    MatchRetracted,
    LeadDecisionRecorded,
    MeetingOutcomeRecorded,
    ConferenceScheduled,
    SmokePing,
    SmokePong,
)
