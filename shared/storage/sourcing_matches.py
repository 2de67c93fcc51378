"""Sourcing matches the scoring service found, as the cooperatives and businesses services keep
them for their read endpoints: stored by ``match_id``, so a replayed event changes nothing.

Ranks are not stored (the scoring service does not send them): a demand's live matches rank by
score, best first, ties by cooperative id then product id, worked out when they are read. A
match entering a demand's list thus changes one row, not every row below it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Boolean,
    Column,
    Float,
    MetaData,
    String,
    Table,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from shared.contract.envelope import Envelope
from shared.contract.events import MatchRetracted, SourcingMatchFound
from shared.storage.latest_rows import Change, LatestRows
from shared.storage.types import Json, UtcDateTime


def sourcing_matches_table(metadata: MetaData, service: str) -> Table:
    return Table(
        f"{service}_sourcing_matches",
        metadata,
        Column("match_id", String(64), primary_key=True),
        Column("demand_id", String(64), nullable=False, index=True),
        Column("business_id", String(64), nullable=False),
        Column("cooperative_id", String(64), nullable=False, index=True),
        Column("product_id", String(64), nullable=False),
        Column("score", Float, nullable=False),
        Column("found", Json, nullable=False, comment="the SourcingMatchFound payload"),
        Column("retracted", Boolean, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    )


@dataclass(frozen=True)
class RankedMatch:
    match: SourcingMatchFound
    rank: int
    """The match's place among its demand's live matches, from 1."""


class SourcingMatches:
    def __init__(self, table: Table) -> None:
        self._table = table
        key: BindParameter[str] = bindparam("key")
        # Statements built once and run with parameters: the consumer stores thousands of
        # matches a second, and building a statement costs more than running it on SQLite.
        self._select_stored_at = select(table.c.updated_at).where(table.c.match_id == key)
        self._insert = insert(table)
        self._update = update(table).where(table.c.match_id == key)
        self._latest = LatestRows(table, table.c.match_id, json_text=("found",))
        # A demand's ranking: best score first, ties by cooperative then product (the match id
        # last only makes the order total).
        self._ranking = (
            table.c.score.desc(),
            table.c.cooperative_id,
            table.c.product_id,
            table.c.match_id,
        )

    @staticmethod
    def _values(found: SourcingMatchFound) -> dict[str, Any]:
        return {
            "demand_id": found.demand_id,
            "business_id": found.business_id,
            "cooperative_id": found.cooperative_id,
            "product_id": found.product_id,
            "score": found.score,
            "found": found.model_dump(mode="json"),
        }

    def record(self, session: Session, found: SourcingMatchFound, at: datetime) -> None:
        """A new or re-scored match; a re-scored one is live again even if it was retracted."""
        values = {**self._values(found), "retracted": False, "updated_at": at}
        stored_at = self._stored_at(session, found.match_id)
        if stored_at is None:
            session.execute(self._insert, {"match_id": found.match_id, **values})
        elif stored_at <= at:
            session.execute(self._update, {"key": found.match_id, **values})

    def retract(self, session: Session, retracted: MatchRetracted, at: datetime) -> None:
        stored_at = self._stored_at(session, retracted.match_id)
        if stored_at is not None and stored_at <= at:
            session.execute(
                self._update, {"key": retracted.match_id, "retracted": True, "updated_at": at}
            )

    def apply(self, session: Session, envelope: Envelope[Any]) -> None:
        payload = envelope.payload
        if isinstance(payload, SourcingMatchFound):
            self.record(session, payload, envelope.occurred_at)
        elif isinstance(payload, MatchRetracted) and payload.match_kind == "sourcing":
            self.retract(session, payload, envelope.occurred_at)

    @staticmethod
    def _values_as_json(found: SourcingMatchFound) -> dict[str, Any]:
        """``_values`` with the payload as JSON text, serialised by pydantic in one call (the
        same document; a fifth of the cost of a dict made and then serialised by ``json``)."""
        return {
            "demand_id": found.demand_id,
            "business_id": found.business_id,
            "cooperative_id": found.cooperative_id,
            "product_id": found.product_id,
            "score": found.score,
            "found": found.model_dump_json(),
        }

    def apply_all(self, session: Session, envelopes: Sequence[Envelope[Any]]) -> None:
        """A batch of events, as ``apply`` one after the other would store them, set-based."""
        changes = []
        for envelope in envelopes:
            payload = envelope.payload
            if isinstance(payload, SourcingMatchFound):
                changes.append(
                    Change(payload.match_id, envelope.occurred_at, self._values_as_json(payload))
                )
            elif isinstance(payload, MatchRetracted) and payload.match_kind == "sourcing":
                changes.append(Change(payload.match_id, envelope.occurred_at, None))
        self._latest.write(session, changes)

    def _stored_at(self, session: Session, match_id: str) -> datetime | None:
        stored_at: datetime | None = session.execute(
            self._select_stored_at, {"key": match_id}
        ).scalar_one_or_none()
        return stored_at

    def for_demand(self, session: Session, demand_id: str, limit: int) -> list[RankedMatch]:
        """The demand's live matches, best first: the top ``limit`` of its ranking."""
        table = self._table
        rows = session.execute(
            select(table.c.found)
            .where(table.c.demand_id == demand_id, table.c.retracted.is_(False))
            .order_by(*self._ranking)
            .limit(limit)
        ).scalars()
        return [
            RankedMatch(SourcingMatchFound.model_validate(document), rank)
            for rank, document in enumerate(rows, start=1)
        ]

    def for_cooperative(
        self, session: Session, cooperative_id: str, limit: int
    ) -> list[RankedMatch]:
        """The cooperative's live matches, best score first, each with its place in its
        demand's ranking."""
        table = self._table
        live = table.c.retracted.is_(False)
        its_demands = select(table.c.demand_id).where(
            table.c.cooperative_id == cooperative_id, live
        )
        ranked = (
            select(
                table.c.match_id,
                table.c.cooperative_id,
                table.c.score,
                table.c.found,
                func.row_number()
                .over(partition_by=table.c.demand_id, order_by=self._ranking)
                .label("rank"),
            )
            .where(live, table.c.demand_id.in_(its_demands))
            .subquery()
        )
        rows = session.execute(
            select(ranked.c.found, ranked.c.rank)
            .where(ranked.c.cooperative_id == cooperative_id)
            .order_by(ranked.c.score.desc(), ranked.c.match_id)
            .limit(limit)
        )
        return [RankedMatch(SourcingMatchFound.model_validate(row.found), row.rank) for row in rows]
