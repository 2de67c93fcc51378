"""The read side: what a caller may see of demands and of the cooperatives matched to them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.businesses import orm
from services.businesses.orm import DemandRow
from services.businesses.repository import Demands, to_demand
from services.businesses.schemas import DemandPublic, MatchForDemand
from shared.identity.model import Caller
from shared.storage.directory import CooperativeSummary, Directory, summary
from shared.storage.sourcing_matches import RankedMatch, SourcingMatches
from shared.web.access import check_readable, owner_scope, to_read


def public(row: DemandRow) -> DemandPublic:
    return DemandPublic.model_validate(
        {
            **to_demand(row).model_dump(),
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


def _match(ranked: RankedMatch, profiles: dict[str, dict[str, Any]]) -> MatchForDemand:
    match, profile = ranked.match, profiles.get(ranked.match.cooperative_id)
    return MatchForDemand.model_validate(
        {
            **match.model_dump(exclude={"demand_id", "business_id", "model_version"}),
            "rank": ranked.rank,
            "product_name": _product_name(profile, match.product_id),
            "cooperative": summary(CooperativeSummary, profile),
        }
    )


def matches(session: Session, caller: Caller, demand_id: str, limit: int) -> list[MatchForDemand]:
    """The demand's live matches, best first, ranked as the contract says (score, then
    cooperative id, then product id)."""
    check_readable(Demands(session), caller, demand_id)
    found = SourcingMatches(orm.sourcing_matches).for_demand(session, demand_id, limit)
    known = Directory(orm.known_cooperatives)
    profiles = known.get_many(session, (ranked.match.cooperative_id for ranked in found))
    return [_match(ranked, profiles) for ranked in found]
