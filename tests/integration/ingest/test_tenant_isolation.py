"""Every object endpoint against every other tenant: 403 or 404, never the data.

One owner of each kind creates its objects; then every endpoint that names an object is called
by the owner (it works) and by each other organisation (it does not, and says nothing of it).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest

from services.banks.repository import LeadsProjection
from services.banks.schemas import LOAN_PRODUCT_EXAMPLE
from services.businesses.schemas import DEMAND_EXAMPLE
from services.cooperatives.schemas import COOPERATIVE_EXAMPLE, CREDIT_NEED_EXAMPLE
from shared.contract.envelope import wrap
from shared.contract.events import LoanLeadScored
from shared.contract.values import Reason
from shared.identity.model import Caller, Role
from tests.integration.ingest.harness import Deployment, Organisations, assert_error


@dataclass
class Tenancy:
    owners: dict[Role, Caller]
    ids: dict[str, str]
    secrets: list[str]  # text only the owners' objects contain


@pytest.fixture(scope="module")
def tenancy(deployment: Deployment, organisations: Organisations) -> Tenancy:
    owners = {
        role: organisations.new(role) for role in (Role.COOPERATIVE, Role.BUSINESS, Role.BANK)
    }
    secrets = ["HTX Bí mật Sơn Trạch", "Nấm linh chi bí mật", "Gói vay bí mật"]

    def created(service: str, path: str, role: Role, body: dict[str, Any]) -> dict[str, Any]:
        client = deployment.services[service].client
        response = client.post(path, json=body, headers=organisations.headers(owners[role]))
        assert response.status_code == 201, response.text
        answer: dict[str, Any] = response.json()
        return answer

    coop_body = copy.deepcopy(COOPERATIVE_EXAMPLE) | {"name": secrets[0]}
    cooperative = created("cooperatives", "/v1/cooperatives", Role.COOPERATIVE, coop_body)
    need = created(
        "cooperatives",
        f"/v1/cooperatives/{cooperative['cooperative_id']}/credit-needs",
        Role.COOPERATIVE,
        CREDIT_NEED_EXAMPLE,
    )
    demand = created(
        "businesses", "/v1/demands", Role.BUSINESS, DEMAND_EXAMPLE | {"product": secrets[1]}
    )
    product = created(
        "banks", "/v1/loan-products", Role.BANK, LOAN_PRODUCT_EXAMPLE | {"name": secrets[2]}
    )
    lead = LoanLeadScored(
        lead_id=f"lead-{cooperative['cooperative_id']}",
        credit_need_id=need["credit_need_id"],
        cooperative_id=cooperative["cooperative_id"],
        loan_product_id=product["loan_product_id"],
        bank_id=owners[Role.BANK].organisation_id,
        score=0.8,
        components={"amount_fit": 1.0},
        reasons=[Reason(code="amount_fits", en="The amount fits", vi="Số tiền phù hợp")],
        model_version="test",
    )
    with deployment.banks.database.sessions.begin() as session:
        LeadsProjection().apply(session, wrap(lead, producer="scoring"))
    return Tenancy(
        owners,
        {
            "cooperative": cooperative["cooperative_id"],
            "demand": demand["demand_id"],
            "loan_product": product["loan_product_id"],
            "lead": lead.lead_id,
        },
        secrets,
    )


@dataclass(frozen=True)
class Endpoint:
    service: str
    owner: Role
    method: str
    path: str  # with {cooperative}, {demand}, {loan_product} or {lead}
    body: dict[str, Any] | None = None

    @property
    def writes(self) -> bool:
        return self.method != "GET"


ENDPOINTS = [
    Endpoint("cooperatives", Role.COOPERATIVE, "GET", "/v1/cooperatives/{cooperative}"),
    Endpoint(
        "cooperatives",
        Role.COOPERATIVE,
        "PUT",
        "/v1/cooperatives/{cooperative}",
        COOPERATIVE_EXAMPLE,
    ),
    Endpoint(
        "cooperatives",
        Role.COOPERATIVE,
        "POST",
        "/v1/cooperatives/{cooperative}/credit-needs",
        CREDIT_NEED_EXAMPLE,
    ),
    Endpoint(
        "cooperatives", Role.COOPERATIVE, "GET", "/v1/cooperatives/{cooperative}/credit-needs"
    ),
    Endpoint("cooperatives", Role.COOPERATIVE, "GET", "/v1/cooperatives/{cooperative}/matches"),
    Endpoint(
        "cooperatives",
        Role.COOPERATIVE,
        "GET",
        "/v1/cooperatives/{cooperative}/matches?withdrawn=true",
    ),
    Endpoint("businesses", Role.BUSINESS, "GET", "/v1/demands/{demand}"),
    Endpoint("businesses", Role.BUSINESS, "PUT", "/v1/demands/{demand}", DEMAND_EXAMPLE),
    Endpoint("businesses", Role.BUSINESS, "GET", "/v1/demands/{demand}/matches"),
    Endpoint("businesses", Role.BUSINESS, "GET", "/v1/demands/{demand}/matches?withdrawn=true"),
    Endpoint("businesses", Role.BUSINESS, "POST", "/v1/demands/{demand}/close", {"reason": "x"}),
    Endpoint("banks", Role.BANK, "GET", "/v1/loan-products/{loan_product}"),
    Endpoint("banks", Role.BANK, "PUT", "/v1/loan-products/{loan_product}", LOAN_PRODUCT_EXAMPLE),
    Endpoint("banks", Role.BANK, "GET", "/v1/leads/{lead}"),
    Endpoint("banks", Role.BANK, "POST", "/v1/leads/{lead}/decision", {"decision": "accepted"}),
    # Last: these change the object's state for good.
    Endpoint("banks", Role.BANK, "POST", "/v1/loan-products/{loan_product}/withdraw"),
]

INTRUDERS = [Role.COOPERATIVE, Role.BUSINESS, Role.BANK, Role.ORGANISER]


def _call(
    deployment: Deployment,
    organisations: Organisations,
    tenancy: Tenancy,
    endpoint: Endpoint,
    caller: Caller,
) -> Any:
    client = deployment.services[endpoint.service].client
    return client.request(
        endpoint.method,
        endpoint.path.format(**tenancy.ids),
        json=endpoint.body,
        headers=organisations.headers(caller),
    )


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
def test_no_other_tenant_reaches_an_object(
    deployment: Deployment, organisations: Organisations, tenancy: Tenancy, endpoint: Endpoint
) -> None:
    for role in INTRUDERS:
        if role is Role.ORGANISER and not endpoint.writes:
            continue  # organisers read everything, by design (checked below)
        intruder = organisations.new(role)
        response = _call(deployment, organisations, tenancy, endpoint, intruder)
        assert response.status_code in (403, 404), (role, response.status_code, response.text)
        assert_error(response, response.status_code)
        for secret in tenancy.secrets:
            assert secret not in response.text

    owner = _call(deployment, organisations, tenancy, endpoint, tenancy.owners[endpoint.owner])
    assert owner.status_code in (200, 201), owner.text


@pytest.mark.parametrize(
    "endpoint", [e for e in ENDPOINTS if not e.writes], ids=lambda e: f"{e.method} {e.path}"
)
def test_organisers_read_every_object(
    deployment: Deployment, organisations: Organisations, tenancy: Tenancy, endpoint: Endpoint
) -> None:
    response = _call(
        deployment, organisations, tenancy, endpoint, organisations.new(Role.ORGANISER)
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("service", "path", "role"),
    [
        ("cooperatives", "/v1/cooperatives", Role.COOPERATIVE),
        ("businesses", "/v1/demands", Role.BUSINESS),
        ("banks", "/v1/loan-products", Role.BANK),
        ("banks", "/v1/leads", Role.BANK),
    ],
)
def test_listings_show_only_ones_own(
    deployment: Deployment,
    organisations: Organisations,
    tenancy: Tenancy,
    service: str,
    path: str,
    role: Role,
) -> None:
    client = deployment.services[service].client
    other = client.get(f"{path}?limit=200", headers=organisations.headers(organisations.new(role)))
    assert other.status_code == 200
    assert other.json() == []
    own = client.get(f"{path}?limit=200", headers=organisations.headers(tenancy.owners[role]))
    assert len(own.json()) == 1
    for intruder in set(INTRUDERS) - {role, Role.ORGANISER}:
        response = client.get(path, headers=organisations.headers(organisations.new(intruder)))
        assert_error(response, 403, "forbidden")
