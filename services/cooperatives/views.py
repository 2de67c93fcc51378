"""The read side: what a caller may see of cooperatives, their needs and their matches."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.cooperatives import orm
from services.cooperatives.orm import CooperativeRow, CreditNeedRow
from services.cooperatives.repository import Cooperatives, to_credit_need, to_profile
from services.cooperatives.schemas import (
    CooperativePublic,
    CreditNeedPublic,
    DemandSummary,
    MatchForCooperative,
    WithdrawnMatchForCooperative,
)
from shared.identity.model import Caller
from shared.storage.directory import Directory, summary
from shared.storage.sourcing_matches import RankedMatch, SourcingMatches, WithdrawnMatch
from shared.web.access import check_readable, owner_scope, to_read

# Made once: each builds its statements when it is made.
_MATCHES = SourcingMatches(orm.sourcing_matches)
_KNOWN_DEMANDS = Directory(orm.known_demands)


def public(row: CooperativeRow) -> CooperativePublic:
    return CooperativePublic.model_validate(
        {
            **to_profile(row).model_dump(),
            "version": row.version,
            "registered_at": row.created_at,
            "updated_at": row.updated_at,
        }
    )


def credit_need(row: CreditNeedRow) -> CreditNeedPublic:
    return CreditNeedPublic.model_validate(
        {**to_credit_need(row).model_dump(), "submitted_at": row.submitted_at}
    )


def cooperative(session: Session, caller: Caller, cooperative_id: str) -> CooperativePublic:
    return public(to_read(Cooperatives(session), caller, cooperative_id))


def cooperatives(
    session: Session, caller: Caller, limit: int, offset: int
) -> list[CooperativePublic]:
    """Organisers see every cooperative; a cooperative sees its own."""
    rows = Cooperatives(session).page(owner_scope(caller), limit, offset)
    return [public(row) for row in rows]


def credit_needs(
    session: Session, caller: Caller, cooperative_id: str, limit: int, offset: int
) -> list[CreditNeedPublic]:
    repository = Cooperatives(session)
    check_readable(repository, caller, cooperative_id)
    return [credit_need(row) for row in repository.credit_needs(cooperative_id, limit, offset)]


def _as_proposed(found: dict[str, Any], demand: dict[str, Any] | None) -> dict[str, Any]:
    """A stored match's fields as the answers give them, live or withdrawn, with its demand."""
    return {
        "match_id": found["match_id"],
        "demand_id": found["demand_id"],
        "business_id": found["business_id"],
        "product_id": found["product_id"],
        "partners": found["partners"],
        "score": found["score"],
        "components": found["components"],
        "reasons": found["reasons"],
        "demand": summary(DemandSummary, demand),
    }


def _match(ranked: RankedMatch, demands: dict[str, dict[str, Any]]) -> MatchForCooperative:
    found = ranked.found
    # The stored payload's fields, checked once, by the answer's model (see the businesses
    # service's matches: the contract checked them when the match was stored).
    return MatchForCooperative.model_validate(
        {**_as_proposed(found, demands.get(found["demand_id"])), "rank": ranked.rank}
    )


def matches(
    session: Session, caller: Caller, cooperative_id: str, limit: int
) -> list[MatchForCooperative]:
    """The cooperative's live matches, best score first, each ranked among its demand's."""
    check_readable(Cooperatives(session), caller, cooperative_id)
    found = _MATCHES.for_cooperative(session, cooperative_id, limit)
    demands = _KNOWN_DEMANDS.get_many(session, (ranked.found["demand_id"] for ranked in found))
    return [_match(ranked, demands) for ranked in found]


def _withdrawn(
    match: WithdrawnMatch, demands: dict[str, dict[str, Any]]
) -> WithdrawnMatchForCooperative:
    found = match.found
    return WithdrawnMatchForCooperative.model_validate(
        {
            **_as_proposed(found, demands.get(found["demand_id"])),
            "retracted_at": match.retracted_at,
            "retraction_reason": match.reason,
        }
    )


def withdrawn_matches(
    session: Session, caller: Caller, cooperative_id: str, limit: int
) -> list[WithdrawnMatchForCooperative]:
    """The cooperative's matches the scoring service withdrew, newest first, with its reasons
    (readable by whoever may read its live matches)."""
    check_readable(Cooperatives(session), caller, cooperative_id)
    withdrawn = _MATCHES.withdrawn_for_cooperative(session, cooperative_id, limit)
    demands = _KNOWN_DEMANDS.get_many(session, (match.found["demand_id"] for match in withdrawn))
    return [_withdrawn(match, demands) for match in withdrawn]
