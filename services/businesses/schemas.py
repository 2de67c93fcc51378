"""What the businesses API reads and answers (Create / Update / Public per resource)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from shared.contract.events import Recurrence
from shared.contract.values import (
    CertificationKind,
    LongText,
    Reason,
    RequiredCertification,
    ShortText,
    Vnd,
)
from shared.province_time import province_today
from shared.storage.directory import CooperativeSummary
from shared.web.schemas import ApiModel, Place, QuantityIn, QuantityPublic, json_schema_examples

MAX_DELIVERY_AHEAD = timedelta(days=3653)  # ten years

# Delivery in the coming months, whenever this runs: a window already past is refused.
_EXAMPLE_FROM = (province_today().replace(day=1) + timedelta(days=32)).replace(day=1)

DEMAND_EXAMPLE: dict[str, Any] = {
    "product": "Mực khô",
    "description": "Mực ống khô loại 1, 10–12 con/kg, đóng gói hút chân không",
    "quantity": {"amount": 5, "unit": "tạ"},
    "recurrence": "monthly",
    "required_certifications": [{"kind": "ocop", "min_stars": 3}],
    "delivery_place": "dong-hoi",
    "delivery_from": _EXAMPLE_FROM.isoformat(),
    "delivery_until": (_EXAMPLE_FROM + timedelta(days=300)).isoformat(),
    "price_min_vnd": 450_000,
    "price_max_vnd": 600_000,
}


class DemandIn(ApiModel):
    product: ShortText = Field(description="Sản phẩm cần mua")
    description: LongText = ""
    quantity: QuantityIn = Field(description="per month when monthly, in total when one-off")
    recurrence: Recurrence = Field(description="monthly: mỗi tháng; one_off: một lần")
    required_certifications: list[RequiredCertification] = Field(
        default_factory=list, max_length=10
    )
    delivery_place: Place = Field(description="a district, the province, or another province")
    delivery_from: date
    delivery_until: date
    price_min_vnd: Vnd | None = Field(default=None, description="per unit of the quantity")
    price_max_vnd: Vnd | None = Field(default=None, description="per unit of the quantity")

    @field_validator("required_certifications")
    @classmethod
    def _one_requirement_per_kind(
        cls, required: list[RequiredCertification]
    ) -> list[RequiredCertification]:
        # Stars on another kind would be stored and silently ignored by the matching, and a
        # kind asked twice is repeated in every match's reasons.
        seen: set[CertificationKind] = set()
        for position, requirement in enumerate(required):
            if requirement.min_stars is not None and requirement.kind is not CertificationKind.OCOP:
                raise ValueError(f"required_certifications[{position}]: only OCOP has stars")
            if requirement.kind in seen:
                raise ValueError(
                    f"required_certifications[{position}]: {requirement.kind.value} appears twice"
                )
            seen.add(requirement.kind)
        return required

    @field_validator("delivery_until")
    @classmethod
    def _until_after_from(cls, until: date, info: ValidationInfo) -> date:
        start = info.data.get("delivery_from")
        if isinstance(start, date) and until < start:
            raise ValueError(f"must not be before delivery_from ({start.isoformat()})")
        # A window already over can match nobody; one decades long is a typing slip.
        today = province_today()
        if until < today:
            raise ValueError(f"must not be in the past (today is {today.isoformat()})")
        if until > today + MAX_DELIVERY_AHEAD:
            latest = today + MAX_DELIVERY_AHEAD
            raise ValueError(f"must be within ten years (by {latest.isoformat()})")
        if isinstance(start, date) and until - start > MAX_DELIVERY_AHEAD:
            raise ValueError("the delivery window must not be longer than ten years")
        return until

    @field_validator("price_max_vnd")
    @classmethod
    def _max_above_min(cls, highest: int | None, info: ValidationInfo) -> int | None:
        lowest = info.data.get("price_min_vnd")
        if highest is not None and isinstance(lowest, int) and highest < lowest:
            raise ValueError(f"must not be below price_min_vnd ({lowest})")
        return highest


class DemandCreate(DemandIn):
    model_config = json_schema_examples(DEMAND_EXAMPLE)


class DemandUpdate(DemandIn):
    """The whole demand as it should be now (PUT replaces it)."""

    model_config = json_schema_examples({**DEMAND_EXAMPLE, "quantity": {"amount": 8, "unit": "tạ"}})


class DemandClose(ApiModel):
    model_config = json_schema_examples({"reason": "Đã tìm đủ nhà cung cấp"})

    reason: LongText = ""


class DemandStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class DemandPublic(ApiModel):
    demand_id: str
    business_id: str = Field(description="the organisation of the business that posted it")
    product: str
    description: str
    quantity: QuantityPublic
    recurrence: Recurrence
    required_certifications: list[RequiredCertification]
    delivery_place: str
    delivery_from: date
    delivery_until: date
    price_min_vnd: int | None
    price_max_vnd: int | None
    status: DemandStatus
    closed_reason: str
    version: int
    posted_at: datetime
    updated_at: datetime


class MatchForDemand(ApiModel):
    match_id: str
    cooperative_id: str
    product_id: str
    product_name: str | None = Field(description="null until the cooperative's profile arrives")
    partners: list[str] = Field(description="cooperatives proposed with this one as a group")
    score: float
    rank: int = Field(
        description="place among the demand's live matches, from 1: by score, best first, "
        "ties by cooperative id then product id"
    )
    components: dict[str, float]
    reasons: list[Reason]
    cooperative: CooperativeSummary | None


WITHDRAWN_MATCH_EXAMPLE: dict[str, Any] = {
    "match_id": "m-6f1c2a9e0b7d4e12",
    "cooperative_id": "coop-vinh-ninh",
    "product_id": "gao-huu-co",
    "product_name": "Gạo hữu cơ Vĩnh Ninh",
    "partners": [],
    "score": 0.86,
    "components": {"product": 0.95, "capacity": 1.0, "certification": 1.0, "place": 0.9},
    "reasons": [
        {
            "code": "product_kind_match",
            "en": "Offers organic rice for a demand for organic rice",
            "vi": "Cung cấp gạo hữu cơ, đúng loại gạo hữu cơ bên mua cần",
        }
    ],
    "cooperative": None,
    "retracted_at": "2027-01-15T08:30:00Z",
    "retraction_reason": {
        "code": "product_removed",
        "en": "The cooperative no longer offers this product",
        "vi": "Hợp tác xã không còn cung cấp sản phẩm này",
    },
}


class WithdrawnMatchForDemand(ApiModel):
    """A cooperative the scoring service proposed for the demand and then withdrew
    (``?withdrawn=true``), as it was last proposed, with when and why. It has no rank: it is no
    longer among the demand's matches."""

    model_config = json_schema_examples(WITHDRAWN_MATCH_EXAMPLE)

    match_id: str
    cooperative_id: str
    product_id: str
    product_name: str | None = Field(
        description="null until the cooperative's profile arrives, or once it lists the product "
        "no longer (a removed product)"
    )
    partners: list[str] = Field(description="cooperatives proposed with this one as a group")
    score: float = Field(description="the score it last had")
    components: dict[str, float]
    reasons: list[Reason] = Field(description="why it fitted, when it was last proposed")
    cooperative: CooperativeSummary | None
    retracted_at: datetime = Field(description="when the scoring service withdrew it")
    retraction_reason: Reason | None = Field(
        description="why it was withdrawn, in English and Vietnamese (null for a match "
        "withdrawn before reasons were kept)"
    )
