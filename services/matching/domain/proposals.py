"""What the matcher tells the world: sourcing matches, loan leads and retractions, each with
reasons in English and Vietnamese. The worker turns them into contract events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True)
class Reason:
    """Why, for people: a stable code and the same sentence in both languages."""

    code: str
    en: str
    vi: str


@dataclass(frozen=True, slots=True)
class SourcingMatch:
    match_id: str
    demand_id: str
    business_id: str
    cooperative_id: str
    product_id: str
    score: float
    components: Mapping[str, float]
    reasons: tuple[Reason, ...]
    model_version: str
    partners: tuple[str, ...] = ()  # the other cooperatives of a group proposal

    @property
    def order(self) -> tuple[float, str, str]:
        """A demand's matches rank by this: best score first, ties by cooperative and product.
        Readers rank the same way; a rank is never published, so a match entering a list does
        not re-publish every match below it."""
        return -self.score, self.cooperative_id, self.product_id


@dataclass(frozen=True, slots=True)
class LoanLead:
    lead_id: str
    credit_need_id: str
    cooperative_id: str
    loan_product_id: str
    bank_id: str
    score: float
    components: Mapping[str, float]
    reasons: tuple[Reason, ...]
    model_version: str

    @property
    def order(self) -> tuple[float, str]:
        """A bank's leads rank by this: best score first, ties by lead id."""
        return -self.score, self.lead_id


@dataclass(frozen=True, slots=True)
class Retraction:
    """A match or lead that no longer holds, and why."""

    match_id: str
    match_kind: Literal["sourcing", "lead"]
    cooperative_id: str
    reason: Reason
    demand_id: str | None = None
    business_id: str | None = None
    bank_id: str | None = None


@dataclass(frozen=True, slots=True)
class MatchDelta:
    """What changed after one event: matches and leads to publish (new or re-scored) and those
    to retract. Empty when the event changed nothing, as on a replay."""

    matches: tuple[SourcingMatch, ...] = ()
    leads: tuple[LoanLead, ...] = ()
    retractions: tuple[Retraction, ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(self.matches or self.leads or self.retractions)

    def __add__(self, other: MatchDelta) -> MatchDelta:
        """This change followed by ``other``: what ``other`` publishes or retracts replaces
        what this one published under the same id, so the sum never publishes a match after
        the retraction that ended it."""
        later = {r.match_id for r in other.retractions}
        later |= {m.match_id for m in other.matches} | {lead.lead_id for lead in other.leads}
        return MatchDelta(
            tuple(m for m in self.matches if m.match_id not in later) + other.matches,
            tuple(lead for lead in self.leads if lead.lead_id not in later) + other.leads,
            self.retractions + other.retractions,
        )
