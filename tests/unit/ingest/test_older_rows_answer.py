"""Answers show what is stored, whatever the request rules were when it was stored: a quantity
below the 0.001 requests now need (a demand posted before that rule, or a demand or product the
contract let through from another service) is read back, not a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from services.businesses.orm import DemandRow
from services.businesses.schemas import DEMAND_EXAMPLE
from services.cooperatives.schemas import DemandSummary, ProductPublic
from shared.contract.values import Quantity
from shared.storage.directory import summary
from tests.unit.ingest.test_overload import Service, businesses

TINY = 1e-300  # stored by the businesses API before quantities were held to 0.001


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    running = businesses(tmp_path)
    yield running
    running.database.dispose()


def test_a_demand_stored_with_a_tiny_quantity_is_read_back(service: Service) -> None:
    client = TestClient(service.app)
    posted = client.post("/v1/demands", json=DEMAND_EXAMPLE, headers=service.headers)
    assert posted.status_code == 201, posted.text
    demand_id = posted.json()["demand_id"]
    with service.database.sessions() as session, session.begin():
        session.execute(update(DemandRow).values(quantity_amount=TINY))

    one = client.get(f"/v1/demands/{demand_id}", headers=service.headers)
    assert one.status_code == 200, one.text
    assert one.json()["quantity"]["amount"] == TINY
    listed = client.get("/v1/demands", headers=service.headers)
    assert listed.status_code == 200, listed.text
    assert [d["quantity"]["amount"] for d in listed.json()] == [TINY]


def test_what_the_contract_lets_through_is_shown_beside_a_match() -> None:
    tiny = Quantity(amount=0.0005, unit="kg").model_dump(mode="json")
    demand = {
        "product": "Mực khô",
        "quantity": tiny,
        "recurrence": "one_off",
        "delivery_place": "dong-hoi",
        "delivery_from": "2027-01-01",
        "delivery_until": "2027-06-30",
    }
    shown = summary(DemandSummary, {**demand, "closed": False})
    assert shown is not None and shown.quantity.amount == 0.0005
    product = ProductPublic.model_validate(
        {
            "product_id": "p-1",
            "name": "Mực khô",
            "description": "",
            "monthly_capacity": tiny,
            "certifications": [],
            "harvest_months": [],
        }
    )
    assert product.monthly_capacity.amount == 0.0005
