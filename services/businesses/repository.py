"""Loading and saving demands: rows in, contract records out, and back."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.businesses.orm import DemandRow
from services.businesses.schemas import DemandStatus
from shared.contract.events import Recurrence, SourcingDemand
from shared.contract.values import Quantity, RequiredCertification
from shared.storage.records import OwnedRows


def to_demand(row: DemandRow) -> SourcingDemand:
    return SourcingDemand(
        demand_id=row.id,
        business_id=row.organisation_id,
        product=row.product,
        description=row.description,
        quantity=Quantity(amount=row.quantity_amount, unit=row.quantity_unit),
        recurrence=Recurrence(row.recurrence),
        required_certifications=[
            RequiredCertification.model_validate(c) for c in row.required_certifications
        ],
        delivery_place=row.delivery_place,
        delivery_from=row.delivery_from,
        delivery_until=row.delivery_until,
        price_min_vnd=row.price_min_vnd,
        price_max_vnd=row.price_max_vnd,
    )


def _write(row: DemandRow, demand: SourcingDemand) -> None:
    row.product = demand.product
    row.description = demand.description
    row.quantity_amount = demand.quantity.amount
    row.quantity_unit = demand.quantity.unit
    row.recurrence = demand.recurrence.value
    row.required_certifications = [
        c.model_dump(mode="json") for c in demand.required_certifications
    ]
    row.delivery_place = demand.delivery_place
    row.delivery_from = demand.delivery_from
    row.delivery_until = demand.delivery_until
    row.price_min_vnd = demand.price_min_vnd
    row.price_max_vnd = demand.price_max_vnd
    row.touch()


class Demands(OwnedRows[DemandRow]):
    def __init__(self, session: Session) -> None:
        super().__init__(session, DemandRow, "demand")

    def post(self, demand: SourcingDemand) -> DemandRow:
        row = DemandRow(
            id=demand.demand_id,
            organisation_id=demand.business_id,
            status=DemandStatus.OPEN.value,
            closed_reason="",
        )
        _write(row, demand)
        return self.add(row)

    def change(self, row: DemandRow, demand: SourcingDemand) -> DemandRow:
        _write(row, demand)
        self.session.flush()
        return row

    def close(self, row: DemandRow, reason: str) -> DemandRow:
        row.status = DemandStatus.CLOSED.value
        row.closed_reason = reason
        row.touch()
        self.session.flush()
        return row
