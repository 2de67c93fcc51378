"""Small builders for domain records, with defaults that match unless a test says otherwise."""

from __future__ import annotations

import random
from datetime import date, timedelta

from services.matching.domain.model import (
    Amount,
    Certificate,
    Cooperative,
    CreditNeed,
    Demand,
    LoanProduct,
    ProductOffer,
    RequiredCertificate,
)

FAR_FUTURE = date(2030, 12, 31)


def offer(
    name: str = "Gạo hữu cơ",
    tonnes: float = 20.0,
    *,
    product_id: str = "p1",
    unit: str = "kg",
    certificates: tuple[Certificate, ...] = (),
    harvest_months: frozenset[int] = frozenset(),
    description: str = "",
) -> ProductOffer:
    amount = Amount(tonnes * 1000 if unit == "kg" else tonnes, unit)
    return ProductOffer(product_id, name, amount, description, certificates, harvest_months)


def cooperative(
    cooperative_id: str = "c1",
    *products: ProductOffer,
    district: str = "le-thuy",
    kind: str = "htx",
    sector: str = "agriculture",
    founded_year: int = 2015,
    member_count: int = 40,
    annual_revenue_vnd: int | None = 2_000_000_000,
) -> Cooperative:
    return Cooperative(
        cooperative_id=cooperative_id,
        name=f"HTX {cooperative_id}",
        kind=kind,
        sector=sector,
        district=district,
        founded_year=founded_year,
        member_count=member_count,
        annual_revenue_vnd=annual_revenue_vnd,
        products=products or (offer(),),
    )


def demand(
    demand_id: str = "d1",
    product: str = "gạo hữu cơ",
    tonnes: float = 10.0,
    *,
    unit: str = "kg",
    monthly: bool = True,
    place: str = "dong-hoi",
    delivery_from: date = date(2026, 3, 1),
    delivery_until: date = date(2026, 6, 30),
    required: tuple[RequiredCertificate, ...] = (),
    business_id: str = "b1",
) -> Demand:
    amount = Amount(tonnes * 1000 if unit == "kg" else tonnes, unit)
    return Demand(
        demand_id=demand_id,
        business_id=business_id,
        product=product,
        quantity=amount,
        monthly=monthly,
        delivery_place=place,
        delivery_from=delivery_from,
        delivery_until=delivery_until,
        required_certificates=required,
    )


def credit_need(
    credit_need_id: str = "n1",
    cooperative_id: str = "c1",
    *,
    amount_vnd: int = 500_000_000,
    purpose: str = "working_capital",
    term_months: int = 24,
    collateral_offered: bool = False,
    submitted_on: date = date(2026, 3, 1),
) -> CreditNeed:
    return CreditNeed(
        credit_need_id=credit_need_id,
        cooperative_id=cooperative_id,
        amount_vnd=amount_vnd,
        purpose=purpose,
        term_months=term_months,
        collateral_offered=collateral_offered,
        submitted_on=submitted_on,
    )


def loan_product(
    loan_product_id: str = "lp1",
    bank_id: str = "bank1",
    *,
    amount_min_vnd: int = 100_000_000,
    amount_max_vnd: int = 1_000_000_000,
    max_term_months: int = 36,
    collateral_required: bool = False,
    min_years_operating: int = 0,
    min_members: int = 0,
    eligible_sectors: frozenset[str] = frozenset(),
    eligible_kinds: frozenset[str] = frozenset(),
    eligible_districts: frozenset[str] = frozenset(),
    purposes: frozenset[str] = frozenset(),
) -> LoanProduct:
    return LoanProduct(
        loan_product_id=loan_product_id,
        bank_id=bank_id,
        name=f"Loan {loan_product_id}",
        amount_min_vnd=amount_min_vnd,
        amount_max_vnd=amount_max_vnd,
        max_term_months=max_term_months,
        interest_rate_pct_per_year=8.0,
        collateral_required=collateral_required,
        min_years_operating=min_years_operating,
        min_members=min_members,
        eligible_sectors=eligible_sectors,
        eligible_kinds=eligible_kinds,
        eligible_districts=eligible_districts,
        purposes=purposes,
    )


def certified(kind: str, expires_on: date = FAR_FUTURE, stars: int | None = None) -> Certificate:
    return Certificate(kind, expires_on, stars)


def required(kind: str, min_stars: int | None = None) -> RequiredCertificate:
    return RequiredCertificate(kind, min_stars)


# --- random data, for checks that must hold on any data --------------------------------

NAMES = [
    "Gạo hữu cơ",
    "gao trang",
    "Nước mắm cá cơm",
    "Mắm ruốc",
    "mắm",
    "Tôm thẻ chân trắng",
    "Tôm sú",
    "Tinh dầu tràm",
    "tinh dau sa",
    "Mật ong",
    "Nón lá",
    "Khoai lang sấy",
    "đặc sản Quảng Bình",
    "Mực khô",
    "rau an toan",
]
DISTRICTS = ["dong-hoi", "ba-don", "le-thuy", "quang-ninh", "bo-trach", "minh-hoa"]
PLACES = [*DISTRICTS, "hue", "ha-noi", "ho-chi-minh"]
KINDS = ["vietgap", "organic", "ocop", "haccp"]


def random_offer(rng: random.Random, number: int) -> tuple[Cooperative, ProductOffer]:
    certificates = tuple(
        Certificate(
            kind,
            date(2026, 1, 1) + timedelta(days=rng.randrange(0, 720)),
            rng.choice([3, 4, 5]) if kind == "ocop" else None,
        )
        for kind in rng.sample(KINDS, rng.randrange(0, 3))
    )
    offer = ProductOffer(
        product_id=f"p{number}",
        name=rng.choice(NAMES),
        monthly_capacity=Amount(rng.choice([500.0, 2000.0, 10_000.0]), rng.choice(["kg", "litre"])),
        certificates=certificates,
        harvest_months=frozenset(rng.sample(range(1, 13), rng.choice([0, 2, 4]))),
    )
    cooperative = Cooperative(
        f"c{number}",
        f"HTX {number}",
        "htx",
        "agriculture",
        rng.choice(DISTRICTS),
        2015,
        20,
        products=(offer,),
    )
    return cooperative, offer


def random_demand(rng: random.Random, number: int) -> Demand:
    start = date(2026, rng.randrange(1, 13), 1)
    return Demand(
        demand_id=f"d{number}",
        business_id="b",
        product=rng.choice(NAMES),
        quantity=Amount(rng.choice([1000.0, 5000.0]), rng.choice(["kg", "litre"])),
        monthly=rng.random() < 0.5,
        delivery_place=rng.choice(PLACES),
        delivery_from=start,
        delivery_until=start + timedelta(days=rng.randrange(0, 200)),
        required_certificates=tuple(
            required(kind, rng.choice([None, 4]) if kind == "ocop" else None)
            for kind in rng.sample(KINDS, rng.randrange(0, 2))
        ),
    )
