"""Why a match or lead was withdrawn, over HTTP, on SQLite and PostgreSQL: the reason the scoring
service gave is served by ``GET /v1/leads/{id}`` and by the cooperative's and the business's
``…/matches?withdrawn=true``, to their owners only; the live answers stay as they were.

The events are handed to each service's own consumer handler (the broker's part is in
test_read_models.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from services.businesses.schemas import DEMAND_EXAMPLE
from services.cooperatives.schemas import COOPERATIVE_EXAMPLE
from shared.contract.envelope import wrap
from shared.contract.events import EventPayload, LoanLeadScored
from shared.contract.values import Reason
from shared.identity.model import Caller, Role
from shared.storage.projections import ProjectingHandler
from tests.integration.ingest.harness import (
    Deployment,
    Organisations,
    RunningService,
    assert_error,
    created_body,
    json_of,
)
from tests.unit.ingest.read_models import EXPIRED, FEW_MEMBERS, REMOVED, found, retracted

AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
FIT = Reason(code="product_fit", en="Grows what they buy", vi="Trồng đúng sản phẩm cần mua")


def _handle(service: RunningService, *timed: tuple[EventPayload, int]) -> None:
    """The events, each at its minute, through the service's consumer handler as one poll."""
    assert service.spec.consumer is not None
    handler = service.spec.consumer.handler(service.database)
    topic = service.spec.consumer.topics[0].name
    events = [
        (
            topic,
            wrap(payload, producer="scoring", occurred_at=AT + timedelta(minutes=minute)),
        )
        for payload, minute in timed
    ]
    assert isinstance(handler, ProjectingHandler)
    handler.handle_batch(events)


def _get(service: RunningService, path: str, headers: dict[str, str]) -> Any:
    response = service.client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return json_of(response)


def _reason(reason: Reason) -> dict[str, str]:
    return reason.model_dump(mode="json")


def test_a_cooperative_and_a_business_list_their_withdrawn_matches_with_reasons(
    deployment: Deployment, organisations: Organisations
) -> None:
    tag = uuid.uuid4().hex[:8]
    owner, other_owner = organisations.new(Role.COOPERATIVE), organisations.new(Role.COOPERATIVE)
    business, other_business = organisations.new(Role.BUSINESS), organisations.new(Role.BUSINESS)

    def register(caller: Caller) -> tuple[str, str]:
        body = created_body(
            deployment.cooperatives.client.post(
                "/v1/cooperatives", json=COOPERATIVE_EXAMPLE, headers=organisations.headers(caller)
            )
        )
        return body["cooperative_id"], body["products"][0]["product_id"]

    def post_demand(caller: Caller) -> str:
        body = created_body(
            deployment.businesses.client.post(
                "/v1/demands", json=DEMAND_EXAMPLE, headers=organisations.headers(caller)
            )
        )
        demand_id: str = body["demand_id"]
        return demand_id

    (ours, product), (theirs, their_product) = register(owner), register(other_owner)
    demand, other_demand = post_demand(business), post_demand(other_business)
    b, ob = business.organisation_id, other_business.organisation_id
    live = found(f"m-{tag}-live", demand, ours, 0.9, product, business_id=b)
    lapsed = found(f"m-{tag}-lapsed", demand, ours, 0.8, product, business_id=b)
    removed = found(f"m-{tag}-removed", other_demand, ours, 0.7, product, business_id=ob)
    back = found(f"m-{tag}-back", other_demand, ours, 0.6, product, business_id=ob)
    their = found(f"m-{tag}-theirs", demand, theirs, 0.5, their_product, business_id=b)
    their_other = found(
        f"m-{tag}-theirs-2", other_demand, theirs, 0.5, their_product, business_id=ob
    )
    poll: list[tuple[EventPayload, int]] = [
        (live, 1),
        (lapsed, 1),
        (removed, 1),
        (back, 1),
        (their, 1),
        (their_other, 1),
        (retracted(lapsed.match_id, cooperative_id=ours, reason=EXPIRED), 2),
        (retracted(removed.match_id, cooperative_id=ours, reason=REMOVED), 4),
        # found -> retracted -> found again: live, no reason
        (retracted(back.match_id, cooperative_id=ours, reason=REMOVED), 2),
        (found(back.match_id, other_demand, ours, 0.65, product, business_id=ob), 3),
        (retracted(their.match_id, cooperative_id=theirs, reason=FEW_MEMBERS), 5),
        (retracted(their_other.match_id, cooperative_id=theirs, reason=FEW_MEMBERS), 6),
    ]
    for service in (deployment.cooperatives, deployment.businesses):
        _handle(service, *poll)

    headers, other_headers = organisations.headers(owner), organisations.headers(other_owner)
    coop = deployment.cooperatives
    withdrawn = _get(coop, f"/v1/cooperatives/{ours}/matches?withdrawn=true", headers)
    assert [(m["match_id"], m["retraction_reason"]) for m in withdrawn] == [
        (removed.match_id, _reason(REMOVED)),  # newest first
        (lapsed.match_id, _reason(EXPIRED)),
    ]
    assert withdrawn[1]["retracted_at"] == "2026-03-01T08:02:00Z"
    assert withdrawn[1]["demand_id"] == demand and withdrawn[1]["score"] == 0.8
    assert "rank" not in withdrawn[1]
    assert [
        m["match_id"]
        for m in _get(coop, f"/v1/cooperatives/{ours}/matches?withdrawn=true&limit=1", headers)
    ] == [removed.match_id]
    # The live answer is what it was: the live matches, ranked, with no withdrawal fields.
    live_answer = _get(coop, f"/v1/cooperatives/{ours}/matches", headers)
    assert sorted(m["match_id"] for m in live_answer) == sorted([live.match_id, back.match_id])
    assert all("retraction_reason" not in m and "rank" in m for m in live_answer)
    assert _get(coop, f"/v1/cooperatives/{ours}/matches?withdrawn=false", headers) == live_answer
    # Each cooperative sees its own withdrawn matches only.
    assert [
        m["match_id"]
        for m in _get(coop, f"/v1/cooperatives/{theirs}/matches?withdrawn=true", other_headers)
    ] == [their_other.match_id, their.match_id]
    for intruder in (other_owner, organisations.new(Role.COOPERATIVE)):
        response = coop.client.get(
            f"/v1/cooperatives/{ours}/matches?withdrawn=true",
            headers=organisations.headers(intruder),
        )
        assert_error(response, 404, "not_found")
        assert EXPIRED.en not in response.text
    organiser = organisations.headers(organisations.new(Role.ORGANISER))
    assert len(_get(coop, f"/v1/cooperatives/{ours}/matches?withdrawn=true", organiser)) == 2
    assert_error(
        coop.client.get(f"/v1/cooperatives/{ours}/matches?withdrawn=maybe", headers=headers),
        422,
        "validation_failed",
    )

    shop = deployment.businesses
    business_headers = organisations.headers(business)
    for_demand = _get(shop, f"/v1/demands/{demand}/matches?withdrawn=true", business_headers)
    assert [(m["match_id"], m["retraction_reason"]) for m in for_demand] == [
        (their.match_id, _reason(FEW_MEMBERS)),
        (lapsed.match_id, _reason(EXPIRED)),
    ]
    assert for_demand[1]["cooperative_id"] == ours and "rank" not in for_demand[1]
    assert [
        m["match_id"] for m in _get(shop, f"/v1/demands/{demand}/matches", business_headers)
    ] == [live.match_id]
    assert [
        m["match_id"]
        for m in _get(
            shop,
            f"/v1/demands/{other_demand}/matches?withdrawn=true",
            organisations.headers(other_business),
        )
    ] == [their_other.match_id, removed.match_id]
    for intruder in (other_business, organisations.new(Role.BUSINESS)):
        response = shop.client.get(
            f"/v1/demands/{demand}/matches?withdrawn=true", headers=organisations.headers(intruder)
        )
        assert_error(response, 404, "not_found")
        assert FEW_MEMBERS.en not in response.text

    # The same poll again changes nothing.
    before = (
        _get(coop, f"/v1/cooperatives/{ours}/matches?withdrawn=true", headers),
        _get(coop, f"/v1/cooperatives/{ours}/matches", headers),
        _get(shop, f"/v1/demands/{demand}/matches?withdrawn=true", business_headers),
        _get(shop, f"/v1/demands/{demand}/matches", business_headers),
    )
    for service in (deployment.cooperatives, deployment.businesses):
        _handle(service, *poll)
    assert before == (
        _get(coop, f"/v1/cooperatives/{ours}/matches?withdrawn=true", headers),
        _get(coop, f"/v1/cooperatives/{ours}/matches", headers),
        _get(shop, f"/v1/demands/{demand}/matches?withdrawn=true", business_headers),
        _get(shop, f"/v1/demands/{demand}/matches", business_headers),
    )

    # Found again later: the match leaves the withdrawn list and is live, without a reason.
    for service in (deployment.cooperatives, deployment.businesses):
        _handle(service, (found(lapsed.match_id, demand, ours, 0.85, product, business_id=b), 10))
    assert [
        m["match_id"]
        for m in _get(coop, f"/v1/cooperatives/{ours}/matches?withdrawn=true", headers)
    ] == [removed.match_id]
    assert lapsed.match_id in {
        m["match_id"] for m in _get(coop, f"/v1/cooperatives/{ours}/matches", headers)
    }


def test_a_lead_read_by_its_id_says_why_it_was_retracted(
    deployment: Deployment, organisations: Organisations
) -> None:
    bank, other_bank = organisations.new(Role.BANK), organisations.new(Role.BANK)
    lead = LoanLeadScored(
        lead_id=f"lead-{uuid.uuid4().hex}",
        credit_need_id="need-1",
        cooperative_id="coop-1",
        loan_product_id="loan-1",
        bank_id=bank.organisation_id,
        score=0.7,
        components={"amount_fit": 0.7},
        reasons=[FIT],
        model_version="test",
    )
    headers = organisations.headers(bank)
    path = f"/v1/leads/{lead.lead_id}"
    banks = deployment.banks

    _handle(banks, (lead, 1))
    answer = _get(banks, path, headers)
    assert (answer["retracted"], answer["retraction_reason"]) == (False, None)
    listed = _get(banks, "/v1/leads", headers)
    assert [(item["lead_id"], item["retraction_reason"]) for item in listed] == [
        (lead.lead_id, None)
    ]

    retraction = retracted(lead.lead_id, "lead", "coop-1", reason=FEW_MEMBERS)
    _handle(banks, (retraction, 2))
    answer = _get(banks, path, headers)
    assert (answer["retracted"], answer["retraction_reason"]) == (True, _reason(FEW_MEMBERS))
    assert _get(banks, "/v1/leads", headers) == []
    # The bank's withdrawn leads: this one, with its reason, as reading it by its id shows it.
    assert _get(banks, "/v1/leads?withdrawn=true", headers) == [answer]
    _handle(banks, (retraction, 2), (lead, 1))  # replayed: nothing changes
    assert _get(banks, path, headers) == answer
    response = banks.client.get(path, headers=organisations.headers(other_bank))
    assert_error(response, 404, "not_found")
    assert FEW_MEMBERS.en not in response.text
    # Another bank's withdrawn leads never show it; an organiser's do.
    assert (
        lead.lead_id
        not in banks.client.get(
            "/v1/leads?withdrawn=true", headers=organisations.headers(other_bank)
        ).text
    )
    organiser = organisations.headers(organisations.new(Role.ORGANISER))
    assert lead.lead_id in {
        item["lead_id"] for item in _get(banks, "/v1/leads?withdrawn=true&limit=200", organiser)
    }
    decided = banks.client.post(f"{path}/decision", json={"decision": "accepted"}, headers=headers)
    assert_error(decided, 409, "lead_retracted")

    # Scored -> retracted -> scored again: live, and the reason is gone.
    _handle(banks, (lead.model_copy(update={"score": 0.75}), 3))
    answer = _get(banks, path, headers)
    assert (answer["retracted"], answer["retraction_reason"], answer["score"]) == (
        False,
        None,
        0.75,
    )
    assert _get(banks, "/v1/leads?withdrawn=true", headers) == []
