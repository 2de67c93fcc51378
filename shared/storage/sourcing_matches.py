"""Sourcing matches the scoring service found, as the cooperatives and businesses services keep
them for their read endpoints: stored by ``match_id``, so a replayed event changes nothing.

Ranks are not stored (the scoring service does not send them): a demand's live matches rank by
score, best first, ties by cooperative id then product id, worked out when they are read. A
match entering a demand's list thus changes one row, not every row below it.

A retracted match keeps its row, with the reason the scoring service gave
(``retraction_reason``), so the cooperative and the business can read why it was withdrawn; a
later found event makes it live again and clears the reason.
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
    Integer,
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
from shared.storage.types import Json, NullableJson, UtcDateTime

RETRACTION_REASON_COMMENT = "the MatchRetracted reason (code, en, vi) while retracted"


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
        Column("retraction_reason", NullableJson, nullable=True, comment=RETRACTION_REASON_COMMENT),
    )


@dataclass(frozen=True, slots=True)
class RankedMatch:
    found: dict[str, Any]
    """The ``SourcingMatchFound`` payload as stored: the contract's own JSON dump of an event
    it validated, so it is not validated again on every read."""
    rank: int
    """The match's place among its demand's live matches, from 1."""


@dataclass(frozen=True, slots=True)
class WithdrawnMatch:
    found: dict[str, Any]
    """The ``SourcingMatchFound`` payload the match was last found with."""
    retracted_at: datetime
    """When the retraction happened (the event's time)."""
    reason: dict[str, Any] | None
    """The retraction's reason (code, en, vi); None for one stored before reasons were kept."""


class SourcingMatches:
    def __init__(self, table: Table) -> None:
        self._table = table
        key: BindParameter[str] = bindparam("key")
        # Statements built once and run with parameters: the consumer stores thousands of
        # matches a second, and building a statement costs more than running it on SQLite.
        self._select_stored_at = select(table.c.updated_at).where(table.c.match_id == key)
        self._insert = insert(table)
        self._update = update(table).where(table.c.match_id == key)
        self._latest = LatestRows(
            table, table.c.match_id, json_text=("found",), reason="retraction_reason"
        )
        # A demand's ranking: best score first, ties by cooperative then product (the match id
        # last only makes the order total).
        self._ranking = (
            table.c.score.desc(),
            table.c.cooperative_id,
            table.c.product_id,
            table.c.match_id,
        )
        # The read endpoints' queries, built once too: building one cost a GET more than
        # SQLite takes to run it.
        limit: BindParameter[int] = bindparam("limit", type_=Integer)
        live = table.c.retracted.is_(False)
        self._for_demand = (
            select(table.c.found)
            .where(table.c.demand_id == bindparam("demand_id"), live)
            .order_by(*self._ranking)
            .limit(limit)
        )
        cooperative_id: BindParameter[str] = bindparam("cooperative_id")
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
        self._for_cooperative = (
            select(ranked.c.found, ranked.c.rank)
            .where(ranked.c.cooperative_id == cooperative_id)
            .order_by(ranked.c.score.desc(), ranked.c.match_id)
            .limit(limit)
        )
        # Withdrawn matches: newest retraction first (the match id only makes the order total).
        withdrawn = (
            select(table.c.found, table.c.updated_at, table.c.retraction_reason)
            .where(table.c.retracted.is_(True))
            .order_by(table.c.updated_at.desc(), table.c.match_id)
            .limit(limit)
        )
        self._withdrawn_for_demand = withdrawn.where(table.c.demand_id == bindparam("demand_id"))
        self._withdrawn_for_cooperative = withdrawn.where(
            table.c.cooperative_id == bindparam("cooperative_id")
        )

    @staticmethod
    def _values(found: SourcingMatchFound, document: Any) -> dict[str, Any]:
        """The row's columns; ``document`` is the payload as the ``found`` column takes it."""
        return {
            "demand_id": found.demand_id,
            "business_id": found.business_id,
            "cooperative_id": found.cooperative_id,
            "product_id": found.product_id,
            "score": found.score,
            "found": document,
        }

    def record(self, session: Session, found: SourcingMatchFound, at: datetime) -> None:
        """A new or re-scored match; a re-scored one is live again even if it was retracted."""
        values = {
            **self._values(found, found.model_dump(mode="json")),
            "retracted": False,
            "updated_at": at,
            "retraction_reason": None,
        }
        stored_at = self._stored_at(session, found.match_id)
        if stored_at is None:
            session.execute(self._insert, {"match_id": found.match_id, **values})
        elif stored_at <= at:
            session.execute(self._update, {"key": found.match_id, **values})

    def retract(self, session: Session, retracted: MatchRetracted, at: datetime) -> None:
        stored_at = self._stored_at(session, retracted.match_id)
        if stored_at is not None and stored_at <= at:
            session.execute(
                self._update,
                {
                    "key": retracted.match_id,
                    "retracted": True,
                    "updated_at": at,
                    "retraction_reason": retracted.reason.model_dump(mode="json"),
                },
            )

    def apply(self, session: Session, envelope: Envelope[Any]) -> None:
        payload = envelope.payload
        if isinstance(payload, SourcingMatchFound):
            self.record(session, payload, envelope.occurred_at)
        elif isinstance(payload, MatchRetracted) and payload.match_kind == "sourcing":
            self.retract(session, payload, envelope.occurred_at)

    def apply_all(self, session: Session, envelopes: Sequence[Envelope[Any]]) -> None:
        """A batch of events, as ``apply`` one after the other would store them, set-based."""
        changes = []
        for envelope in envelopes:
            payload = envelope.payload
            if isinstance(payload, SourcingMatchFound):
                # The document as pydantic's JSON text, made in one call: a fifth of the cost
                # of a dict serialised by ``json`` (``LatestRows`` takes text as it is).
                changes.append(
                    Change(
                        payload.match_id,
                        envelope.occurred_at,
                        self._values(payload, payload.model_dump_json()),
                    )
                )
            elif isinstance(payload, MatchRetracted) and payload.match_kind == "sourcing":
                changes.append(
                    Change(
                        payload.match_id,
                        envelope.occurred_at,
                        None,
                        payload.reason.model_dump(mode="json"),
                    )
                )
        self._latest.write(session, changes)

    def _stored_at(self, session: Session, match_id: str) -> datetime | None:
        stored_at: datetime | None = session.execute(
            self._select_stored_at, {"key": match_id}
        ).scalar_one_or_none()
        return stored_at

    # The reads below run on the session's connection (in its transaction): Core statements on
    # the table gain nothing from the ORM's execution path, which costs more than they do.

    def for_demand(self, session: Session, demand_id: str, limit: int) -> list[RankedMatch]:
        """The demand's live matches, best first: the top ``limit`` of its ranking."""
        documents = session.connection().execute(
            self._for_demand, {"demand_id": demand_id, "limit": limit}
        )
        return [RankedMatch(document, rank) for rank, document in enumerate(documents.scalars(), 1)]

    def for_cooperative(
        self, session: Session, cooperative_id: str, limit: int
    ) -> list[RankedMatch]:
        """The cooperative's live matches, best score first, each with its place in its
        demand's ranking."""
        rows = session.connection().execute(
            self._for_cooperative, {"cooperative_id": cooperative_id, "limit": limit}
        )
        return [RankedMatch(row.found, row.rank) for row in rows]

    def withdrawn_for_demand(
        self, session: Session, demand_id: str, limit: int
    ) -> list[WithdrawnMatch]:
        """The demand's retracted matches, newest retraction first, with their reasons."""
        rows = session.connection().execute(
            self._withdrawn_for_demand, {"demand_id": demand_id, "limit": limit}
        )
        return [WithdrawnMatch(row.found, row.updated_at, row.retraction_reason) for row in rows]

    def withdrawn_for_cooperative(
        self, session: Session, cooperative_id: str, limit: int
    ) -> list[WithdrawnMatch]:
        """The cooperative's retracted matches, newest retraction first, with their reasons."""
        rows = session.connection().execute(
            self._withdrawn_for_cooperative, {"cooperative_id": cooperative_id, "limit": limit}
        )
        return [WithdrawnMatch(row.found, row.updated_at, row.retraction_reason) for row in rows]
