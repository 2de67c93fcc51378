"""What the read-model tests share: a service's tables migrated on a SQLite file of its own, and
the scoring service's events with the times they happened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.contract.envelope import Envelope, wrap
from shared.contract.events import EventPayload, LoanLeadScored, MatchRetracted, SourcingMatchFound
from shared.contract.values import Reason
from shared.storage import migrations
from shared.storage.database import Database, open_database
from shared.topics import LOAN_LEADS, SOURCING_MATCHES
from shared.web.service import ServiceSpec

FIT = Reason(code="product_fit", en="Grows what they buy", vi="Trồng đúng sản phẩm cần mua")
GONE = Reason(code="demand_closed", en="The demand closed", vi="Nhu cầu đã đóng")
# Retraction reasons as the scoring service words them.
EXPIRED = Reason(
    code="certificate_expired",
    en="The organic certification expires on 2027-03-01, before delivery ends on 2027-06-30",
    vi="Chứng nhận hữu cơ hết hạn ngày 01/03/2027, trước khi kết thúc giao hàng ngày 30/06/2027",
)
REMOVED = Reason(
    code="product_removed",
    en="The cooperative no longer offers this product",
    vi="Hợp tác xã không còn cung cấp sản phẩm này",
)
FEW_MEMBERS = Reason(
    code="too_few_members",
    en="Has 5 members; at least 7 are required",
    vi="Có 5 thành viên; yêu cầu tối thiểu 7",
)
START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def migrated(spec: ServiceSpec, folder: Path) -> Database:
    url = f"sqlite:///{folder / spec.name}.sqlite3"
    migrations.upgrade(spec.name, spec.migrations, url)
    return open_database(url)


def event(payload: EventPayload, minute: int) -> tuple[str, Envelope[EventPayload]]:
    """The event as the consumer hands it over: its topic and its envelope."""
    kind = payload.match_kind if isinstance(payload, MatchRetracted) else None
    topic = (
        LOAN_LEADS if isinstance(payload, LoanLeadScored) or kind == "lead" else SOURCING_MATCHES
    )
    return topic.name, wrap(
        payload, producer="scoring", occurred_at=START + timedelta(minutes=minute)
    )


def found(
    match_id: str,
    demand_id: str,
    cooperative_id: str,
    score: float,
    product_id: str = "prod-1",
    *,
    business_id: str = "org-business-1",
) -> SourcingMatchFound:
    return SourcingMatchFound(
        match_id=match_id,
        demand_id=demand_id,
        business_id=business_id,
        cooperative_id=cooperative_id,
        product_id=product_id,
        score=score,
        components={"product": score},
        reasons=[FIT],
        model_version="test",
    )


def scored(
    lead_id: str, bank_id: str, score: float, cooperative_id: str = "coop-1"
) -> LoanLeadScored:
    return LoanLeadScored(
        lead_id=lead_id,
        credit_need_id=f"need-{lead_id}",
        cooperative_id=cooperative_id,
        loan_product_id="loan-1",
        bank_id=bank_id,
        score=score,
        components={"amount_fit": score},
        reasons=[FIT],
        model_version="test",
    )


def retracted(
    match_id: str, kind: str = "sourcing", cooperative_id: str = "coop-1", *, reason: Reason = GONE
) -> MatchRetracted:
    return MatchRetracted(
        match_id=match_id,
        match_kind="lead" if kind == "lead" else "sourcing",
        cooperative_id=cooperative_id,
        reason=reason,
    )
