"""HTTP routes of the businesses service, under /v1. Each decodes, checks the role, and hands
over to a handler (writes) or a view (reads)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from services.businesses import handlers, views
from services.businesses.schemas import (
    DemandClose,
    DemandCreate,
    DemandPublic,
    DemandUpdate,
    MatchForDemand,
    WithdrawnMatchForDemand,
)
from shared.identity.model import Caller, Role
from shared.web.auth import require_role
from shared.web.dependencies import SessionDep
from shared.web.errors import CHANGING, CREATING, LISTING, READING
from shared.web.idempotency import IdempotentWrite, PlainWrite
from shared.web.routing import SessionScopedRoute
from shared.web.schemas import IdInPath, LimitQuery, OffsetQuery, WithdrawnQuery

Business = Annotated[Caller, Depends(require_role(Role.BUSINESS))]
BusinessReader = Annotated[Caller, Depends(require_role(Role.BUSINESS, Role.ORGANISER))]

router = APIRouter(prefix="/demands", tags=["demands"], route_class=SessionScopedRoute)


@router.post(
    "",
    status_code=201,
    response_model=DemandPublic,
    responses=CREATING,
    summary="Post a sourcing demand (đăng nhu cầu thu mua)",
)
def post_demand(
    body: DemandCreate,
    caller: Business,
    write: IdempotentWrite,
) -> Response:
    return write.respond(201, lambda: handlers.post(write.unit, caller, body))


@router.get(
    "",
    response_model=list[DemandPublic],
    responses=LISTING,
    summary="Your demands; organisers: every demand",
)
def list_demands(
    caller: BusinessReader, session: SessionDep, limit: LimitQuery = 50, offset: OffsetQuery = 0
) -> list[DemandPublic]:
    return views.demands(session, caller, limit, offset)


@router.get(
    "/{demand_id}",
    response_model=DemandPublic,
    responses=READING,
    summary="A demand",
)
def read_demand(demand_id: IdInPath, caller: BusinessReader, session: SessionDep) -> DemandPublic:
    return views.demand(session, caller, demand_id)


@router.put(
    "/{demand_id}",
    response_model=DemandPublic,
    responses=CHANGING,
    summary="Replace your open demand",
)
def update_demand(
    demand_id: IdInPath,
    body: DemandUpdate,
    caller: Business,
    write: PlainWrite,
) -> Response:
    return write.respond(200, lambda: handlers.update(write.unit, caller, demand_id, body))


@router.post(
    "/{demand_id}/close",
    response_model=DemandPublic,
    responses=CHANGING,
    summary="Close your demand (đã đủ hàng, ngừng thu mua)",
)
def close_demand(
    demand_id: IdInPath,
    caller: Business,
    write: IdempotentWrite,
    body: DemandClose | None = None,
) -> Response:
    reason = body or DemandClose()
    return write.respond(200, lambda: handlers.close(write.unit, caller, demand_id, reason))


@router.get(
    "/{demand_id}/matches",
    response_model=list[MatchForDemand] | list[WithdrawnMatchForDemand],
    responses=READING,
    summary="Cooperatives ranked for this demand (from the scoring service)",
    description="The live matches, ranked: score, best first, ties by cooperative id then "
    "product id. With `withdrawn=true`: the cooperatives the scoring service proposed and then "
    "withdrew (a certificate lapsing before delivery ends, a product no longer offered…), "
    "newest first, each with `retracted_at` and `retraction_reason` (code, en, vi).",
)
def list_matches(
    demand_id: IdInPath,
    caller: BusinessReader,
    session: SessionDep,
    limit: LimitQuery = 20,
    withdrawn: WithdrawnQuery = False,
) -> list[MatchForDemand] | list[WithdrawnMatchForDemand]:
    if withdrawn:
        return views.withdrawn_matches(session, caller, demand_id, limit)
    return views.matches(session, caller, demand_id, limit)
