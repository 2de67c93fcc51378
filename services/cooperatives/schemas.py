"""What the cooperatives API reads and answers (Create / Update / Public per resource)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field, StrictBool, StrictInt, field_validator

from shared.contract.values import (
    Certification,
    CooperativeKind,
    EntityId,
    LoanPurpose,
    LongText,
    Month,
    Reason,
    ShortText,
    Vnd,
)
from shared.web.schemas import (
    ApiModel,
    District,
    QuantityIn,
    QuantityPublic,
    Sector,
    json_schema_examples,
)

PRODUCT_EXAMPLE: dict[str, Any] = {
    "name": "Gạo hữu cơ Sen Thủy",
    "description": "Gạo lúa hữu cơ canh tác theo chuỗi liên kết, không dùng thuốc bảo vệ thực vật",
    "monthly_capacity": {"amount": 20, "unit": "tấn"},
    "certifications": [
        {"kind": "organic", "expires_on": "2027-06-30"},
        {"kind": "ocop", "stars": 4, "expires_on": "2027-12-31"},
    ],
    "harvest_months": [5, 6, 9, 10],
}

COOPERATIVE_EXAMPLE: dict[str, Any] = {
    "name": "HTX Nông nghiệp Sen Thủy",
    "kind": "htx",
    "sector": "agriculture",
    "district": "le-thuy",
    "commune": "Sen Thủy",
    "founded_year": 2015,
    "member_count": 120,
    "annual_revenue_vnd": 3_500_000_000,
    "products": [PRODUCT_EXAMPLE],
}


class ProductIn(ApiModel):
    product_id: EntityId | None = Field(
        default=None,
        description="Keep a product's id when you change the profile; new products may omit it "
        "(the service assigns one) or bring their own code, unique within the cooperative.",
    )
    name: ShortText
    description: LongText = ""
    monthly_capacity: QuantityIn
    certifications: list[Certification] = Field(default_factory=list, max_length=20)
    harvest_months: list[Month] = Field(
        default_factory=list, max_length=12, description="1 to 12; empty means all year"
    )

    @field_validator("harvest_months")
    @classmethod
    def _distinct_months(cls, months: list[int]) -> list[int]:
        return sorted(set(months))


class CooperativeIn(ApiModel):
    name: ShortText = Field(description="Tên hợp tác xã")
    kind: CooperativeKind = Field(
        description="htx: hợp tác xã; tht: tổ hợp tác; union: liên hiệp HTX; "
        "credit_fund: quỹ tín dụng nhân dân"
    )
    sector: Sector = Field(description="Lĩnh vực, from shared/data/sectors.json")
    district: District = Field(description="Huyện/thị xã/thành phố, from shared/data/places.json")
    commune: ShortText = Field(description="Xã/phường/thị trấn")
    founded_year: StrictInt = Field(ge=1945, le=2100)
    member_count: StrictInt = Field(ge=1, le=1_000_000)
    annual_revenue_vnd: Vnd | None = Field(default=None, description="Doanh thu năm, VND")
    products: list[ProductIn] = Field(default_factory=list, max_length=200)

    @field_validator("founded_year")
    @classmethod
    def _not_in_the_future(cls, year: int) -> int:
        if year > date.today().year:
            raise ValueError(f"{year} is in the future")
        return year

    @field_validator("products")
    @classmethod
    def _distinct_product_ids(cls, products: list[ProductIn]) -> list[ProductIn]:
        seen: set[str] = set()
        for position, product in enumerate(products):
            if product.product_id is not None:
                if product.product_id in seen:
                    raise ValueError(
                        f"products[{position}].product_id {product.product_id!r} appears twice"
                    )
                seen.add(product.product_id)
        return products


class CooperativeCreate(CooperativeIn):
    model_config = json_schema_examples(COOPERATIVE_EXAMPLE)


class CooperativeUpdate(CooperativeIn):
    """The whole profile as it should be now (PUT replaces it)."""

    model_config = json_schema_examples(
        {**COOPERATIVE_EXAMPLE, "member_count": 135, "annual_revenue_vnd": 4_200_000_000}
    )


class ProductPublic(ApiModel):
    product_id: str
    name: str
    description: str
    monthly_capacity: QuantityPublic
    certifications: list[Certification]
    harvest_months: list[int]


class CooperativePublic(ApiModel):
    cooperative_id: str
    organisation_id: str
    name: str
    kind: CooperativeKind
    sector: str
    district: str
    commune: str
    founded_year: int
    member_count: int
    annual_revenue_vnd: int | None
    products: list[ProductPublic]
    version: int = Field(description="Goes up by one with every change")
    registered_at: datetime
    updated_at: datetime


CREDIT_NEED_EXAMPLE: dict[str, Any] = {
    "amount_vnd": 500_000_000,
    "purpose": "equipment",
    "purpose_detail": "Mua máy sấy lúa công suất 10 tấn/mẻ",
    "term_months": 36,
    "collateral_offered": True,
    "collateral_description": "Quyền sử dụng đất trụ sở HTX",
}


class CreditNeedCreate(ApiModel):
    model_config = json_schema_examples(CREDIT_NEED_EXAMPLE)

    amount_vnd: Vnd = Field(description="Số tiền cần vay, VND")
    purpose: LoanPurpose
    purpose_detail: LongText = ""
    term_months: StrictInt = Field(ge=1, le=360)
    collateral_offered: StrictBool = Field(description="Có tài sản bảo đảm không")
    collateral_description: LongText = ""


class CreditNeedPublic(ApiModel):
    credit_need_id: str
    cooperative_id: str
    amount_vnd: int
    purpose: LoanPurpose
    purpose_detail: str
    term_months: int
    collateral_offered: bool
    collateral_description: str
    submitted_at: datetime


class DemandSummary(ApiModel):
    """The demand as its business posted it (from ``ketnoi.demands.v1``)."""

    product: str
    quantity: QuantityPublic
    recurrence: str
    delivery_place: str
    delivery_from: date
    delivery_until: date
    closed: bool


class MatchForCooperative(ApiModel):
    match_id: str
    demand_id: str
    business_id: str
    product_id: str = Field(description="which of your products fits")
    partners: list[str] = Field(description="cooperatives proposed with you for this demand")
    score: float
    rank: int = Field(
        description="your place among the demand's live matches, from 1: by score, best first, "
        "ties by cooperative id then product id"
    )
    components: dict[str, float]
    reasons: list[Reason]
    demand: DemandSummary | None = Field(description="null until the demand's event arrives")


RETRACTION_REASON_EXAMPLE: dict[str, Any] = {
    "code": "certificate_expired",
    "en": "The organic certification expires on 2027-03-01, before delivery ends on 2027-06-30",
    "vi": "Chứng nhận hữu cơ hết hạn ngày 01/03/2027, trước khi kết thúc giao hàng ngày 30/06/2027",
}

WITHDRAWN_MATCH_EXAMPLE: dict[str, Any] = {
    "match_id": "m-6f1c2a9e0b7d4e12",
    "demand_id": "demand-bac-trung-bo-gao",
    "business_id": "org-cty-thuc-pham-bac-trung-bo",
    "product_id": "gao-huu-co",
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
    "demand": None,
    "retracted_at": "2027-01-15T08:30:00Z",
    "retraction_reason": RETRACTION_REASON_EXAMPLE,
}


class WithdrawnMatchForCooperative(ApiModel):
    """A match the scoring service withdrew (``?withdrawn=true``), as it was last proposed, with
    when and why it was withdrawn. It has no rank: it is no longer among the demand's matches."""

    model_config = json_schema_examples(WITHDRAWN_MATCH_EXAMPLE)

    match_id: str
    demand_id: str
    business_id: str
    product_id: str = Field(description="which of your products it was for")
    partners: list[str] = Field(description="cooperatives proposed with you for this demand")
    score: float = Field(description="the score it last had")
    components: dict[str, float]
    reasons: list[Reason] = Field(description="why it fitted, when it was last proposed")
    demand: DemandSummary | None = Field(description="null until the demand's event arrives")
    retracted_at: datetime = Field(description="when the scoring service withdrew it")
    retraction_reason: Reason | None = Field(
        description="why it was withdrawn, in English and Vietnamese (null for a match "
        "withdrawn before reasons were kept)",
        examples=[RETRACTION_REASON_EXAMPLE],
    )


IMPORT_EXAMPLE: dict[str, Any] = {
    "cooperatives": [{"organisation_id": "org-htx-sen-thuy", **COOPERATIVE_EXAMPLE}]
}


class ImportedCooperative(CooperativeIn):
    organisation_id: EntityId = Field(description="the organisation that will own it")


class CooperativeImport(ApiModel):
    """Cooperatives from a provincial office's spreadsheet: all are registered, or none."""

    model_config = json_schema_examples(IMPORT_EXAMPLE)

    cooperatives: list[ImportedCooperative] = Field(min_length=1, max_length=5000)


class ImportedPublic(ApiModel):
    organisation_id: str
    cooperative_id: str


class ImportPublic(ApiModel):
    imported: list[ImportedPublic]
