"""The cooperatives API end to end over HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from services.cooperatives.schemas import COOPERATIVE_EXAMPLE, CREDIT_NEED_EXAMPLE
from shared.contract.events import CooperativeRegistered, CooperativeUpdated, CreditNeedSubmitted
from shared.identity.model import Caller, Role
from shared.topics import COOPERATIVES
from tests.integration.ingest.harness import (
    Deployment,
    Organisations,
    assert_error,
    changed,
    count_rows,
    created_body,
    json_of,
    outbox_events,
)


def profile(**changes: Any) -> dict[str, Any]:
    return changed(COOPERATIVE_EXAMPLE, **changes)


def register(
    deployment: Deployment, organisations: Organisations, caller: Caller, **changes: Any
) -> dict[str, Any]:
    return created_body(
        deployment.cooperatives.client.post(
            "/v1/cooperatives", json=profile(**changes), headers=organisations.headers(caller)
        )
    )


def test_registers_a_cooperative_and_reads_it_back(
    deployment: Deployment, organisations: Organisations
) -> None:
    owner = organisations.new(Role.COOPERATIVE)
    decomposed = unicodedata.normalize("NFD", "HTX Dịch vụ nông nghiệp Hoàn Lão")
    created = register(deployment, organisations, owner, name=decomposed)

    assert created["name"] == unicodedata.normalize("NFC", decomposed)
    assert created["organisation_id"] == owner.organisation_id
    assert created["products"][0]["monthly_capacity"] == {"amount": 20.0, "unit": "tan"}
    assert created["products"][0]["product_id"]
    assert created["version"] == 1
    read = deployment.cooperatives.client.get(
        f"/v1/cooperatives/{created['cooperative_id']}", headers=organisations.headers(owner)
    )
    assert read.status_code == 200
    assert read.json() == created


def test_registration_writes_its_event_in_the_same_transaction(
    deployment: Deployment, organisations: Organisations
) -> None:
    owner = organisations.new(Role.COOPERATIVE)
    created = register(deployment, organisations, owner)

    (event,) = outbox_events(deployment.cooperatives, key=created["cooperative_id"])
    assert isinstance(event.payload, CooperativeRegistered)
    assert event.payload.organisation_id == owner.organisation_id
    assert event.payload.products[0].product_id == created["products"][0]["product_id"]
    assert event.payload.products[0].monthly_capacity.in_base_unit() == (20_000.0, "kg")
    assert event.producer == "cooperatives"


def test_an_organisation_registers_one_cooperative(
    deployment: Deployment, organisations: Organisations
) -> None:
    owner = organisations.new(Role.COOPERATIVE)
    register(deployment, organisations, owner)
    again = deployment.cooperatives.client.post(
        "/v1/cooperatives", json=profile(name="HTX khác"), headers=organisations.headers(owner)
    )
    assert_error(again, 409, "already_registered")


def test_a_retried_post_with_the_same_idempotency_key_creates_nothing_twice(
    deployment: Deployment, organisations: Organisations
) -> None:
    owner = organisations.new(Role.COOPERATIVE)
    headers = organisations.headers(owner, **{"Idempotency-Key": "dang-ky-lan-1"})
    client = deployment.cooperatives.client
    first = client.post("/v1/cooperatives", json=profile(), headers=headers)
    retried = client.post("/v1/cooperatives", json=profile(), headers=headers)

    assert first.status_code == retried.status_code == 201
    assert retried.json() == first.json()
    assert retried.headers["Idempotent-Replayed"] == "true"
    cooperative_id = first.json()["cooperative_id"]
    table = "cooperatives_profiles"
    assert count_rows(deployment.cooperatives, table, organisation_id=owner.organisation_id) == 1
    assert len(outbox_events(deployment.cooperatives, key=cooperative_id)) == 1


def test_an_idempotency_key_reused_for_another_request_is_refused(
    deployment: Deployment, organisations: Organisations
) -> None:
    owner = organisations.new(Role.COOPERATIVE)
    created = register(deployment, organisations, owner)
    path = f"/v1/cooperatives/{created['cooperative_id']}/credit-needs"
    headers = organisations.headers(owner, **{"Idempotency-Key": "vay-1"})
    client = deployment.cooperatives.client
    assert client.post(path, json=CREDIT_NEED_EXAMPLE, headers=headers).status_code == 201

    other = client.post(path, json={**CREDIT_NEED_EXAMPLE, "amount_vnd": 1}, headers=headers)

    error = assert_error(other, 422, "validation_failed")
    assert error["fields"][0]["field"] == "Idempotency-Key"
    assert (
        count_rows(
            deployment.cooperatives,
            "cooperatives_credit_needs",
            cooperative_id=created["cooperative_id"],
        )
        == 1
    )


def test_idempotency_keys_belong_to_one_organisation(
    deployment: Deployment, organisations: Organisations
) -> None:
    client = deployment.cooperatives.client
    answers = []
    for _ in range(2):
        owner = organisations.new(Role.COOPERATIVE)
        headers = organisations.headers(owner, **{"Idempotency-Key": "cung-mot-khoa"})
        answers.append(client.post("/v1/cooperatives", json=profile(), headers=headers))
    assert [answer.status_code for answer in answers] == [201, 201]
    assert answers[0].json()["cooperative_id"] != answers[1].json()["cooperative_id"]


def test_an_update_replaces_the_profile_keeps_product_ids_and_emits_the_whole_profile(
    deployment: Deployment, organisations: Organisations
) -> None:
    owner = organisations.new(Role.COOPERATIVE)
    created = register(deployment, organisations, owner)
    kept = {**created["products"][0]}
    for server_field in ("product_id",):
        kept[server_field] = created["products"][0][server_field]
    new_product = {
        "name": "Nước mắm Bảo Ninh",
        "monthly_capacity": {"amount": 3000, "unit": "lít"},
        "harvest_months": [],
    }
    body = profile(member_count=135, products=[kept, new_product])

    response = deployment.cooperatives.client.put(
        f"/v1/cooperatives/{created['cooperative_id']}",
        json=body,
        headers=organisations.headers(owner),
    )

    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["version"] == 2
    assert updated["member_count"] == 135
    assert updated["products"][0]["product_id"] == kept["product_id"]
    assert updated["products"][1]["monthly_capacity"] == {"amount": 3000.0, "unit": "litre"}
    _registered, changed = outbox_events(deployment.cooperatives, key=created["cooperative_id"])
    assert isinstance(changed.payload, CooperativeUpdated)
    assert [p.product_id for p in changed.payload.products] == [
        p["product_id"] for p in updated["products"]
    ]


def test_a_cooperative_submits_a_credit_need_and_lists_it(
    deployment: Deployment, organisations: Organisations
) -> None:
    owner = organisations.new(Role.COOPERATIVE)
    created = register(deployment, organisations, owner)
    path = f"/v1/cooperatives/{created['cooperative_id']}/credit-needs"
    client = deployment.cooperatives.client

    response = client.post(path, json=CREDIT_NEED_EXAMPLE, headers=organisations.headers(owner))

    assert response.status_code == 201, response.text
    need = response.json()
    assert need["amount_vnd"] == 500_000_000
    listed = client.get(path, headers=organisations.headers(owner)).json()
    assert [item["credit_need_id"] for item in listed] == [need["credit_need_id"]]
    event = outbox_events(deployment.cooperatives, key=created["cooperative_id"])[-1]
    assert isinstance(event.payload, CreditNeedSubmitted)
    assert event.payload.credit_need_id == need["credit_need_id"]


def test_matches_are_an_empty_list_until_the_scoring_service_speaks(
    deployment: Deployment, organisations: Organisations
) -> None:
    owner = organisations.new(Role.COOPERATIVE)
    created = register(deployment, organisations, owner)
    response = deployment.cooperatives.client.get(
        f"/v1/cooperatives/{created['cooperative_id']}/matches",
        headers=organisations.headers(owner),
    )
    assert response.status_code == 200
    assert response.json() == []


def test_a_body_that_is_not_json_is_a_bad_request(
    deployment: Deployment, organisations: Organisations
) -> None:
    response = deployment.cooperatives.client.post(
        "/v1/cooperatives",
        content=b'{"name": "HTX',
        headers=organisations.headers(
            organisations.new(Role.COOPERATIVE), **{"Content-Type": "application/json"}
        ),
    )
    assert_error(response, 400, "malformed_json")


def test_requests_without_a_valid_token_are_unauthenticated(
    deployment: Deployment, organisations: Organisations
) -> None:
    client = deployment.cooperatives.client
    owner = organisations.new(Role.COOPERATIVE)
    expired = organisations.issuer.issue(owner, timedelta(seconds=-60))
    tampered = organisations.token(owner)[:-4] + "AAAA"

    missing = client.post("/v1/cooperatives", json=profile())
    assert_error(missing, 401, "unauthenticated")
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    for token in (expired, tampered, "not-a-jwt"):
        response = client.post(
            "/v1/cooperatives", json=profile(), headers={"Authorization": f"Bearer {token}"}
        )
        assert_error(response, 401, "invalid_token")


def test_only_a_cooperative_may_register(
    deployment: Deployment, organisations: Organisations
) -> None:
    for role in (Role.BUSINESS, Role.BANK, Role.ORGANISER):
        response = deployment.cooperatives.client.post(
            "/v1/cooperatives",
            json=profile(),
            headers=organisations.headers(organisations.new(role)),
        )
        assert_error(response, 403, "forbidden")


def test_an_organiser_imports_cooperatives_all_or_nothing(
    deployment: Deployment, organisations: Organisations
) -> None:
    organiser = organisations.new(Role.ORGANISER)
    taken = organisations.new(Role.COOPERATIVE)
    register(deployment, organisations, taken)
    fresh = [organisations.new(Role.COOPERATIVE) for _ in range(3)]
    rows = [
        {"organisation_id": caller.organisation_id, **profile(name=f"HTX số {n}")}
        for n, caller in enumerate(fresh)
    ]
    client = deployment.cooperatives.client
    headers = organisations.headers(organiser)

    refused = client.post(
        "/v1/cooperative-imports",
        json={"cooperatives": [*rows, {**rows[0], "organisation_id": taken.organisation_id}]},
        headers=headers,
    )

    error = assert_error(refused, 409, "already_registered")
    assert error["fields"][0]["field"] == "cooperatives[3].organisation_id"
    for caller in fresh:
        assert (
            count_rows(
                deployment.cooperatives,
                "cooperatives_profiles",
                organisation_id=caller.organisation_id,
            )
            == 0
        )

    accepted = client.post("/v1/cooperative-imports", json={"cooperatives": rows}, headers=headers)

    assert accepted.status_code == 201, accepted.text
    imported = json_of(accepted)["imported"]
    assert [item["organisation_id"] for item in imported] == [c.organisation_id for c in fresh]
    for item in imported:
        (event,) = outbox_events(deployment.cooperatives, key=item["cooperative_id"])
        assert isinstance(event.payload, CooperativeRegistered)
        assert event.payload.organisation_id == item["organisation_id"]


def test_an_organiser_reads_every_cooperative_but_changes_none(
    deployment: Deployment, organisations: Organisations
) -> None:
    owner = organisations.new(Role.COOPERATIVE)
    created = register(deployment, organisations, owner)
    organiser = organisations.headers(organisations.new(Role.ORGANISER))
    client = deployment.cooperatives.client
    path = f"/v1/cooperatives/{created['cooperative_id']}"

    assert client.get(path, headers=organiser).json() == created
    everyone = client.get("/v1/cooperatives?limit=200", headers=organiser).json()
    assert len(everyone) >= 1
    assert_error(client.put(path, json=profile(), headers=organiser), 403, "forbidden")


def test_events_go_to_the_cooperatives_topic(
    deployment: Deployment, organisations: Organisations
) -> None:
    owner = organisations.new(Role.COOPERATIVE)
    created = register(deployment, organisations, owner)
    table = deployment.cooperatives.spec.outbox
    with deployment.cooperatives.database.engine.connect() as connection:
        topics = (
            connection.execute(
                table.select()
                .with_only_columns(table.c.topic)
                .where(table.c.key == created["cooperative_id"])
            )
            .scalars()
            .all()
        )
    assert topics == [COOPERATIVES.name]


def test_parallel_retries_with_one_key_create_once_and_answer_alike(
    deployment: Deployment, organisations: Organisations
) -> None:
    owner = organisations.new(Role.COOPERATIVE)
    headers = organisations.headers(owner, **{"Idempotency-Key": "cung-luc"})
    client = deployment.cooperatives.client
    start = threading.Barrier(4)

    def post() -> Any:
        start.wait()
        return client.post("/v1/cooperatives", json=profile(), headers=headers)

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: post(), range(4)))

    assert [answer.status_code for answer in answers] == [201] * 4
    assert len({answer.json()["cooperative_id"] for answer in answers}) == 1
    assert (
        count_rows(
            deployment.cooperatives, "cooperatives_profiles", organisation_id=owner.organisation_id
        )
        == 1
    )
