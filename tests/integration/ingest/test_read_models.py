"""What the scoring service emits reaches the read endpoints: published to the real broker,
consumed by each service's consumer, read back over HTTP."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from kafka import KafkaProducer

from services.banks.schemas import LOAN_PRODUCT_EXAMPLE
from services.businesses.schemas import DEMAND_EXAMPLE
from services.cooperatives.schemas import COOPERATIVE_EXAMPLE, CREDIT_NEED_EXAMPLE
from shared.contract.envelope import wrap
from shared.contract.events import (
    EventPayload,
    LeadDecisionRecorded,
    LoanLeadScored,
    MatchRetracted,
    SourcingMatchFound,
)
from shared.contract.values import Reason
from shared.identity.model import Caller, Role
from shared.kafka.consumer import EventConsumer
from shared.kafka.groups import start_group_at_end
from shared.kafka.producer import EventPublisher, make_producer
from shared.outbox.relay import OutboxRelay, relay_publisher_factory
from shared.settings import KafkaSettings
from shared.topics import FEEDBACK, LOAN_LEADS, SOURCING_MATCHES
from tests.integration.ingest.harness import (
    Deployment,
    Organisations,
    RunningService,
    TopicReader,
    wait_until,
)

pytestmark = pytest.mark.kafka

REASON = Reason(code="capacity_fits", en="Capacity covers the quantity", vi="Đủ sản lượng")


@dataclass
class Consumers:
    """The three services' consumers, each in a thread, each in a fresh group at the topics'
    ends (so other tests' events stay unread)."""

    stop: threading.Event
    threads: list[threading.Thread]


@pytest.fixture
def consumers(deployment: Deployment, kafka_settings: KafkaSettings) -> Iterator[Consumers]:
    stop = threading.Event()
    threads = []
    made: list[EventConsumer] = []
    for service in deployment.services.values():
        spec = service.spec.consumer
        assert spec is not None
        group = f"{spec.group_id}-test-{uuid.uuid4().hex[:8]}"
        topics = [topic.name for topic in spec.topics]
        start_group_at_end(group, topics, kafka_settings)
        consumer = EventConsumer(
            topics, group, spec.handler(service.database), settings=kafka_settings
        )
        made.append(consumer)
        threads.append(threading.Thread(target=consumer.run, args=(stop,)))
    for thread in threads:
        thread.start()
    try:
        yield Consumers(stop, threads)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        for consumer in made:
            consumer.close()


def _drain(service: RunningService, kafka_settings: KafkaSettings) -> None:
    relay = OutboxRelay(
        service.database, service.spec.outbox, relay_publisher_factory("test", kafka_settings)
    )
    try:
        while relay.relay_once():
            pass
    finally:
        relay.close()


def _publish(kafka_settings: KafkaSettings, topic: str, *payloads: EventPayload) -> None:
    producer: KafkaProducer = make_producer("test-scoring", kafka_settings)
    publisher = EventPublisher(producer)
    for payload in payloads:
        publisher.publish(topic, wrap(payload, producer="scoring")).get(timeout=30)
    publisher.close()


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _get(service: RunningService, path: str, headers: dict[str, str]) -> Callable[[], Any]:
    return lambda: service.client.get(path, headers=headers).json()


def test_matches_and_leads_reach_the_read_endpoints_once_and_only_their_owners(
    deployment: Deployment,
    organisations: Organisations,
    kafka_settings: KafkaSettings,
    consumers: Consumers,
) -> None:
    coop: Caller = organisations.new(Role.COOPERATIVE)
    business, bank, other_bank = (
        organisations.new(Role.BUSINESS),
        organisations.new(Role.BANK),
        organisations.new(Role.BANK),
    )
    name = f"HTX Nấm linh chi Minh Hóa {uuid.uuid4().hex[:4]}"
    cooperative = _created(
        deployment.cooperatives.client.post(
            "/v1/cooperatives",
            json=COOPERATIVE_EXAMPLE | {"name": name},
            headers=organisations.headers(coop),
        )
    )
    coop_id, product_id = cooperative["cooperative_id"], cooperative["products"][0]["product_id"]
    need = _created(
        deployment.cooperatives.client.post(
            f"/v1/cooperatives/{coop_id}/credit-needs",
            json=CREDIT_NEED_EXAMPLE,
            headers=organisations.headers(coop),
        )
    )
    demand = _created(
        deployment.businesses.client.post(
            "/v1/demands", json=DEMAND_EXAMPLE, headers=organisations.headers(business)
        )
    )
    products = {
        owner.organisation_id: _created(
            deployment.banks.client.post(
                "/v1/loan-products", json=LOAN_PRODUCT_EXAMPLE, headers=organisations.headers(owner)
            )
        )["loan_product_id"]
        for owner in (bank, other_bank)
    }
    for service in deployment.services.values():
        _drain(service, kafka_settings)

    match = SourcingMatchFound(
        match_id=f"match-{coop_id}",
        demand_id=demand["demand_id"],
        business_id=business.organisation_id,
        cooperative_id=coop_id,
        product_id=product_id,
        score=0.87,
        components={"capacity": 1.0, "distance": 0.7},
        reasons=[REASON],
        model_version="test-1",
    )
    leads = [
        LoanLeadScored(
            lead_id=f"lead-{coop_id}-{n}",
            credit_need_id=need["credit_need_id"],
            cooperative_id=coop_id,
            loan_product_id=products[owner.organisation_id],
            bank_id=owner.organisation_id,
            score=score,
            components={"amount_fit": score},
            reasons=[REASON],
            model_version="test-1",
        )
        for n, (owner, score) in enumerate([(bank, 0.9), (other_bank, 0.6)])
    ]
    _publish(kafka_settings, SOURCING_MATCHES.name, match, match)  # delivered twice
    _publish(kafka_settings, LOAN_LEADS.name, *leads, leads[0])

    coop_matches = _get(
        deployment.cooperatives, f"/v1/cooperatives/{coop_id}/matches", organisations.headers(coop)
    )
    wait_until(lambda: len(coop_matches()) == 1, 60, "the cooperative's match")
    (seen,) = coop_matches()
    assert seen["demand_id"] == demand["demand_id"]
    assert seen["score"] == 0.87
    wait_until(lambda: coop_matches()[0]["demand"] is not None, 60, "the demand's summary")
    assert coop_matches()[0]["demand"]["product"] == DEMAND_EXAMPLE["product"]

    demand_matches = _get(
        deployment.businesses,
        f"/v1/demands/{demand['demand_id']}/matches?limit=5",
        organisations.headers(business),
    )
    wait_until(
        lambda: [m["cooperative"] and m["cooperative"]["name"] for m in demand_matches()] == [name],
        60,
        "the ranked cooperative with its name",
    )
    assert demand_matches()[0]["product_name"] == COOPERATIVE_EXAMPLE["products"][0]["name"]

    bank_leads = _get(deployment.banks, "/v1/leads?limit=10", organisations.headers(bank))
    wait_until(lambda: len(bank_leads()) == 1 and bank_leads()[0]["credit_need"], 60, "the lead")
    (lead,) = bank_leads()
    assert lead["lead_id"] == leads[0].lead_id
    assert lead["cooperative"]["name"] == name
    assert lead["credit_need"]["amount_vnd"] == CREDIT_NEED_EXAMPLE["amount_vnd"]
    assert lead["loan_product_name"] == LOAN_PRODUCT_EXAMPLE["name"]
    other_leads = deployment.banks.client.get(
        "/v1/leads", headers=organisations.headers(other_bank)
    )
    assert [item["lead_id"] for item in other_leads.json()] == [leads[1].lead_id]

    _publish(
        kafka_settings,
        SOURCING_MATCHES.name,
        MatchRetracted(
            match_id=match.match_id,
            match_kind="sourcing",
            cooperative_id=coop_id,
            demand_id=demand["demand_id"],
            business_id=business.organisation_id,
            reason=Reason(code="demand_closed", en="Demand closed", vi="Đã đóng nhu cầu"),
        ),
    )
    wait_until(lambda: coop_matches() == [] and demand_matches() == [], 60, "the retraction")
    closed = {"code": "demand_closed", "en": "Demand closed", "vi": "Đã đóng nhu cầu"}
    coop_withdrawn = _get(
        deployment.cooperatives,
        f"/v1/cooperatives/{coop_id}/matches?withdrawn=true",
        organisations.headers(coop),
    )()
    assert [(m["match_id"], m["retraction_reason"]) for m in coop_withdrawn] == [
        (match.match_id, closed)
    ]
    demand_withdrawn = _get(
        deployment.businesses,
        f"/v1/demands/{demand['demand_id']}/matches?withdrawn=true",
        organisations.headers(business),
    )()
    assert [(m["match_id"], m["retraction_reason"]) for m in demand_withdrawn] == [
        (match.match_id, closed)
    ]


def test_a_banks_decision_goes_to_the_feedback_topic(
    deployment: Deployment,
    organisations: Organisations,
    kafka_settings: KafkaSettings,
    consumers: Consumers,
) -> None:
    bank = organisations.new(Role.BANK)
    lead = LoanLeadScored(
        lead_id=f"lead-{uuid.uuid4().hex}",
        credit_need_id="need-1",
        cooperative_id="coop-1",
        loan_product_id="loan-1",
        bank_id=bank.organisation_id,
        score=0.7,
        components={},
        reasons=[REASON],
        model_version="test-1",
    )
    _publish(kafka_settings, LOAN_LEADS.name, lead)
    headers = organisations.headers(bank)
    wait_until(
        lambda: (
            deployment.banks.client.get(f"/v1/leads/{lead.lead_id}", headers=headers).is_success
        ),
        60,
        "the lead",
    )
    reader = TopicReader(FEEDBACK.name, kafka_settings)

    decided = deployment.banks.client.post(
        f"/v1/leads/{lead.lead_id}/decision",
        json={"decision": "rejected", "reason": "Chưa đủ 2 năm hoạt động"},
        headers=headers,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["decision"] == "rejected"
    again = deployment.banks.client.post(
        f"/v1/leads/{lead.lead_id}/decision", json={"decision": "accepted"}, headers=headers
    )
    assert again.status_code == 409
    _drain(deployment.banks, kafka_settings)
    try:
        (feedback,) = reader.wait_for(
            lambda e: (
                isinstance(e.payload, LeadDecisionRecorded) and e.payload.lead_id == lead.lead_id
            )
        )
    finally:
        reader.close()
    assert isinstance(feedback.payload, LeadDecisionRecorded)
    assert feedback.payload.reason == "Chưa đủ 2 năm hoạt động"
    assert feedback.key == "coop-1"


def test_ranks_are_worked_out_when_read(
    deployment: Deployment,
    organisations: Organisations,
    kafka_settings: KafkaSettings,
    consumers: Consumers,
) -> None:
    """The events carry no rank: each service ranks live matches and leads when it serves them,
    and a rank moves when a match above it goes, with no event for the match itself."""
    run = uuid.uuid4().hex[:8]
    coop, business, bank = (
        organisations.new(Role.COOPERATIVE),
        organisations.new(Role.BUSINESS),
        organisations.new(Role.BANK),
    )
    cooperative = _created(
        deployment.cooperatives.client.post(
            "/v1/cooperatives", json=COOPERATIVE_EXAMPLE, headers=organisations.headers(coop)
        )
    )
    coop_id, product_id = cooperative["cooperative_id"], cooperative["products"][0]["product_id"]
    demand_id = _created(
        deployment.businesses.client.post(
            "/v1/demands", json=DEMAND_EXAMPLE, headers=organisations.headers(business)
        )
    )["demand_id"]

    def match(cooperative_id: str, score: float) -> SourcingMatchFound:
        return SourcingMatchFound(
            match_id=f"match-{run}-{cooperative_id}",
            demand_id=demand_id,
            business_id=business.organisation_id,
            cooperative_id=cooperative_id,
            product_id=product_id,
            score=score,
            components={"capacity": score},
            reasons=[REASON],
            model_version="test-1",
        )

    def retraction(match_id: str, kind: str = "sourcing") -> MatchRetracted:
        return MatchRetracted(
            match_id=match_id,
            match_kind="lead" if kind == "lead" else "sourcing",
            cooperative_id=coop_id,
            reason=Reason(code="profile_changed", en="Profile changed", vi="Hồ sơ đã đổi"),
        )

    ours, best, gone = (
        match(coop_id, 0.7),
        match(f"coop-{run}-y", 0.9),
        match(f"coop-{run}-z", 0.95),
    )
    _publish(
        kafka_settings,
        SOURCING_MATCHES.name,
        match(f"coop-{run}-x", 0.5),
        best,
        ours,
        gone,
        retraction(gone.match_id),
    )
    demand_matches = _get(
        deployment.businesses,
        f"/v1/demands/{demand_id}/matches",
        organisations.headers(business),
    )
    coop_matches = _get(
        deployment.cooperatives, f"/v1/cooperatives/{coop_id}/matches", organisations.headers(coop)
    )

    def ranked() -> list[tuple[float, int]]:
        return [(m["score"], m["rank"]) for m in demand_matches()]

    wait_until(lambda: ranked() == [(0.9, 1), (0.7, 2), (0.5, 3)], 60, "three ranked matches")
    wait_until(lambda: [m["rank"] for m in coop_matches()] == [2], 60, "the cooperative's rank")
    assert coop_matches()[0]["match_id"] == ours.match_id

    _publish(kafka_settings, SOURCING_MATCHES.name, retraction(best.match_id))
    wait_until(lambda: ranked() == [(0.7, 1), (0.5, 2)], 60, "the ranks after a retraction")
    wait_until(lambda: [m["rank"] for m in coop_matches()] == [1], 60, "the cooperative first")

    def lead(name: str, score: float) -> LoanLeadScored:
        return LoanLeadScored(
            lead_id=f"lead-{run}-{name}",
            credit_need_id=f"need-{run}",
            cooperative_id=coop_id,
            loan_product_id=f"loan-{run}",
            bank_id=bank.organisation_id,
            score=score,
            components={"amount_fit": score},
            reasons=[REASON],
            model_version="test-1",
        )

    leads = [lead("c", 0.5), lead("a", 0.9), lead("b", 0.7), lead("gone", 0.95)]
    _publish(kafka_settings, LOAN_LEADS.name, *leads, retraction(leads[-1].lead_id, "lead"))
    headers = organisations.headers(bank)
    bank_leads = _get(deployment.banks, "/v1/leads", headers)
    wait_until(
        lambda: (
            [(item["lead_id"], item["rank"]) for item in bank_leads()]
            == [(leads[1].lead_id, 1), (leads[2].lead_id, 2), (leads[0].lead_id, 3)]
        ),
        60,
        "three ranked leads",
    )
    one = deployment.banks.client.get(f"/v1/leads/{leads[2].lead_id}", headers=headers)
    assert one.status_code == 200, one.text
    assert (one.json()["rank"], one.json()["retracted"]) == (2, False)
    # A retracted lead is still served by id, and says so: it can no longer be decided.
    gone = deployment.banks.client.get(f"/v1/leads/{leads[-1].lead_id}", headers=headers)
    assert gone.status_code == 200, gone.text
    assert gone.json()["retracted"] is True
    assert gone.json()["retraction_reason"] == {
        "code": "profile_changed",
        "en": "Profile changed",
        "vi": "Hồ sơ đã đổi",
    }
    assert one.json()["retraction_reason"] is None
