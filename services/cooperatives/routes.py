"""HTTP routes of the cooperatives service, under /v1. Each decodes, checks the role, and hands
over to a handler (writes) or a view (reads)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from services.cooperatives import handlers, views
from services.cooperatives.schemas import (
    CooperativeCreate,
    CooperativeImport,
    CooperativePublic,
    CooperativeUpdate,
    CreditNeedCreate,
    CreditNeedPublic,
    ImportPublic,
    MatchForCooperative,
    WithdrawnMatchForCooperative,
)
from shared.identity.model import Caller, Role
from shared.web.auth import Organiser, require_role
from shared.web.dependencies import SessionDep
from shared.web.errors import CHANGING, CREATING, LISTING, READING
from shared.web.idempotency import IdempotentWrite, PlainWrite
from shared.web.routing import SessionScopedRoute
from shared.web.schemas import IdInPath, LimitQuery, OffsetQuery, WithdrawnQuery

CooperativeMember = Annotated[Caller, Depends(require_role(Role.COOPERATIVE))]
CooperativeReader = Annotated[Caller, Depends(require_role(Role.COOPERATIVE, Role.ORGANISER))]

router = APIRouter(prefix="/cooperatives", tags=["cooperatives"], route_class=SessionScopedRoute)
imports = APIRouter(prefix="/cooperative-imports", tags=["imports"], route_class=SessionScopedRoute)


@router.post(
    "",
    status_code=201,
    response_model=CooperativePublic,
    responses=CREATING,
    summary="Register your cooperative (đăng ký hợp tác xã)",
)
def register_cooperative(
    body: CooperativeCreate,
    caller: CooperativeMember,
    write: IdempotentWrite,
) -> Response:
    return write.respond(201, lambda: handlers.register(write.unit, caller, body))


@router.get(
    "",
    response_model=list[CooperativePublic],
    responses=LISTING,
    summary="Your cooperative; organisers: every cooperative",
)
def list_cooperatives(
    caller: CooperativeReader, session: SessionDep, limit: LimitQuery = 50, offset: OffsetQuery = 0
) -> list[CooperativePublic]:
    return views.cooperatives(session, caller, limit, offset)


@router.get(
    "/{cooperative_id}",
    response_model=CooperativePublic,
    responses=READING,
    summary="A cooperative's profile",
)
def read_cooperative(
    cooperative_id: IdInPath, caller: CooperativeReader, session: SessionDep
) -> CooperativePublic:
    return views.cooperative(session, caller, cooperative_id)


@router.put(
    "/{cooperative_id}",
    response_model=CooperativePublic,
    responses=CHANGING,
    summary="Replace your cooperative's profile (cập nhật hồ sơ)",
)
def update_cooperative(
    cooperative_id: IdInPath,
    body: CooperativeUpdate,
    caller: CooperativeMember,
    write: PlainWrite,
) -> Response:
    return write.respond(200, lambda: handlers.update(write.unit, caller, cooperative_id, body))


@router.post(
    "/{cooperative_id}/credit-needs",
    status_code=201,
    response_model=CreditNeedPublic,
    responses=CHANGING,
    summary="Submit a credit need (nhu cầu vay vốn)",
)
def submit_credit_need(
    cooperative_id: IdInPath,
    body: CreditNeedCreate,
    caller: CooperativeMember,
    write: IdempotentWrite,
) -> Response:
    return write.respond(
        201, lambda: handlers.submit_credit_need(write.unit, caller, cooperative_id, body)
    )


@router.get(
    "/{cooperative_id}/credit-needs",
    response_model=list[CreditNeedPublic],
    responses=READING,
    summary="A cooperative's credit needs, newest first",
)
def list_credit_needs(
    cooperative_id: IdInPath,
    caller: CooperativeReader,
    session: SessionDep,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> list[CreditNeedPublic]:
    return views.credit_needs(session, caller, cooperative_id, limit, offset)


@router.get(
    "/{cooperative_id}/matches",
    response_model=list[MatchForCooperative] | list[WithdrawnMatchForCooperative],
    responses=READING,
    summary="Demands that fit this cooperative, best first (from the scoring service)",
    description="The live matches, best score first, each with its rank among its demand's "
    "matches. With `withdrawn=true`: the matches the scoring service withdrew (a certificate "
    "lapsing before delivery ends, a product no longer offered, a demand closed…), newest "
    "first, each with `retracted_at` and `retraction_reason` (code, en, vi).",
)
def list_matches(
    cooperative_id: IdInPath,
    caller: CooperativeReader,
    session: SessionDep,
    limit: LimitQuery = 20,
    withdrawn: WithdrawnQuery = False,
) -> list[MatchForCooperative] | list[WithdrawnMatchForCooperative]:
    if withdrawn:
        return views.withdrawn_matches(session, caller, cooperative_id, limit)
    return views.matches(session, caller, cooperative_id, limit)


@imports.post(
    "",
    status_code=201,
    response_model=ImportPublic,
    responses=CREATING,
    summary="Register many cooperatives at once, all or none (organisers)",
)
def import_cooperatives(
    body: CooperativeImport,
    caller: Organiser,
    write: IdempotentWrite,
) -> Response:
    return write.respond(201, lambda: handlers.import_cooperatives(write.unit, body))
