"""What a service knows of other services' objects, kept from their events.

The businesses service hears of cooperatives from ``CooperativeRegistered``/``Updated`` and
shows their names beside its matches; the banks service does the same for leads, and the
cooperatives service keeps the demands it is matched to. Each kind is a table of
``(id, document)``, the document being the latest event payload for that id.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Column, MetaData, String, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from shared.contract.envelope import Envelope
from shared.contract.events import (
    CooperativeRegistered,
    CooperativeUpdated,
    CreditNeedSubmitted,
    SourcingDemandClosed,
    SourcingDemandPosted,
    SourcingDemandUpdated,
)
from shared.contract.values import CooperativeKind
from shared.storage.types import Json, UtcDateTime


def directory_table(metadata: MetaData, name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("id", String(64), primary_key=True),
        Column("document", Json, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    )


class Directory:
    """One kind of object, by id. Writes come from one consumer partition per id, in order."""

    def __init__(self, table: Table) -> None:
        self._table = table
        # Built once, the ids bound as a list: building the lookup cost a read more than
        # running it.
        self._get_many = select(table.c.id, table.c.document).where(
            table.c.id.in_(bindparam("ids", expanding=True))
        )

    def put(
        self, session: Session, identifier: str, document: dict[str, Any], at: datetime
    ) -> None:
        table = self._table
        stored_at = session.execute(
            select(table.c.updated_at).where(table.c.id == identifier)
        ).scalar_one_or_none()
        if stored_at is None:
            session.execute(insert(table).values(id=identifier, document=document, updated_at=at))
        elif stored_at <= at:  # a replayed older event must not undo a newer one
            session.execute(
                update(table)
                .where(table.c.id == identifier)
                .values(document=document, updated_at=at)
            )

    def amend(
        self, session: Session, identifier: str, changes: dict[str, Any], at: datetime
    ) -> None:
        """Change some fields of a known object; an unknown one stays unknown."""
        known = self.get_many(session, [identifier]).get(identifier)
        if known is not None:
            self.put(session, identifier, {**known, **changes}, at)

    def get_many(self, session: Session, identifiers: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = set(identifiers)
        if not wanted:
            return {}  # no query: it could find nothing
        # On the session's connection: a Core query gains nothing from the ORM's execution
        # path. Each document is decoded afresh from its row, so it is the caller's to keep.
        rows = session.connection().execute(self._get_many, {"ids": list(wanted)})
        return {row.id: row.document for row in rows}


M = TypeVar("M", bound=BaseModel)


def summary(model: type[M], document: dict[str, Any] | None) -> M | None:
    """The fields ``model`` shows, taken from a stored event payload (None if not known yet)."""
    if document is None:
        return None
    return model.model_validate({name: document.get(name) for name in model.model_fields})


class CooperativeSummary(BaseModel):
    """A cooperative as a business or a bank sees it beside a match or a lead."""

    cooperative_id: str
    name: str
    kind: CooperativeKind
    sector: str
    district: str
    commune: str
    founded_year: int
    member_count: int


class KnownCooperatives(Directory):
    """Cooperative profiles, from ``ketnoi.cooperatives.v1``."""

    def apply(self, session: Session, envelope: Envelope[Any]) -> None:
        payload = envelope.payload
        if isinstance(payload, CooperativeRegistered | CooperativeUpdated):
            document = payload.model_dump(mode="json")
            self.put(session, payload.cooperative_id, document, envelope.occurred_at)


class KnownCreditNeeds(Directory):
    """Credit needs, from ``ketnoi.cooperatives.v1``."""

    def apply(self, session: Session, envelope: Envelope[Any]) -> None:
        payload = envelope.payload
        if isinstance(payload, CreditNeedSubmitted):
            document = payload.model_dump(mode="json")
            self.put(session, payload.credit_need_id, document, envelope.occurred_at)


class KnownDemands(Directory):
    """Sourcing demands, with ``closed``, from ``ketnoi.demands.v1``."""

    def apply(self, session: Session, envelope: Envelope[Any]) -> None:
        payload, at = envelope.payload, envelope.occurred_at
        if isinstance(payload, SourcingDemandPosted | SourcingDemandUpdated):
            document = {**payload.model_dump(mode="json"), "closed": False}
            self.put(session, payload.demand_id, document, at)
        elif isinstance(payload, SourcingDemandClosed):
            self.amend(session, payload.demand_id, {"closed": True}, at)
