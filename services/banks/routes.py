"""HTTP routes of the banks service, under /v1. Each decodes, checks the role, and hands over to
a handler (writes) or a view (reads)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from services.banks import handlers, views
from services.banks.schemas import (
    LeadDecisionCreate,
    LeadPublic,
    LoanProductCreate,
    LoanProductPublic,
    LoanProductUpdate,
)
from shared.identity.model import Caller, Role
from shared.web.auth import require_role
from shared.web.dependencies import SessionDep
from shared.web.errors import CHANGING, CREATING, LISTING, READING
from shared.web.idempotency import IdempotentWrite, PlainWrite
from shared.web.routing import SessionScopedRoute
from shared.web.schemas import IdInPath, LimitQuery, OffsetQuery, WithdrawnQuery

Bank = Annotated[Caller, Depends(require_role(Role.BANK))]
BankReader = Annotated[Caller, Depends(require_role(Role.BANK, Role.ORGANISER))]

products = APIRouter(
    prefix="/loan-products", tags=["loan products"], route_class=SessionScopedRoute
)
leads = APIRouter(prefix="/leads", tags=["leads"], route_class=SessionScopedRoute)


@products.post(
    "",
    status_code=201,
    response_model=LoanProductPublic,
    responses=CREATING,
    summary="Publish a loan product (sản phẩm cho vay)",
)
def publish_loan_product(
    body: LoanProductCreate,
    caller: Bank,
    write: IdempotentWrite,
) -> Response:
    return write.respond(201, lambda: handlers.publish(write.unit, caller, body))


@products.get(
    "",
    response_model=list[LoanProductPublic],
    responses=LISTING,
    summary="Your loan products; organisers: every bank's",
)
def list_loan_products(
    caller: BankReader, session: SessionDep, limit: LimitQuery = 50, offset: OffsetQuery = 0
) -> list[LoanProductPublic]:
    return views.loan_products(session, caller, limit, offset)


@products.get(
    "/{loan_product_id}",
    response_model=LoanProductPublic,
    responses=READING,
    summary="A loan product",
)
def read_loan_product(
    loan_product_id: IdInPath, caller: BankReader, session: SessionDep
) -> LoanProductPublic:
    return views.loan_product(session, caller, loan_product_id)


@products.put(
    "/{loan_product_id}",
    response_model=LoanProductPublic,
    responses=CHANGING,
    summary="Replace your active loan product",
)
def update_loan_product(
    loan_product_id: IdInPath,
    body: LoanProductUpdate,
    caller: Bank,
    write: PlainWrite,
) -> Response:
    return write.respond(200, lambda: handlers.update(write.unit, caller, loan_product_id, body))


@products.post(
    "/{loan_product_id}/withdraw",
    response_model=LoanProductPublic,
    responses=CHANGING,
    summary="Withdraw your loan product (ngừng cho vay)",
)
def withdraw_loan_product(
    loan_product_id: IdInPath,
    caller: Bank,
    write: IdempotentWrite,
) -> Response:
    return write.respond(200, lambda: handlers.withdraw(write.unit, caller, loan_product_id))


@leads.get(
    "",
    response_model=list[LeadPublic],
    responses=LISTING,
    summary="Your ranked loan leads, best first (from the scoring service)",
    description="The live leads, best first, each ranked among the bank's. With "
    "`withdrawn=true`: the leads the scoring service withdrew (the cooperative no longer meets "
    "a rule, the loan product was withdrawn…), newest first, each with `retraction_reason` "
    "(code, en, vi) and the rank its score would have.",
)
def list_leads(
    caller: BankReader,
    session: SessionDep,
    limit: LimitQuery = 20,
    withdrawn: WithdrawnQuery = False,
) -> list[LeadPublic]:
    if withdrawn:
        return views.withdrawn_leads(session, caller, limit)
    return views.leads(session, caller, limit)


@leads.get(
    "/{lead_id}",
    response_model=LeadPublic,
    responses=READING,
    summary="A loan lead",
)
def read_lead(lead_id: IdInPath, caller: BankReader, session: SessionDep) -> LeadPublic:
    return views.lead(session, caller, lead_id)


@leads.post(
    "/{lead_id}/decision",
    response_model=LeadPublic,
    responses=CHANGING,
    summary="Accept or reject a lead; the scoring service learns from it",
)
def decide_lead(
    lead_id: IdInPath,
    body: LeadDecisionCreate,
    caller: Bank,
    write: IdempotentWrite,
) -> Response:
    return write.respond(200, lambda: handlers.decide(write.unit, caller, lead_id, body))
