"""The read side: a bank's loan products and its ranked leads."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.banks import orm
from services.banks.orm import LeadRow, LoanProductRow
from services.banks.repository import Leads, LoanProducts, to_loan_product
from services.banks.schemas import CreditNeedSummary, LeadPublic, LoanProductPublic
from shared.contract.events import LoanLeadScored
from shared.identity.model import Caller
from shared.storage.directory import CooperativeSummary, Directory, summary
from shared.web.access import owner_scope, to_read

# Made once: each builds its lookup when it is made.
_KNOWN_COOPERATIVES = Directory(orm.known_cooperatives)
_KNOWN_CREDIT_NEEDS = Directory(orm.known_credit_needs)


def public(row: LoanProductRow) -> LoanProductPublic:
    return LoanProductPublic.model_validate(
        {
            **to_loan_product(row).model_dump(),
            "status": row.status,
            "version": row.version,
            "published_at": row.created_at,
            "updated_at": row.updated_at,
        }
    )


def loan_product(session: Session, caller: Caller, loan_product_id: str) -> LoanProductPublic:
    return public(to_read(LoanProducts(session), caller, loan_product_id))


def loan_products(
    session: Session, caller: Caller, limit: int, offset: int
) -> list[LoanProductPublic]:
    """Organisers see every product; a bank sees its own."""
    return [public(row) for row in LoanProducts(session).page(owner_scope(caller), limit, offset)]


def _leads_public(session: Session, ranked: list[tuple[LeadRow, int]]) -> list[LeadPublic]:
    rows = [row for row, _rank in ranked]
    products = LoanProducts(session).names(row.loan_product_id for row in rows)
    profiles = _KNOWN_COOPERATIVES.get_many(session, (r.cooperative_id for r in rows))
    needs = _KNOWN_CREDIT_NEEDS.get_many(session, (r.credit_need_id for r in rows))
    return [
        LeadPublic.model_validate(
            {
                **LoanLeadScored.model_validate(row.scored).model_dump(
                    exclude={"bank_id", "model_version"}
                ),
                "rank": rank,
                "loan_product_name": products.get(row.loan_product_id),
                "cooperative": summary(CooperativeSummary, profiles.get(row.cooperative_id)),
                "credit_need": summary(CreditNeedSummary, needs.get(row.credit_need_id)),
                "retracted": row.retracted,
                "retraction_reason": row.retraction_reason,
                "decision": row.decision,
                "decision_reason": row.decision_reason,
                "decided_at": row.decided_at,
            }
        )
        for row, rank in ranked
    ]


def lead_public(session: Session, row: LeadRow) -> LeadPublic:
    return _leads_public(session, [(row, Leads(session).rank(row))])[0]


def leads(session: Session, caller: Caller, limit: int) -> list[LeadPublic]:
    """A bank's live leads, best first, ranked among the bank's; organisers see every bank's
    (each ranked among its own bank's)."""
    return _leads_public(session, Leads(session).best(owner_scope(caller), limit))


def withdrawn_leads(session: Session, caller: Caller, limit: int) -> list[LeadPublic]:
    """A bank's withdrawn leads, newest first, each with the rank its score would have among
    the bank's live leads; organisers see every bank's."""
    repository = Leads(session)
    rows = repository.withdrawn(owner_scope(caller), limit)
    return _leads_public(session, [(row, repository.rank(row)) for row in rows])


def lead(session: Session, caller: Caller, lead_id: str) -> LeadPublic:
    return lead_public(session, to_read(Leads(session), caller, lead_id))
