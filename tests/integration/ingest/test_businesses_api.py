"""The businesses API end to end over HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

from services.businesses.schemas import DEMAND_EXAMPLE
from shared.contract.events import SourcingDemandClosed, SourcingDemandPosted, SourcingDemandUpdated
from shared.identity.model import Caller, Role
from tests.integration.ingest.harness import (
    Deployment,
    Organisations,
    assert_error,
    changed,
    created_body,
    outbox_events,
)


def demand(**changes: Any) -> dict[str, Any]:
    return changed(DEMAND_EXAMPLE, **changes)


def post(deployment: Deployment, organisations: Organisations, caller: Caller) -> dict[str, Any]:
    return created_body(
        deployment.businesses.client.post(
            "/v1/demands", json=demand(), headers=organisations.headers(caller)
        )
    )


def test_a_business_posts_a_demand_and_its_event(
    deployment: Deployment, organisations: Organisations
) -> None:
    business = organisations.new(Role.BUSINESS)
    posted = post(deployment, organisations, business)

    assert posted["status"] == "open"
    assert posted["quantity"] == {"amount": 5.0, "unit": "ta"}
    (event,) = outbox_events(deployment.businesses, key=posted["demand_id"])
    assert isinstance(event.payload, SourcingDemandPosted)
    assert event.payload.business_id == business.organisation_id
    assert event.payload.quantity.in_base_unit() == (500.0, "kg")


def test_a_demand_is_changed_then_closed_and_stays_closed(
    deployment: Deployment, organisations: Organisations
) -> None:
    business = organisations.new(Role.BUSINESS)
    posted = post(deployment, organisations, business)
    client = deployment.businesses.client
    path = f"/v1/demands/{posted['demand_id']}"
    headers = organisations.headers(business)

    changed = client.put(path, json=demand(quantity={"amount": 1, "unit": "tấn"}), headers=headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2
    closed = client.post(f"{path}/close", json={"reason": "Đã đủ hàng"}, headers=headers)
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"

    assert_error(client.post(f"{path}/close", headers=headers), 409, "demand_closed")
    assert_error(client.put(path, json=demand(), headers=headers), 409, "demand_closed")
    kinds = [type(e.payload) for e in outbox_events(deployment.businesses, posted["demand_id"])]
    assert kinds == [SourcingDemandPosted, SourcingDemandUpdated, SourcingDemandClosed]


def test_a_retried_close_answers_as_the_first_did(
    deployment: Deployment, organisations: Organisations
) -> None:
    business = organisations.new(Role.BUSINESS)
    posted = post(deployment, organisations, business)
    headers = organisations.headers(business, **{"Idempotency-Key": "dong-1"})
    path = f"/v1/demands/{posted['demand_id']}/close"
    first = deployment.businesses.client.post(path, headers=headers)
    retried = deployment.businesses.client.post(path, headers=headers)
    assert first.status_code == retried.status_code == 200
    assert retried.json() == first.json()
    assert len(outbox_events(deployment.businesses, posted["demand_id"])) == 2


def test_matches_are_an_empty_list_until_the_scoring_service_speaks(
    deployment: Deployment, organisations: Organisations
) -> None:
    business = organisations.new(Role.BUSINESS)
    posted = post(deployment, organisations, business)
    response = deployment.businesses.client.get(
        f"/v1/demands/{posted['demand_id']}/matches?limit=5",
        headers=organisations.headers(business),
    )
    assert response.status_code == 200
    assert response.json() == []


def test_only_a_business_posts_demands(
    deployment: Deployment, organisations: Organisations
) -> None:
    for role in (Role.COOPERATIVE, Role.BANK, Role.ORGANISER):
        response = deployment.businesses.client.post(
            "/v1/demands", json=demand(), headers=organisations.headers(organisations.new(role))
        )
        assert_error(response, 403, "forbidden")
