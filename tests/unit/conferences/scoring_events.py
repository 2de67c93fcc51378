"""Events as the scoring service and the cooperatives service publish them, for the
conferences service's consumer to store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.contract.envelope import Envelope, wrap
from shared.contract.events import (
    CooperativeRegistered,
    EventPayload,
    LoanLeadScored,
    MatchRetracted,
    SourcingMatchFound,
)
from shared.contract.values import CooperativeKind, Reason

FIT = Reason(code="product_fit", en="Grows the rice they buy", vi="Trồng loại gạo họ cần mua")
NEED = Reason(code="loan_fits", en="The loan fits the need", vi="Khoản vay phù hợp nhu cầu")
START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def envelope(payload: EventPayload, minutes: int = 0) -> Envelope[EventPayload]:
    return wrap(payload, producer="test", occurred_at=at(minutes))


def cooperative(
    cooperative_id: str,
    organisation_id: str,
    name: str,
    district: str = "le-thuy",
    sector: str = "agriculture",
) -> CooperativeRegistered:
    return CooperativeRegistered(
        cooperative_id=cooperative_id,
        organisation_id=organisation_id,
        name=name,
        kind=CooperativeKind.HTX,
        sector=sector,
        district=district,
        commune="Sen Thủy",
        founded_year=2015,
        member_count=120,
    )


def match(
    match_id: str, cooperative_id: str, business_id: str, score: float, reason: Reason = FIT
) -> SourcingMatchFound:
    return SourcingMatchFound(
        match_id=match_id,
        demand_id=f"demand-{match_id}",
        business_id=business_id,
        cooperative_id=cooperative_id,
        product_id="prod-1",
        score=score,
        components={"product": score},
        reasons=[reason],
        model_version="test",
    )


def lead(
    lead_id: str, cooperative_id: str, bank_id: str, score: float, reason: Reason = NEED
) -> LoanLeadScored:
    return LoanLeadScored(
        lead_id=lead_id,
        credit_need_id=f"need-{lead_id}",
        cooperative_id=cooperative_id,
        loan_product_id="loan-1",
        bank_id=bank_id,
        score=score,
        components={"need": score},
        reasons=[reason],
        model_version="test",
    )


def retracted(match_id: str, cooperative_id: str, kind: str = "sourcing") -> MatchRetracted:
    return MatchRetracted(
        match_id=match_id,
        match_kind="lead" if kind == "lead" else "sourcing",
        cooperative_id=cooperative_id,
        reason=Reason(code="closed", en="The demand closed", vi="Nhu cầu đã đóng"),
    )
