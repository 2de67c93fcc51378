"""What the banks API reads and answers (Create / Update / Public per resource)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import Field, StrictBool, StrictInt, ValidationInfo, field_validator

from shared.contract.events import LeadDecision
from shared.contract.values import CooperativeKind, LoanPurpose, LongText, Reason, ShortText, Vnd
from shared.storage.directory import CooperativeSummary
from shared.web.schemas import ApiModel, District, Sector, json_schema_examples

LOAN_PRODUCT_EXAMPLE: dict[str, Any] = {
    "name": "Cho vay HTX nông nghiệp ứng dụng công nghệ cao",
    "amount_min_vnd": 100_000_000,
    "amount_max_vnd": 3_000_000_000,
    "max_term_months": 60,
    "interest_rate_pct_per_year": 6.5,
    "eligible_sectors": ["agriculture"],
    "eligible_kinds": ["htx", "union"],
    "min_years_operating": 2,
    "min_members": 7,
    "collateral_required": True,
    "eligible_districts": [],
    "purposes": ["equipment", "infrastructure", "working_capital"],
}

T = TypeVar("T")


def _distinct(values: list[T]) -> list[T]:
    return list(dict.fromkeys(values))


class LoanProductIn(ApiModel):
    name: ShortText = Field(description="Tên sản phẩm vay")
    amount_min_vnd: Vnd
    amount_max_vnd: Vnd
    max_term_months: StrictInt = Field(ge=1, le=360)
    interest_rate_pct_per_year: float = Field(gt=0, lt=100, allow_inf_nan=False)
    eligible_sectors: list[Sector] = Field(
        default_factory=list, max_length=50, description="empty: any"
    )
    eligible_kinds: list[CooperativeKind] = Field(
        default_factory=list, max_length=10, description="empty: any"
    )
    min_years_operating: StrictInt = Field(default=0, ge=0, le=100)
    min_members: StrictInt = Field(default=0, ge=0, le=1_000_000)
    collateral_required: StrictBool
    eligible_districts: list[District] = Field(
        default_factory=list, max_length=50, description="empty: any"
    )
    purposes: list[LoanPurpose] = Field(
        default_factory=list, max_length=20, description="empty: any"
    )

    @field_validator("eligible_sectors", "eligible_kinds", "eligible_districts", "purposes")
    @classmethod
    def _without_repeats(cls, values: list[Any]) -> list[Any]:
        return _distinct(values)

    @field_validator("amount_max_vnd")
    @classmethod
    def _max_above_min(cls, highest: int, info: ValidationInfo) -> int:
        lowest = info.data.get("amount_min_vnd")
        if isinstance(lowest, int) and highest < lowest:
            raise ValueError(f"must not be below amount_min_vnd ({lowest})")
        return highest


class LoanProductCreate(LoanProductIn):
    model_config = json_schema_examples(LOAN_PRODUCT_EXAMPLE)


class LoanProductUpdate(LoanProductIn):
    """The whole product as it should be now (PUT replaces it)."""

    model_config = json_schema_examples({**LOAN_PRODUCT_EXAMPLE, "interest_rate_pct_per_year": 6.2})


class LoanProductStatus(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


class LoanProductPublic(ApiModel):
    loan_product_id: str
    bank_id: str = Field(description="the organisation of the bank or credit fund")
    name: str
    amount_min_vnd: int
    amount_max_vnd: int
    max_term_months: int
    interest_rate_pct_per_year: float
    eligible_sectors: list[str]
    eligible_kinds: list[CooperativeKind]
    min_years_operating: int
    min_members: int
    collateral_required: bool
    eligible_districts: list[str]
    purposes: list[LoanPurpose]
    status: LoanProductStatus
    version: int
    published_at: datetime
    updated_at: datetime


class CreditNeedSummary(ApiModel):
    """The cooperative's credit need (from ``ketnoi.cooperatives.v1``)."""

    amount_vnd: int
    purpose: LoanPurpose
    purpose_detail: str
    term_months: int
    collateral_offered: bool


class LeadPublic(ApiModel):
    lead_id: str
    cooperative_id: str
    credit_need_id: str
    loan_product_id: str
    loan_product_name: str | None
    score: float
    rank: int = Field(
        description="place among the bank's live leads, from 1: by score, best first, ties by "
        "lead id (a retracted lead: where its score would place it)"
    )
    components: dict[str, float]
    reasons: list[Reason]
    cooperative: CooperativeSummary | None = Field(description="null until its profile arrives")
    credit_need: CreditNeedSummary | None = Field(description="null until the need arrives")
    retracted: bool = Field(
        description="the scoring service withdrew it (it no longer holds); it can no longer be "
        "decided. Only reading a lead by its id shows one"
    )
    retraction_reason: Reason | None = Field(
        description="why the scoring service withdrew it, in English and Vietnamese; null while "
        "the lead is live (and for a lead withdrawn before reasons were kept)",
        examples=[
            {
                "code": "too_few_members",
                "en": "Has 5 members; at least 7 are required",
                "vi": "Có 5 thành viên; yêu cầu tối thiểu 7",
            }
        ],
    )
    decision: LeadDecision | None
    decision_reason: str
    decided_at: datetime | None


class LeadDecisionCreate(ApiModel):
    model_config = json_schema_examples(
        {"decision": "accepted", "reason": "Đủ điều kiện, mời HTX nộp hồ sơ vay"},
        {"decision": "rejected", "reason": "Chưa đủ 2 năm hoạt động"},
    )

    decision: LeadDecision
    reason: LongText = Field(
        default="", validate_default=True, description="required when rejected"
    )

    @field_validator("reason")
    @classmethod
    def _reason_when_rejected(cls, reason: str, info: ValidationInfo) -> str:
        if info.data.get("decision") is LeadDecision.REJECTED and not reason:
            raise ValueError("say why the lead is rejected; the scoring service learns from it")
        return reason
