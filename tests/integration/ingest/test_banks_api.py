"""The banks API end to end over HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

from services.banks.schemas import LOAN_PRODUCT_EXAMPLE
from shared.contract.events import LoanProductPublished, LoanProductUpdated, LoanProductWithdrawn
from shared.identity.model import Caller, Role
from tests.integration.ingest.harness import (
    Deployment,
    Organisations,
    assert_error,
    changed,
    created_body,
    outbox_events,
)


def loan_product(**changes: Any) -> dict[str, Any]:
    return changed(LOAN_PRODUCT_EXAMPLE, **changes)


def publish(deployment: Deployment, organisations: Organisations, bank: Caller) -> dict[str, Any]:
    return created_body(
        deployment.banks.client.post(
            "/v1/loan-products", json=loan_product(), headers=organisations.headers(bank)
        )
    )


def test_a_bank_publishes_changes_and_withdraws_a_loan_product(
    deployment: Deployment, organisations: Organisations
) -> None:
    bank = organisations.new(Role.BANK)
    published = publish(deployment, organisations, bank)
    client = deployment.banks.client
    path = f"/v1/loan-products/{published['loan_product_id']}"
    headers = organisations.headers(bank)

    changed = client.put(path, json=loan_product(interest_rate_pct_per_year=6.2), headers=headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["interest_rate_pct_per_year"] == 6.2
    withdrawn = client.post(f"{path}/withdraw", headers=headers)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"

    assert_error(client.post(f"{path}/withdraw", headers=headers), 409, "withdrawn")
    assert_error(client.put(path, json=loan_product(), headers=headers), 409, "withdrawn")
    events = outbox_events(deployment.banks, published["loan_product_id"])
    assert [type(e.payload) for e in events] == [
        LoanProductPublished,
        LoanProductUpdated,
        LoanProductWithdrawn,
    ]
    assert events[0].payload.bank_id == bank.organisation_id  # type: ignore[attr-defined]


def test_repeated_list_entries_are_kept_once(
    deployment: Deployment, organisations: Organisations
) -> None:
    bank = organisations.new(Role.BANK)
    response = deployment.banks.client.post(
        "/v1/loan-products",
        json=loan_product(eligible_districts=["le-thuy", "le-thuy", "bo-trach"]),
        headers=organisations.headers(bank),
    )
    assert response.status_code == 201, response.text
    assert response.json()["eligible_districts"] == ["le-thuy", "bo-trach"]


def test_leads_are_an_empty_list_until_the_scoring_service_speaks(
    deployment: Deployment, organisations: Organisations
) -> None:
    response = deployment.banks.client.get(
        "/v1/leads?limit=10", headers=organisations.headers(organisations.new(Role.BANK))
    )
    assert response.status_code == 200
    assert response.json() == []


def test_a_decision_needs_a_lead_of_ones_own(
    deployment: Deployment, organisations: Organisations
) -> None:
    response = deployment.banks.client.post(
        "/v1/leads/lead-unknown/decision",
        json={"decision": "accepted"},
        headers=organisations.headers(organisations.new(Role.BANK)),
    )
    assert_error(response, 404, "not_found")


def test_a_rejection_needs_a_reason(deployment: Deployment, organisations: Organisations) -> None:
    response = deployment.banks.client.post(
        "/v1/leads/lead-1/decision",
        json={"decision": "rejected"},
        headers=organisations.headers(organisations.new(Role.BANK)),
    )
    error = assert_error(response, 422, "validation_failed")
    assert error["fields"][0]["field"] == "reason"


def test_only_banks_and_organisers_read_leads(
    deployment: Deployment, organisations: Organisations
) -> None:
    for role in (Role.COOPERATIVE, Role.BUSINESS):
        response = deployment.banks.client.get(
            "/v1/leads", headers=organisations.headers(organisations.new(role))
        )
        assert_error(response, 403, "forbidden")
