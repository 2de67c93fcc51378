"""The write side: publish, change and withdraw loan products; decide on leads.

Each handler changes rows and adds the matching event to the outbox; the caller commits both
in one transaction (``shared.web.idempotency.Write``).
"""

from __future__ import annotations

from typing import TypeVar

from services.banks import views
from services.banks.repository import Leads, LoanProducts
from services.banks.schemas import (
    LeadDecisionCreate,
    LeadPublic,
    LoanProductIn,
    LoanProductPublic,
    LoanProductStatus,
)
from shared.contract.events import (
    LeadDecisionRecorded,
    LoanProduct,
    LoanProductPublished,
    LoanProductUpdated,
    LoanProductWithdrawn,
)
from shared.identity.model import Caller
from shared.outbox.unit_of_work import UnitOfWork
from shared.storage.ids import new_id
from shared.topics import FEEDBACK, LOAN_PRODUCTS
from shared.web.access import to_change
from shared.web.errors import Conflict

L = TypeVar("L", bound=LoanProduct)


def _product(event: type[L], loan_product_id: str, bank_id: str, data: LoanProductIn) -> L:
    return event.model_validate(
        {**data.model_dump(), "loan_product_id": loan_product_id, "bank_id": bank_id}
    )


def publish(unit: UnitOfWork, caller: Caller, data: LoanProductIn) -> LoanProductPublic:
    event = _product(LoanProductPublished, new_id("loan"), caller.organisation_id, data)
    row = LoanProducts(unit.session).publish(event)
    unit.outbox.add(LOAN_PRODUCTS, event)
    return views.public(row)


def update(
    unit: UnitOfWork, caller: Caller, loan_product_id: str, data: LoanProductIn
) -> LoanProductPublic:
    products = LoanProducts(unit.session)
    row = to_change(products, caller, loan_product_id)
    if row.status == LoanProductStatus.WITHDRAWN:
        raise Conflict(
            f"loan product {loan_product_id} is withdrawn; publish a new one", code="withdrawn"
        )
    event = _product(LoanProductUpdated, row.id, row.organisation_id, data)
    products.change(row, event)
    unit.outbox.add(LOAN_PRODUCTS, event)
    return views.public(row)


def withdraw(unit: UnitOfWork, caller: Caller, loan_product_id: str) -> LoanProductPublic:
    products = LoanProducts(unit.session)
    row = to_change(products, caller, loan_product_id)
    if row.status == LoanProductStatus.WITHDRAWN:
        raise Conflict(f"loan product {loan_product_id} is withdrawn already", code="withdrawn")
    products.withdraw(row)
    unit.outbox.add(
        LOAN_PRODUCTS, LoanProductWithdrawn(loan_product_id=row.id, bank_id=row.organisation_id)
    )
    return views.public(row)


def decide(unit: UnitOfWork, caller: Caller, lead_id: str, data: LeadDecisionCreate) -> LeadPublic:
    leads = Leads(unit.session)
    row = to_change(leads, caller, lead_id)
    if row.decision is not None:
        raise Conflict(f"lead {lead_id} was {row.decision} already", code="lead_decided")
    if row.retracted:
        raise Conflict(
            f"lead {lead_id} was retracted by the scoring service", code="lead_retracted"
        )
    leads.decide(row, data.decision, data.reason)
    unit.outbox.add(
        FEEDBACK,
        LeadDecisionRecorded(
            lead_id=row.lead_id,
            bank_id=row.bank_id,
            cooperative_id=row.cooperative_id,
            credit_need_id=row.credit_need_id,
            loan_product_id=row.loan_product_id,
            decision=data.decision,
            reason=data.reason,
        ),
    )
    return views.lead_public(unit.session, row)
