"""Sourcing matches the scoring service found, as the cooperatives and businesses services keep
them for their read endpoints: stored by ``match_id``, so a replayed event changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Float,
    MetaData,
    String,
    Table,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from shared.contract.envelope import Envelope
from shared.contract.events import MatchRetracted, SourcingMatchFound
from shared.storage.types import Json, UtcDateTime


def sourcing_matches_table(metadata: MetaData, service: str) -> Table:
    return Table(
        f"{service}_sourcing_matches",
        metadata,
        Column("match_id", String(64), primary_key=True),
        Column("demand_id", String(64), nullable=False, index=True),
        Column("business_id", String(64), nullable=False),
        Column("cooperative_id", String(64), nullable=False, index=True),
        Column("score", Float, nullable=False),
        Column("found", Json, nullable=False, comment="the SourcingMatchFound payload"),
        Column("retracted", Boolean, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    )


class SourcingMatches:
    def __init__(self, table: Table) -> None:
        self._table = table

    def record(self, session: Session, found: SourcingMatchFound, at: datetime) -> None:
        """A new or re-scored match; a re-scored one is live again even if it was retracted."""
        table = self._table
        values = {
            "demand_id": found.demand_id,
            "business_id": found.business_id,
            "cooperative_id": found.cooperative_id,
            "score": found.score,
            "found": found.model_dump(mode="json"),
            "retracted": False,
            "updated_at": at,
        }
        stored_at = self._stored_at(session, found.match_id)
        if stored_at is None:
            session.execute(insert(table).values(match_id=found.match_id, **values))
        elif stored_at <= at:
            session.execute(update(table).where(table.c.match_id == found.match_id).values(values))

    def retract(self, session: Session, retracted: MatchRetracted, at: datetime) -> None:
        stored_at = self._stored_at(session, retracted.match_id)
        if stored_at is not None and stored_at <= at:
            session.execute(
                update(self._table)
                .where(self._table.c.match_id == retracted.match_id)
                .values(retracted=True, updated_at=at)
            )

    def apply(self, session: Session, envelope: Envelope[Any]) -> None:
        payload = envelope.payload
        if isinstance(payload, SourcingMatchFound):
            self.record(session, payload, envelope.occurred_at)
        elif isinstance(payload, MatchRetracted) and payload.match_kind == "sourcing":
            self.retract(session, payload, envelope.occurred_at)

    def _stored_at(self, session: Session, match_id: str) -> datetime | None:
        table = self._table
        return session.execute(
            select(table.c.updated_at).where(table.c.match_id == match_id)
        ).scalar_one_or_none()

    def for_cooperative(
        self, session: Session, cooperative_id: str, limit: int
    ) -> list[SourcingMatchFound]:
        return self._live(session, self._table.c.cooperative_id == cooperative_id, limit)

    def for_demand(self, session: Session, demand_id: str, limit: int) -> list[SourcingMatchFound]:
        return self._live(session, self._table.c.demand_id == demand_id, limit)

    def _live(
        self, session: Session, where: ColumnElement[bool], limit: int
    ) -> list[SourcingMatchFound]:
        table = self._table
        rows = session.execute(
            select(table.c.found)
            .where(where, table.c.retracted.is_(False))
            .order_by(table.c.score.desc(), table.c.match_id)
            .limit(limit)
        ).scalars()
        return [SourcingMatchFound.model_validate(document) for document in rows]
