"""The write side: post, change and close sourcing demands.

Each handler changes rows and adds the matching event to the outbox; the caller commits both
in one transaction (``shared.web.idempotency.Write``).
"""

from __future__ import annotations

from typing import TypeVar

from services.businesses import views
from services.businesses.repository import Demands
from services.businesses.schemas import DemandClose, DemandIn, DemandPublic, DemandStatus
from shared.contract.events import (
    SourcingDemand,
    SourcingDemandClosed,
    SourcingDemandPosted,
    SourcingDemandUpdated,
)
from shared.identity.model import Caller
from shared.outbox.unit_of_work import UnitOfWork
from shared.storage.ids import new_id
from shared.topics import DEMANDS
from shared.web.access import to_change
from shared.web.errors import Conflict

D = TypeVar("D", bound=SourcingDemand)


def _demand(event: type[D], demand_id: str, business_id: str, data: DemandIn) -> D:
    return event.model_validate(
        {**data.model_dump(), "demand_id": demand_id, "business_id": business_id}
    )


def post(unit: UnitOfWork, caller: Caller, data: DemandIn) -> DemandPublic:
    event = _demand(SourcingDemandPosted, new_id("demand"), caller.organisation_id, data)
    row = Demands(unit.session).post(event)
    unit.outbox.add(DEMANDS, event)
    return views.public(row)


def update(unit: UnitOfWork, caller: Caller, demand_id: str, data: DemandIn) -> DemandPublic:
    demands = Demands(unit.session)
    row = to_change(demands, caller, demand_id)
    if row.status == DemandStatus.CLOSED:
        raise Conflict(f"demand {demand_id} is closed; post a new one", code="demand_closed")
    event = _demand(SourcingDemandUpdated, row.id, row.organisation_id, data)
    demands.change(row, event)
    unit.outbox.add(DEMANDS, event)
    return views.public(row)


def close(unit: UnitOfWork, caller: Caller, demand_id: str, data: DemandClose) -> DemandPublic:
    demands = Demands(unit.session)
    row = to_change(demands, caller, demand_id)
    if row.status == DemandStatus.CLOSED:
        raise Conflict(f"demand {demand_id} is closed already", code="demand_closed")
    demands.close(row, data.reason)
    unit.outbox.add(
        DEMANDS,
        SourcingDemandClosed(demand_id=row.id, business_id=row.organisation_id, reason=data.reason),
    )
    return views.public(row)
