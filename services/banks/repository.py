"""Loading and saving loan products and leads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, func, or_, select
from sqlalchemy.orm import Session

from services.banks.orm import LeadRow, LoanProductRow
from services.banks.schemas import LoanProductStatus
from shared.contract.envelope import Envelope
from shared.contract.events import LeadDecision, LoanLeadScored, LoanProduct, MatchRetracted
from shared.contract.values import CooperativeKind, LoanPurpose
from shared.storage.latest_rows import Change, LatestRows
from shared.storage.records import OwnedRows
from shared.storage.types import utc_now


def to_loan_product(row: LoanProductRow) -> LoanProduct:
    return LoanProduct(
        loan_product_id=row.id,
        bank_id=row.organisation_id,
        name=row.name,
        amount_min_vnd=row.amount_min_vnd,
        amount_max_vnd=row.amount_max_vnd,
        max_term_months=row.max_term_months,
        interest_rate_pct_per_year=row.interest_rate_pct_per_year,
        eligible_sectors=row.eligible_sectors,
        eligible_kinds=[CooperativeKind(kind) for kind in row.eligible_kinds],
        min_years_operating=row.min_years_operating,
        min_members=row.min_members,
        collateral_required=row.collateral_required,
        eligible_districts=row.eligible_districts,
        purposes=[LoanPurpose(purpose) for purpose in row.purposes],
    )


def _write(row: LoanProductRow, product: LoanProduct) -> None:
    row.name = product.name
    row.amount_min_vnd = product.amount_min_vnd
    row.amount_max_vnd = product.amount_max_vnd
    row.max_term_months = product.max_term_months
    row.interest_rate_pct_per_year = product.interest_rate_pct_per_year
    row.eligible_sectors = list(product.eligible_sectors)
    row.eligible_kinds = [kind.value for kind in product.eligible_kinds]
    row.min_years_operating = product.min_years_operating
    row.min_members = product.min_members
    row.collateral_required = product.collateral_required
    row.eligible_districts = list(product.eligible_districts)
    row.purposes = [purpose.value for purpose in product.purposes]
    row.touch()


class LoanProducts(OwnedRows[LoanProductRow]):
    def __init__(self, session: Session) -> None:
        super().__init__(session, LoanProductRow, "loan product")

    def publish(self, product: LoanProduct) -> LoanProductRow:
        row = LoanProductRow(
            id=product.loan_product_id,
            organisation_id=product.bank_id,
            status=LoanProductStatus.ACTIVE.value,
        )
        _write(row, product)
        return self.add(row)

    def change(self, row: LoanProductRow, product: LoanProduct) -> LoanProductRow:
        _write(row, product)
        self.session.flush()
        return row

    def withdraw(self, row: LoanProductRow) -> LoanProductRow:
        row.status = LoanProductStatus.WITHDRAWN.value
        row.touch()
        self.session.flush()
        return row

    def names(self, identifiers: Iterable[str]) -> dict[str, str]:
        wanted = set(identifiers)
        if not wanted:
            return {}
        rows = self.session.execute(
            select(LoanProductRow.id, LoanProductRow.name).where(LoanProductRow.id.in_(wanted))
        )
        return {row.id: row.name for row in rows}


BEST_FIRST = (LeadRow.score.desc(), LeadRow.lead_id)
"""A bank's leads rank by score, best first, ties by lead id (the contract's order)."""


class Leads:
    """Leads as the scoring service sent them, with the bank's decisions."""

    kind = "lead"

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, lead_id: str, *, lock: bool = False) -> LeadRow | None:
        query = select(LeadRow).where(LeadRow.lead_id == lead_id)
        return self.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()

    def best(self, bank_id: str | None, limit: int) -> list[tuple[LeadRow, int]]:
        """Live leads, best first, each with its rank among its bank's live leads; every
        bank's when ``bank_id`` is None (organisers)."""
        live = LeadRow.retracted.is_(False)
        ranked = select(
            LeadRow.lead_id,
            func.row_number().over(partition_by=LeadRow.bank_id, order_by=BEST_FIRST).label("rank"),
        ).where(live)
        if bank_id is not None:
            ranked = ranked.where(LeadRow.bank_id == bank_id)
        ranks = ranked.subquery()
        query = (
            select(LeadRow, ranks.c.rank)
            .join(ranks, ranks.c.lead_id == LeadRow.lead_id)
            .order_by(*BEST_FIRST)
            .limit(limit)
        )
        return [(row, rank) for row, rank in self.session.execute(query).all()]

    def withdrawn(self, bank_id: str | None, limit: int) -> list[LeadRow]:
        """Retracted leads, newest first (then by id); every bank's when ``bank_id`` is None."""
        query = select(LeadRow).where(LeadRow.retracted.is_(True))
        if bank_id is not None:
            query = query.where(LeadRow.bank_id == bank_id)
        query = query.order_by(LeadRow.updated_at.desc(), LeadRow.lead_id).limit(limit)
        return list(self.session.execute(query).scalars())

    def rank(self, row: LeadRow) -> int:
        """1 + the bank's live leads ranked before this one: its rank if it is live, where its
        score would place it if it was retracted."""
        before = or_(
            LeadRow.score > row.score,
            and_(LeadRow.score == row.score, LeadRow.lead_id < row.lead_id),
        )
        query = (
            select(func.count())
            .select_from(LeadRow)
            .where(LeadRow.bank_id == row.bank_id, LeadRow.retracted.is_(False), before)
        )
        return 1 + self.session.execute(query).scalar_one()

    def decide(self, row: LeadRow, decision: LeadDecision, reason: str) -> LeadRow:
        row.decision = decision.value
        row.decision_reason = reason
        row.decided_at = utc_now()
        self.session.flush()
        return row


class LeadsProjection:
    """Stores ``LoanLeadScored`` by lead id and marks retracted leads, with the retraction's
    reason (cleared when the lead is scored again); keeps decisions."""

    def __init__(self) -> None:
        table = cast(Table, LeadRow.__table__)
        self._latest = LatestRows(
            table,
            table.c.lead_id,
            new_row={"decision": None, "decision_reason": "", "decided_at": None},
            reason="retraction_reason",
        )

    def apply_all(self, session: Session, envelopes: Sequence[Envelope[Any]]) -> None:
        """A batch of events, as ``apply`` one after the other would store them, set-based."""
        changes = []
        for envelope in envelopes:
            payload, at = envelope.payload, envelope.occurred_at
            if isinstance(payload, LoanLeadScored):
                changes.append(Change(payload.lead_id, at, self._values(payload)))
            elif isinstance(payload, MatchRetracted) and payload.match_kind == "lead":
                changes.append(
                    Change(payload.match_id, at, None, payload.reason.model_dump(mode="json"))
                )
        self._latest.write(session, changes)

    @staticmethod
    def _values(lead: LoanLeadScored) -> dict[str, Any]:
        return {
            "bank_id": lead.bank_id,
            "cooperative_id": lead.cooperative_id,
            "credit_need_id": lead.credit_need_id,
            "loan_product_id": lead.loan_product_id,
            "score": lead.score,
            "scored": lead.model_dump(mode="json"),
        }

    def apply(self, session: Session, envelope: Envelope[Any]) -> None:
        payload, at = envelope.payload, envelope.occurred_at
        if isinstance(payload, LoanLeadScored):
            self._scored(session, payload, at)
        elif isinstance(payload, MatchRetracted) and payload.match_kind == "lead":
            row = session.get(LeadRow, payload.match_id)
            if row is not None and row.updated_at <= at:
                row.retracted = True
                row.retraction_reason = payload.reason.model_dump(mode="json")
                row.updated_at = at

    @staticmethod
    def _scored(session: Session, lead: LoanLeadScored, at: datetime) -> None:
        row = session.get(LeadRow, lead.lead_id)
        if row is None:
            row = LeadRow(lead_id=lead.lead_id, decision=None, decision_reason="", decided_at=None)
            session.add(row)
        elif row.updated_at > at:
            return  # a replay of an older score
        row.bank_id = lead.bank_id
        row.cooperative_id = lead.cooperative_id
        row.credit_need_id = lead.credit_need_id
        row.loan_product_id = lead.loan_product_id
        row.score = lead.score
        row.scored = lead.model_dump(mode="json")
        row.retracted = False
        row.retraction_reason = None
        row.updated_at = at
