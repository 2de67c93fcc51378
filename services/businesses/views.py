"""The read side: what a caller may see of demands and of the cooperatives matched to them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.businesses import orm
from services.businesses.orm import DemandRow
from services.businesses.repository import Demands
from services.businesses.schemas import DemandPublic, MatchForDemand, WithdrawnMatchForDemand
from shared.identity.model import Caller
from shared.storage.directory import CooperativeSummary, Directory, summary
from shared.storage.sourcing_matches import RankedMatch, SourcingMatches, WithdrawnMatch
from shared.web.access import check_readable, owner_scope, to_read

# Made once: a SourcingMatches builds its statements when it is made, which cost a read
# more than its query.
_MATCHES = SourcingMatches(orm.sourcing_matches)
_KNOWN = Directory(orm.known_cooperatives)


def public(row: DemandRow) -> DemandPublic:
    # Straight from the row's columns: they were checked against the contract when written,
    # and its validators (text normalised, unit codes) give the same values a second time, so
    # a round trip through ``to_demand`` would only cost the time of validating twice.
    return DemandPublic.model_validate(
        {
            "demand_id": row.id,
            "business_id": row.organisation_id,
            "product": row.product,
            "description": row.description,
            "quantity": {"amount": row.quantity_amount, "unit": row.quantity_unit},
            "recurrence": row.recurrence,
            "required_certifications": row.required_certifications,
            "delivery_place": row.delivery_place,
            "delivery_from": row.delivery_from,
            "delivery_until": row.delivery_until,
            "price_min_vnd": row.price_min_vnd,
            "price_max_vnd": row.price_max_vnd,
            "status": row.status,
            "closed_reason": row.closed_reason,
            "version": row.version,
            "posted_at": row.created_at,
            "updated_at": row.updated_at,
        }
    )


def demand(session: Session, caller: Caller, demand_id: str) -> DemandPublic:
    return public(to_read(Demands(session), caller, demand_id))


def demands(session: Session, caller: Caller, limit: int, offset: int) -> list[DemandPublic]:
    """Organisers see every demand; a business sees its own."""
    return [public(row) for row in Demands(session).page(owner_scope(caller), limit, offset)]


def _product_name(profile: dict[str, Any] | None, product_id: str) -> str | None:
    for product in (profile or {}).get("products", []):
        if product.get("product_id") == product_id:
            name = product.get("name")
            return name if isinstance(name, str) else None
    return None


def _as_proposed(found: dict[str, Any], profile: dict[str, Any] | None) -> dict[str, Any]:
    """A stored match's fields as the answers give them, live or withdrawn, with its
    cooperative."""
    return {
        "match_id": found["match_id"],
        "cooperative_id": found["cooperative_id"],
        "product_id": found["product_id"],
        "partners": found["partners"],
        "score": found["score"],
        "components": found["components"],
        "reasons": found["reasons"],
        "product_name": _product_name(profile, found["product_id"]),
        "cooperative": summary(CooperativeSummary, profile),
    }


def _match(ranked: RankedMatch, profiles: dict[str, dict[str, Any]]) -> MatchForDemand:
    found = ranked.found
    # The stored payload's fields, validated once, by the answer's model: the contract checked
    # them when the match was stored, and its checks change no value, so checking them again
    # as a SourcingMatchFound would only cost the time.
    return MatchForDemand.model_validate(
        {**_as_proposed(found, profiles.get(found["cooperative_id"])), "rank": ranked.rank}
    )


def matches(session: Session, caller: Caller, demand_id: str, limit: int) -> list[MatchForDemand]:
    """The demand's live matches, best first, ranked as the contract says (score, then
    cooperative id, then product id)."""
    check_readable(Demands(session), caller, demand_id)
    found = _MATCHES.for_demand(session, demand_id, limit)
    profiles = _KNOWN.get_many(session, (ranked.found["cooperative_id"] for ranked in found))
    return [_match(ranked, profiles) for ranked in found]


def _withdrawn(
    match: WithdrawnMatch, profiles: dict[str, dict[str, Any]]
) -> WithdrawnMatchForDemand:
    found = match.found
    return WithdrawnMatchForDemand.model_validate(
        {
            **_as_proposed(found, profiles.get(found["cooperative_id"])),
            "retracted_at": match.retracted_at,
            "retraction_reason": match.reason,
        }
    )


def withdrawn_matches(
    session: Session, caller: Caller, demand_id: str, limit: int
) -> list[WithdrawnMatchForDemand]:
    """The demand's matches the scoring service withdrew, newest first, with its reasons
    (readable by whoever may read its live matches)."""
    check_readable(Demands(session), caller, demand_id)
    withdrawn = _MATCHES.withdrawn_for_demand(session, demand_id, limit)
    profiles = _KNOWN.get_many(session, (match.found["cooperative_id"] for match in withdrawn))
    return [_withdrawn(match, profiles) for match in withdrawn]
