"""Contract events for the matching worker's tests, with defaults that fit one another."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from shared.contract import events as contract
from shared.contract.values import Certification, Quantity, RequiredCertification
from shared.province_time import province_today

# Deliveries from March to August next year, whenever the tests run: the worker closes demands
# whose delivery is over.
YEAR = province_today().year + 1


def product(
    product_id: str,
    name: str,
    amount: float = 20.0,
    *,
    unit: str = "tan",
    certifications: Sequence[str] = (),
) -> contract.Product:
    return contract.Product(
        product_id=product_id,
        name=name,
        monthly_capacity=Quantity(amount=amount, unit=unit),
        certifications=[
            Certification(kind=kind, expires_on=date(YEAR + 4, 12, 31))  # type: ignore[arg-type]
            for kind in certifications
        ],
    )


def cooperative(
    cooperative_id: str,
    *products: contract.Product,
    district: str = "le-thuy",
    members: int = 60,
    revenue: int | None = 3_000_000_000,
    founded: int = 2012,
    updated: bool = False,
) -> contract.CooperativeRegistered | contract.CooperativeUpdated:
    kind = contract.CooperativeUpdated if updated else contract.CooperativeRegistered
    return kind(
        cooperative_id=cooperative_id,
        organisation_id=f"org-{cooperative_id}",
        name=f"HTX {cooperative_id}",
        kind="htx",  # type: ignore[arg-type]
        sector="agriculture",
        district=district,
        commune="Xã Thử",
        founded_year=founded,
        member_count=members,
        annual_revenue_vnd=revenue,
        products=list(products),
    )


def demand(
    demand_id: str,
    business_id: str,
    text: str,
    amount: float = 10.0,
    *,
    unit: str = "tan",
    place: str = "dong-hoi",
    required: Sequence[str] = (),
    delivered_until: date | None = None,
) -> contract.SourcingDemandPosted:
    return contract.SourcingDemandPosted(
        demand_id=demand_id,
        business_id=business_id,
        product=text,
        quantity=Quantity(amount=amount, unit=unit),
        recurrence=contract.Recurrence.MONTHLY,
        required_certifications=[
            RequiredCertification(kind=kind)  # type: ignore[arg-type]
            for kind in required
        ],
        delivery_place=place,
        delivery_from=date(YEAR, 3, 1) if delivered_until is None else delivered_until,
        delivery_until=date(YEAR, 8, 31) if delivered_until is None else delivered_until,
    )


def closed(demand_id: str, business_id: str) -> contract.SourcingDemandClosed:
    return contract.SourcingDemandClosed(
        demand_id=demand_id, business_id=business_id, reason="bought enough"
    )


def credit_need(
    credit_need_id: str, cooperative_id: str, amount: int = 500_000_000
) -> contract.CreditNeedSubmitted:
    return contract.CreditNeedSubmitted(
        credit_need_id=credit_need_id,
        cooperative_id=cooperative_id,
        amount_vnd=amount,
        purpose="working_capital",  # type: ignore[arg-type]
        term_months=24,
        collateral_offered=True,
    )


def loan_product(
    loan_product_id: str,
    bank_id: str,
    *,
    min_members: int = 0,
    amount_max: int = 2_000_000_000,
) -> contract.LoanProductPublished:
    return contract.LoanProductPublished(
        loan_product_id=loan_product_id,
        bank_id=bank_id,
        name=f"Vay vốn {loan_product_id}",
        amount_min_vnd=50_000_000,
        amount_max_vnd=amount_max,
        max_term_months=60,
        interest_rate_pct_per_year=7.5,
        min_members=min_members,
        collateral_required=False,
    )


def withdrawn(loan_product_id: str, bank_id: str) -> contract.LoanProductWithdrawn:
    return contract.LoanProductWithdrawn(loan_product_id=loan_product_id, bank_id=bank_id)
