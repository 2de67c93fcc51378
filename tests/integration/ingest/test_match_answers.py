"""The matches GETs answer with the very bytes they did when every stored match was validated as
a ``SourcingMatchFound`` on each read: now the stored payload goes to the answer's model as it is
(the contract checked it when it was stored). On SQLite (JSON text) and PostgreSQL (JSONB)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter

from services.businesses import orm as businesses_orm
from services.businesses.schemas import DEMAND_EXAMPLE, MatchForDemand
from services.cooperatives import orm as cooperatives_orm
from services.cooperatives.schemas import COOPERATIVE_EXAMPLE, DemandSummary, MatchForCooperative
from shared.contract.envelope import Envelope, wrap
from shared.contract.events import (
    CooperativeRegistered,
    EventPayload,
    MatchRetracted,
    SourcingDemandPosted,
    SourcingMatchFound,
)
from shared.contract.values import Reason
from shared.identity.model import Role
from shared.storage.directory import (
    CooperativeSummary,
    Directory,
    KnownCooperatives,
    KnownDemands,
    summary,
)
from shared.storage.sourcing_matches import RankedMatch, SourcingMatches
from tests.integration.ingest.harness import Deployment, Organisations, created_body

AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
REASONS = [
    Reason(code="product_fit", en="Grows the product they buy", vi="Trồng đúng sản phẩm cần mua"),
    Reason(code="near", en="Close to the delivery place", vi="Gần nơi giao hàng  (Đồng Hới)"),
]
# Scores whose JSON text is not short: a third, a sum with a rounding error, tiny, the bounds.
SCORES = [1 / 3, 0.1 + 0.2, 1e-7, 1.0, 0.0, 0.5, 0.5, 0.875]


def _envelope(payload: EventPayload, minute: int) -> Envelope[Any]:
    return wrap(payload, producer="test", occurred_at=AT + timedelta(minutes=minute))


def _previous_for_demand(
    ranked: RankedMatch, profiles: dict[str, dict[str, Any]]
) -> MatchForDemand:
    """The businesses service's match as it was made before: the payload validated first."""
    match = SourcingMatchFound.model_validate(ranked.found)
    profile = profiles.get(match.cooperative_id)
    product_name = None
    for product in (profile or {}).get("products", []):
        if product.get("product_id") == match.product_id:
            product_name = product.get("name")
            break
    return MatchForDemand.model_validate(
        {
            "match_id": match.match_id,
            "cooperative_id": match.cooperative_id,
            "product_id": match.product_id,
            "partners": match.partners,
            "score": match.score,
            "components": match.components,
            "reasons": match.reasons,
            "rank": ranked.rank,
            "product_name": product_name,
            "cooperative": summary(CooperativeSummary, profile),
        }
    )


def _previous_for_cooperative(
    ranked: RankedMatch, demands: dict[str, dict[str, Any]]
) -> MatchForCooperative:
    match = SourcingMatchFound.model_validate(ranked.found)
    return MatchForCooperative.model_validate(
        {
            **match.model_dump(exclude={"cooperative_id", "model_version"}),
            "rank": ranked.rank,
            "demand": summary(DemandSummary, demands.get(match.demand_id)),
        }
    )


def test_the_matches_gets_answer_the_bytes_of_the_previous_way(
    deployment: Deployment, organisations: Organisations
) -> None:
    business = organisations.new(Role.BUSINESS)
    coop_owner = organisations.new(Role.COOPERATIVE)
    demand = created_body(
        deployment.businesses.client.post(
            "/v1/demands",
            json=DEMAND_EXAMPLE,
            headers=organisations.headers(business, **{"Idempotency-Key": uuid.uuid4().hex}),
        )
    )
    ours = created_body(
        deployment.cooperatives.client.post(
            "/v1/cooperatives", json=COOPERATIVE_EXAMPLE, headers=organisations.headers(coop_owner)
        )
    )
    demand_id, ours_id = demand["demand_id"], ours["cooperative_id"]
    product_id = ours["products"][0]["product_id"]
    tag = uuid.uuid4().hex[:8]
    # Ours, one other cooperative with a known profile, and one not heard of yet.
    cooperatives = [ours_id, f"coop-known-{tag}", f"coop-unknown-{tag}"]
    matches = [
        SourcingMatchFound(
            match_id=f"m-{tag}-{i}",
            demand_id=demand_id,
            business_id=business.organisation_id,
            cooperative_id=cooperatives[i % 3],
            product_id=product_id if i % 2 == 0 else f"p-{i}",
            partners=[cooperatives[(i + 1) % 3]] if i % 3 == 0 else [],
            score=score,
            components={"product": score, "distance": 1 - score, "capacity": 2 / 3},
            reasons=REASONS[: 1 + i % 2],
            model_version="test-1",
        )
        for i, score in enumerate(SCORES)
    ]
    gone = MatchRetracted(
        match_id=matches[3].match_id,
        match_kind="sourcing",
        cooperative_id=matches[3].cooperative_id,
        reason=REASONS[0],
    )
    events = [_envelope(match, i) for i, match in enumerate(matches[1:])] + [_envelope(gone, 30)]
    posted = SourcingDemandPosted.model_validate(
        {**DEMAND_EXAMPLE, "demand_id": demand_id, "business_id": business.organisation_id}
    )
    for service, orm in (
        (deployment.businesses, businesses_orm),
        (deployment.cooperatives, cooperatives_orm),
    ):
        stored = SourcingMatches(orm.sourcing_matches)
        with service.database.sessions() as session:
            # One stored as a JSON document (one at a time), the others as pydantic's JSON text.
            stored.apply(session, _envelope(matches[0], 0))
            stored.apply_all(session, events)
            session.commit()
    with deployment.businesses.database.sessions() as session:
        known = KnownCooperatives(businesses_orm.known_cooperatives)
        for cooperative_id in cooperatives[:2]:
            registered = CooperativeRegistered.model_validate(
                {
                    **COOPERATIVE_EXAMPLE,
                    "products": ours["products"],
                    "cooperative_id": cooperative_id,
                }
                | {"organisation_id": coop_owner.organisation_id}
            )
            known.apply(session, _envelope(registered, 0))
        session.commit()
    with deployment.cooperatives.database.sessions() as session:
        KnownDemands(cooperatives_orm.known_demands).apply(session, _envelope(posted, 0))
        session.commit()

    demand_answer = deployment.businesses.client.get(
        f"/v1/demands/{demand_id}/matches", headers=organisations.headers(business)
    )
    coop_answer = deployment.cooperatives.client.get(
        f"/v1/cooperatives/{ours_id}/matches", headers=organisations.headers(coop_owner)
    )
    assert demand_answer.status_code == 200 and coop_answer.status_code == 200

    with deployment.businesses.database.sessions() as session:
        ranked = SourcingMatches(businesses_orm.sourcing_matches).for_demand(session, demand_id, 20)
        profiles = Directory(businesses_orm.known_cooperatives).get_many(session, cooperatives)
        previous_demand = [_previous_for_demand(item, profiles) for item in ranked]
    with deployment.cooperatives.database.sessions() as session:
        ranked = SourcingMatches(cooperatives_orm.sourcing_matches).for_cooperative(
            session, ours_id, 20
        )
        demands = Directory(cooperatives_orm.known_demands).get_many(session, [demand_id])
        previous_coop = [_previous_for_cooperative(item, demands) for item in ranked]

    # Every live match (3 is retracted), some with a product name and a profile, some not.
    answered = {m["match_id"][-1]: m for m in demand_answer.json()}
    assert sorted(answered) == list("0124567")
    assert [m["rank"] for m in demand_answer.json()] == list(range(1, 8))
    assert {i for i, m in answered.items() if m["product_name"] is not None} == set("046")
    assert {i for i, m in answered.items() if m["cooperative"] is None} == set("25")
    assert sorted(m["match_id"][-1] for m in coop_answer.json()) == list("06")
    assert demand_answer.content == TypeAdapter(list[MatchForDemand]).dump_json(
        previous_demand, by_alias=True
    )
    assert coop_answer.content == TypeAdapter(list[MatchForCooperative]).dump_json(
        previous_coop, by_alias=True
    )
