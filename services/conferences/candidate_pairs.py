"""Who could usefully meet whom: the scoring service's sourcing matches (cooperative and
business) and loan leads (cooperative and bank), kept from ``ketnoi.sourcing-matches.v1`` and
``ketnoi.loan-leads.v1``.

Rows are stored by match or lead id, so a replayed event changes nothing and an older event
never undoes a newer one. Several matches may join the same two organisations (several demands
or loan products): the best live score is the pair's score, with that match's reasons.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from services.conferences.domain.model import CandidatePair, PairReason
from services.conferences.orm import CandidatePairRow
from shared.contract.envelope import Envelope
from shared.contract.events import LoanLeadScored, MatchRetracted, SourcingMatchFound
from shared.storage.latest_rows import Change, LatestRows


class CandidatePairs:
    """The consumer's projection of matches and leads."""

    def __init__(self) -> None:
        table = cast(Table, CandidatePairRow.__table__)
        self._latest = LatestRows(table, table.c.match_id)

    def apply_all(self, session: Session, envelopes: Sequence[Envelope[Any]]) -> None:
        """A batch of events, as ``apply`` one after the other would store them, set-based."""
        changes = []
        for envelope in envelopes:
            payload, at = envelope.payload, envelope.occurred_at
            if isinstance(payload, SourcingMatchFound):
                values = _values("sourcing", payload, payload.business_id, "business")
                changes.append(Change(payload.match_id, at, values))
            elif isinstance(payload, LoanLeadScored):
                changes.append(
                    Change(payload.lead_id, at, _values("lead", payload, payload.bank_id, "bank"))
                )
            elif isinstance(payload, MatchRetracted):
                changes.append(Change(payload.match_id, at, None))
        self._latest.write(session, changes)

    def apply(self, session: Session, envelope: Envelope[Any]) -> None:
        payload, at = envelope.payload, envelope.occurred_at
        if isinstance(payload, SourcingMatchFound):
            self._found(
                session, payload.match_id, "sourcing", payload, payload.business_id, "business", at
            )
        elif isinstance(payload, LoanLeadScored):
            self._found(session, payload.lead_id, "lead", payload, payload.bank_id, "bank", at)
        elif isinstance(payload, MatchRetracted):
            row = session.get(CandidatePairRow, payload.match_id)
            if row is not None and row.updated_at <= at:
                row.retracted = True
                row.updated_at = at

    @staticmethod
    def _found(
        session: Session,
        match_id: str,
        match_kind: str,
        found: SourcingMatchFound | LoanLeadScored,
        counterpart_id: str,
        counterpart_kind: str,
        at: datetime,
    ) -> None:
        row = session.get(CandidatePairRow, match_id)
        if row is None:
            row = CandidatePairRow(match_id=match_id)
            session.add(row)
        elif row.updated_at > at:
            return  # a replay of an older score
        row.match_kind = match_kind
        row.cooperative_id = found.cooperative_id
        row.counterpart_id = counterpart_id
        row.counterpart_kind = counterpart_kind
        row.score = found.score
        row.reasons = [reason.model_dump(mode="json") for reason in found.reasons]
        # A re-scored match is live again even if it was retracted before.
        row.retracted = False
        row.updated_at = at


def _values(
    match_kind: str,
    found: SourcingMatchFound | LoanLeadScored,
    counterpart_id: str,
    counterpart_kind: str,
) -> dict[str, Any]:
    return {
        "match_kind": match_kind,
        "cooperative_id": found.cooperative_id,
        "counterpart_id": counterpart_id,
        "counterpart_kind": counterpart_kind,
        "score": found.score,
        "reasons": [reason.model_dump(mode="json") for reason in found.reasons],
    }


def _live(session: Session, cooperative_ids: Collection[str]) -> list[CandidatePairRow]:
    if not cooperative_ids:
        return []
    query = (
        select(CandidatePairRow)
        .where(
            CandidatePairRow.cooperative_id.in_(set(cooperative_ids)),
            CandidatePairRow.retracted.is_(False),
        )
        .order_by(CandidatePairRow.score.desc(), CandidatePairRow.match_id)
    )
    return list(session.execute(query).scalars())


def best_pairs(
    session: Session, cooperative_ids: Collection[str], counterpart_ids: Collection[str]
) -> tuple[CandidatePair, ...]:
    """One candidate per (cooperative, counterpart) among the given participants: the best
    live score and its match's reasons."""
    wanted = set(counterpart_ids)
    best: dict[tuple[str, str], CandidatePair] = {}
    for row in _live(session, cooperative_ids):  # best first
        key = (row.cooperative_id, row.counterpart_id)
        if row.counterpart_id in wanted and key not in best:
            reasons = tuple(
                PairReason(reason["code"], reason["en"], reason["vi"]) for reason in row.reasons
            )
            best[key] = CandidatePair(row.cooperative_id, row.counterpart_id, row.score, reasons)
    return tuple(best[key] for key in sorted(best))


def counterparts_of(session: Session, cooperative_ids: Collection[str]) -> dict[str, str]:
    """Businesses and banks with a live match or lead with one of the cooperatives: their id
    and kind ("business" or "bank")."""
    return {row.counterpart_id: row.counterpart_kind for row in _live(session, cooperative_ids)}
