"""Value types: money, months, units, certifications, places and text."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.contract.events import LoanProductPublished, SourcingDemandPosted
from shared.contract.values import (
    Certification,
    DistrictCode,
    Month,
    Quantity,
    ShortText,
    Vnd,
)
from shared.reference import distance_km


@pytest.mark.parametrize(
    ("amount", "unit", "expected"),
    [
        (2, "tấn", (2000.0, "kg")),
        (3, "tạ", (300.0, "kg")),
        (5, "yến", (50.0, "kg")),
        (7, "kg", (7.0, "kg")),
        (20, "lít", (20.0, "litre")),
        (100, "cái", (100.0, "piece")),
    ],
)
def test_units_convert_to_their_base(amount: float, unit: str, expected: tuple[float, str]) -> None:
    assert Quantity(amount=amount, unit=unit).in_base_unit() == expected


def test_unknown_unit_lists_the_known_ones() -> None:
    with pytest.raises(ValidationError, match="unknown unit 'bao'; known units: guest, kg"):
        Quantity(amount=1, unit="bao")


@pytest.mark.parametrize("bad", [0, -5, 1.5, "100", True])
def test_vnd_is_a_positive_whole_number(bad: object) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Vnd).validate_python(bad)


@pytest.mark.parametrize("bad", [0, 13, -1])
def test_months_run_from_1_to_12(bad: int) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Month).validate_python(bad)


def test_text_with_nul_bytes_is_rejected() -> None:
    with pytest.raises(ValidationError, match="NUL"):
        TypeAdapter(ShortText).validate_python("HTX\x00")


def test_blank_and_overlong_names_are_rejected() -> None:
    with pytest.raises(ValidationError, match="blank"):
        TypeAdapter(ShortText).validate_python("   ")
    with pytest.raises(ValidationError):
        TypeAdapter(ShortText).validate_python("x" * 201)


def test_ocop_needs_stars_and_others_have_none() -> None:
    with pytest.raises(ValidationError, match="needs its stars"):
        Certification(kind="ocop", expires_on=date(2027, 1, 1))
    with pytest.raises(ValidationError, match="only an OCOP"):
        Certification(kind="vietgap", stars=4, expires_on=date(2027, 1, 1))
    with pytest.raises(ValidationError):
        Certification(kind="ocop", stars=6, expires_on=date(2027, 1, 1))


def test_unknown_district_names_the_known_ones() -> None:
    with pytest.raises(ValidationError, match="unknown district 'ha-noi'"):
        TypeAdapter(DistrictCode).validate_python("ha-noi")


def test_demand_dates_and_prices_must_be_in_order() -> None:
    base = dict(
        demand_id="d",
        business_id="b",
        product="Nước mắm",
        quantity={"amount": 1, "unit": "lít"},
        recurrence="monthly",
        delivery_place="ha-noi",
        delivery_from=date(2026, 5, 1),
        delivery_until=date(2026, 4, 1),
    )
    with pytest.raises(ValidationError, match="delivery_until"):
        SourcingDemandPosted(**base)
    base["delivery_until"] = date(2026, 6, 1)
    with pytest.raises(ValidationError, match="price_max_vnd"):
        SourcingDemandPosted(**base, price_min_vnd=50_000, price_max_vnd=40_000)


def test_loan_amount_range_must_be_in_order() -> None:
    with pytest.raises(ValidationError, match="amount_max_vnd"):
        LoanProductPublished(
            loan_product_id="p",
            bank_id="b",
            name="Vay",
            amount_min_vnd=10,
            amount_max_vnd=5,
            max_term_months=12,
            interest_rate_pct_per_year=8.0,
            collateral_required=True,
        )


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError, match="extra"):
        Quantity(amount=1, unit="kg", colour="red")  # type: ignore[call-arg]


def test_distance_between_districts_is_plausible() -> None:
    # Đồng Hới to Lệ Thủy's seat is about 40 km as the crow flies.
    assert 30 < distance_km("dong-hoi", "le-thuy") < 50
    assert distance_km("dong-hoi", "dong-hoi") == 0
