"""The records the matcher reasons about: cooperatives and their products, demands, credit
needs and loan products. Plain, immutable, and already in base units (kg, litre, piece)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

CERTIFICATION_KINDS: tuple[str, ...] = (
    "vietgap",
    "globalgap",
    "organic",
    "haccp",
    "iso22000",
    "ocop",
)
"""Certification kinds, in the column order the sourcing index stores their expiry dates."""

CERTIFICATION_NAMES: dict[str, tuple[str, str]] = {
    "vietgap": ("VietGAP", "VietGAP"),
    "globalgap": ("GlobalGAP", "GlobalGAP"),
    "organic": ("organic", "hữu cơ"),
    "haccp": ("HACCP", "HACCP"),
    "iso22000": ("ISO 22000", "ISO 22000"),
    "ocop": ("OCOP", "OCOP"),
}
"""Certification kind -> (English, Vietnamese) name."""


@dataclass(frozen=True, slots=True)
class Amount:
    """A quantity in its dimension's base unit: 2 tấn is Amount(2000.0, "kg")."""

    value: float
    unit: str


@dataclass(frozen=True, slots=True)
class Certificate:
    kind: str
    expires_on: date
    stars: int | None = None  # OCOP only, 3 to 5

    def valid_through(self, day: date) -> bool:
        return self.expires_on >= day


@dataclass(frozen=True, slots=True)
class ProductOffer:
    """A product a cooperative sells, with how much it can supply in a month."""

    product_id: str
    name: str
    monthly_capacity: Amount
    description: str = ""
    certificates: tuple[Certificate, ...] = ()
    harvest_months: frozenset[int] = frozenset()  # empty: all year


@dataclass(frozen=True, slots=True)
class Cooperative:
    cooperative_id: str
    name: str
    kind: str  # htx, tht, union, credit_fund
    sector: str
    district: str
    founded_year: int
    member_count: int
    annual_revenue_vnd: int | None = None
    products: tuple[ProductOffer, ...] = ()

    def years_operating(self, on: date) -> int:
        return max(0, on.year - self.founded_year)


@dataclass(frozen=True, slots=True)
class RequiredCertificate:
    kind: str
    min_stars: int | None = None  # OCOP only


@dataclass(frozen=True, slots=True)
class Demand:
    """A business's sourcing demand: a product, an amount, where and when to deliver."""

    demand_id: str
    business_id: str
    product: str
    quantity: Amount
    monthly: bool  # True: the quantity is wanted every month; False: once over the window
    delivery_place: str
    delivery_from: date
    delivery_until: date
    description: str = ""
    required_certificates: tuple[RequiredCertificate, ...] = ()

    def delivery_months(self) -> tuple[int, ...]:
        """The calendar months (1-12) the delivery window touches, in order, at most 12."""
        months: list[int] = []
        year, month = self.delivery_from.year, self.delivery_from.month
        while (year, month) <= (self.delivery_until.year, self.delivery_until.month):
            if month in months:
                break
            months.append(month)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return tuple(months)

    def monthly_need(self) -> float:
        """How much a month, in the quantity's base unit: a one-off amount is spread over the
        months of its delivery window."""
        if self.monthly:
            return self.quantity.value
        span = (
            (self.delivery_until.year - self.delivery_from.year) * 12
            + self.delivery_until.month
            - self.delivery_from.month
            + 1
        )
        return self.quantity.value / span


@dataclass(frozen=True, slots=True)
class CreditNeed:
    credit_need_id: str
    cooperative_id: str
    amount_vnd: int
    purpose: str
    term_months: int
    collateral_offered: bool
    submitted_on: date
    purpose_detail: str = ""


@dataclass(frozen=True, slots=True)
class LoanProduct:
    """A bank's loan product; an empty set means "any"."""

    loan_product_id: str
    bank_id: str
    name: str
    amount_min_vnd: int
    amount_max_vnd: int
    max_term_months: int
    interest_rate_pct_per_year: float
    collateral_required: bool
    min_years_operating: int = 0
    min_members: int = 0
    eligible_sectors: frozenset[str] = field(default_factory=frozenset)
    eligible_kinds: frozenset[str] = field(default_factory=frozenset)
    eligible_districts: frozenset[str] = field(default_factory=frozenset)
    purposes: frozenset[str] = field(default_factory=frozenset)
