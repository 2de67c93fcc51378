"""Bad input to each service is refused with 422, and the error names the field and says why."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from services.banks.schemas import LOAN_PRODUCT_EXAMPLE
from services.businesses.schemas import DEMAND_EXAMPLE
from services.cooperatives.schemas import COOPERATIVE_EXAMPLE
from shared.identity.model import Role
from tests.integration.ingest.harness import (
    Deployment,
    Organisations,
    assert_refused,
    changed,
    count_rows,
)


def _product(**changes: Any) -> dict[str, Any]:
    product = copy.deepcopy(COOPERATIVE_EXAMPLE["products"][0])
    product.update(changes)
    return product


BAD_PROFILES = [
    pytest.param(
        {"products": [_product(monthly_capacity={"amount": 2, "unit": "bao"})]},
        "products[0].monthly_capacity.unit",
        "unknown unit 'bao'; known units:",
        id="unknown-unit",
    ),
    pytest.param({"district": "ha-noi"}, "district", "unknown district 'ha-noi'", id="district"),
    pytest.param({"sector": "mining"}, "sector", "unknown sector 'mining'", id="sector"),
    pytest.param({"name": "HTX\x00"}, "name", "NUL", id="nul-byte"),
    pytest.param({"name": "x" * 201}, "name", "at most 200", id="too-long"),
    pytest.param({"name": "   "}, "name", "blank", id="blank"),
    pytest.param({"annual_revenue_vnd": -5}, "annual_revenue_vnd", "greater than 0", id="vnd<0"),
    pytest.param({"annual_revenue_vnd": 10.5}, "annual_revenue_vnd", "integer", id="vnd-float"),
    pytest.param({"annual_revenue_vnd": "1000"}, "annual_revenue_vnd", "integer", id="vnd-text"),
    pytest.param(
        {"products": [_product(harvest_months=[4, 13])]},
        "products[0].harvest_months[1]",
        "less than or equal to 12",
        id="month-13",
    ),
    pytest.param(
        {"products": [_product(certifications=[{"kind": "ocop", "expires_on": "2027-01-01"}])]},
        "products[0].certifications[0]",
        "stars",
        id="ocop-without-stars",
    ),
    pytest.param(
        {
            "products": [
                _product(certifications=[{"kind": "ocop", "stars": 6, "expires_on": "2027-01-01"}])
            ]
        },
        "products[0].certifications[0].stars",
        "less than or equal to 5",
        id="ocop-6-stars",
    ),
    pytest.param({"founded_year": 2999}, "founded_year", "", id="future-year"),
    pytest.param({"kind": "company"}, "kind", "htx", id="kind"),
    pytest.param({"members": 3}, "members", "Extra inputs are not permitted", id="unknown-field"),
    pytest.param(
        {"products": [_product(product_id="gao"), _product(product_id="gao")]},
        "products",
        "appears twice",
        id="duplicate-product-id",
    ),
]


BAD_DEMANDS = [
    pytest.param(
        {"delivery_from": "2026-06-01", "delivery_until": "2026-05-01"},
        "delivery_until",
        "must not be before delivery_from",
        id="dates-reversed",
    ),
    pytest.param(
        {"price_min_vnd": 500_000, "price_max_vnd": 400_000},
        "price_max_vnd",
        "must not be below price_min_vnd",
        id="prices-reversed",
    ),
    pytest.param({"delivery_place": "mars"}, "delivery_place", "unknown place", id="place"),
    pytest.param(
        {"quantity": {"amount": 1, "unit": "bó"}}, "quantity.unit", "unknown unit", id="unit"
    ),
    pytest.param(
        {"quantity": {"amount": 0, "unit": "kg"}},
        "quantity.amount",
        "greater than or equal to 0.001",
        id="zero-quantity",
    ),
    pytest.param(
        {"quantity": {"amount": 1e-300, "unit": "kg"}},
        "quantity.amount",
        "greater than or equal to 0.001",
        id="vanishing-quantity",
    ),
    pytest.param(
        {"delivery_from": "2001-01-01", "delivery_until": "2001-02-01"},
        "delivery_until",
        "must not be in the past (today is ",
        id="delivery-past",
    ),
    pytest.param(
        {"delivery_until": "9999-12-31"},
        "delivery_until",
        "must be within ten years (by ",
        id="delivery-centuries-ahead",
    ),
    pytest.param(
        {"delivery_from": "0001-01-01"},
        "delivery_until",
        "the delivery window must not be longer than ten years",
        id="delivery-since-year-one",
    ),
    pytest.param({"recurrence": "weekly"}, "recurrence", "monthly", id="recurrence"),
    pytest.param(
        {"required_certifications": [{"kind": "ocop", "min_stars": 2}]},
        "required_certifications[0].min_stars",
        "greater than or equal to 3",
        id="ocop-2-stars",
    ),
    pytest.param(
        {"required_certifications": [{"kind": "vietgap", "min_stars": 4}]},
        "required_certifications",
        "required_certifications[0]: only OCOP has stars",
        id="stars-not-ocop",
    ),
    pytest.param(
        {"required_certifications": [{"kind": "vietgap"}, {"kind": "vietgap"}]},
        "required_certifications",
        "required_certifications[1]: vietgap appears twice",
        id="same-certification-twice",
    ),
]


BAD_PRODUCTS = [
    pytest.param(
        {"amount_min_vnd": 2_000_000, "amount_max_vnd": 1_000_000},
        "amount_max_vnd",
        "must not be below amount_min_vnd",
        id="amounts-reversed",
    ),
    pytest.param(
        {"eligible_districts": ["hue-city"]},
        "eligible_districts[0]",
        "unknown district",
        id="district",
    ),
    pytest.param(
        {"eligible_sectors": ["mining"]}, "eligible_sectors[0]", "unknown sector", id="sector"
    ),
    pytest.param(
        {"max_term_months": 0}, "max_term_months", "greater than or equal to 1", id="term"
    ),
    pytest.param(
        {"interest_rate_pct_per_year": 0}, "interest_rate_pct_per_year", "greater than 0", id="rate"
    ),
    pytest.param({"min_members": 10**12}, "min_members", "less than or equal", id="members"),
    pytest.param({"amount_min_vnd": 0}, "amount_min_vnd", "greater than 0", id="zero-vnd"),
    pytest.param({"purposes": ["gambling"]}, "purposes[0]", "working_capital", id="purpose"),
]


ENDPOINTS = {
    # service: (path, who may post, documented example, the table a success would write)
    "cooperatives": (
        "/v1/cooperatives",
        Role.COOPERATIVE,
        COOPERATIVE_EXAMPLE,
        "cooperatives_profiles",
    ),
    "businesses": ("/v1/demands", Role.BUSINESS, DEMAND_EXAMPLE, "businesses_demands"),
    "banks": ("/v1/loan-products", Role.BANK, LOAN_PRODUCT_EXAMPLE, "banks_loan_products"),
}
CASES = [
    pytest.param(service, *case.values, id=f"{service}-{case.id}")
    for service, cases in (
        ("cooperatives", BAD_PROFILES),
        ("businesses", BAD_DEMANDS),
        ("banks", BAD_PRODUCTS),
    )
    for case in cases
]


@pytest.mark.parametrize(("service", "changes", "field", "reason"), CASES)
def test_bad_input_is_refused_naming_the_field_and_why(
    deployment: Deployment,
    organisations: Organisations,
    service: str,
    changes: dict[str, Any],
    field: str,
    reason: str,
) -> None:
    path, role, example, table = ENDPOINTS[service]
    caller = organisations.new(role)
    running = deployment.services[service]
    response = running.client.post(
        path, json=changed(example, **changes), headers=organisations.headers(caller)
    )
    assert_refused(response, field, reason)
    assert count_rows(running, table, organisation_id=caller.organisation_id) == 0
