"""Loading and saving demands: contract records in, rows out."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from services.businesses.orm import DemandRow
from services.businesses.schemas import DemandStatus
from shared.contract.events import SourcingDemand
from shared.storage.records import OwnedRows
from shared.storage.types import utc_now


def _columns(demand: SourcingDemand) -> dict[str, Any]:
    """The demand's own columns (not its id, owner, status or timestamps)."""
    return {
        "product": demand.product,
        "description": demand.description,
        "quantity_amount": demand.quantity.amount,
        "quantity_unit": demand.quantity.unit,
        "recurrence": demand.recurrence.value,
        "required_certifications": [
            c.model_dump(mode="json") for c in demand.required_certifications
        ],
        "delivery_place": demand.delivery_place,
        "delivery_from": demand.delivery_from,
        "delivery_until": demand.delivery_until,
        "price_min_vnd": demand.price_min_vnd,
        "price_max_vnd": demand.price_max_vnd,
    }


def _write(row: DemandRow, demand: SourcingDemand) -> None:
    for column, value in _columns(demand).items():
        setattr(row, column, value)
    row.touch()


# Built once, on the table rather than the mapped class: building a statement costs more than
# SQLite takes to run it, and the ORM's handling of a statement on mapped columns costs as much.
_TABLE: Table = DemandRow.__table__  # type: ignore[assignment]
_INSERT = insert(_TABLE)


class Demands(OwnedRows[DemandRow]):
    def __init__(self, session: Session) -> None:
        super().__init__(session, DemandRow, "demand")

    def post(self, demand: SourcingDemand) -> DemandRow:
        """Insert a new demand, and return it as stored (a row not attached to the session).

        A Core insert, not ``session.add`` and a flush: the unit of work's bookkeeping cost a
        POST more than SQLite's insert. The row holds what the ORM would have written:
        version 1 (the first of ``version_id_col``), created and updated now."""
        now = utc_now()
        values = {
            "id": demand.demand_id,
            "organisation_id": demand.business_id,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "status": DemandStatus.OPEN.value,
            "closed_reason": "",
            **_columns(demand),
        }
        self.session.connection().execute(_INSERT, values)
        return DemandRow(**values)

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
