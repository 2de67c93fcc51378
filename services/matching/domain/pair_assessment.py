"""One demand against one offer, judged in plain Python, one rule at a time.

It says *why* a pair is excluded (which certificate is missing or expired, which kinds differ),
for retractions and for telling a cooperative what to fix. It also restates the vectorised
kernel independently: the tests check both agree, and the benchmark uses it as the plain
pairwise scorer the index is compared with.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from scipy import sparse

from services.matching.domain import sourcing_reasons
from services.matching.domain.model import Cooperative, Demand, ProductOffer
from services.matching.domain.places import HALF_PROXIMITY_KM
from services.matching.domain.proposals import Reason
from services.matching.domain.scoring_model import ScoringModel
from services.matching.domain.sourcing import MIN_TEXT, SourcingScorer
from services.matching.domain.taxonomy import BROADER_KIND
from services.matching.domain.text_index import product_text
from shared import reference

VECTORS_KEPT = 100_000


@dataclass(frozen=True, slots=True)
class PreparedOffer:
    cooperative: Cooperative
    offer: ProductOffer
    kind: str | None
    vector: dict[int, float]  # TF-IDF feature -> weight


@dataclass(frozen=True, slots=True)
class PreparedDemand:
    demand: Demand
    kind: str | None
    vector: dict[int, float]


@dataclass(frozen=True, slots=True)
class PairAssessment:
    components: dict[str, float]
    exclusions: tuple[Reason, ...]  # each rule that rules the pair out, in rule order
    candidate: bool
    score: float  # -inf when not a candidate


def _as_dict(row: sparse.csr_matrix) -> dict[int, float]:
    return {int(i): float(v) for i, v in zip(row.indices, row.data, strict=True)}


class PairAssessor:
    def __init__(self, scorer: SourcingScorer) -> None:
        self.scorer = scorer
        self.taxonomy = scorer.taxonomy
        # Each retraction's reason assesses one pair, and encoding one text alone costs a few
        # milliseconds of sklearn overhead: texts are encoded many at a time (``encode``) and
        # kept, since the same ones come back (a re-ranking retracts several offers of one
        # demand). The vectors are only read.
        self._vectors: dict[str, dict[int, float]] = {}

    def encode(self, texts: Iterable[str]) -> None:
        """Encode, in one call, the texts not encoded yet."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if not missing:
            return
        if len(self._vectors) + len(missing) > VECTORS_KEPT:
            self._vectors.clear()
        matrix = self.scorer.encoder.encode(missing)
        for row, text in enumerate(missing):
            self._vectors[text] = _as_dict(matrix[row])

    def _vector(self, text: str) -> dict[int, float]:
        if text not in self._vectors:
            self.encode([text])
        return self._vectors[text]

    def prepare_offer(self, cooperative: Cooperative, offer: ProductOffer) -> PreparedOffer:
        vector = self._vector(product_text(offer.name, offer.description))
        return PreparedOffer(cooperative, offer, self.scorer.offer_kind(offer), vector)

    def prepare_demand(self, demand: Demand) -> PreparedDemand:
        vector = self._vector(product_text(demand.product, demand.description))
        return PreparedDemand(demand, self.scorer.demand_kind(demand), vector)

    def exclusions(self, prepared: PreparedDemand, offered: PreparedOffer) -> list[Reason]:
        """Every hard rule the pair breaks: different kinds, and each unmet certificate."""
        demand, offer = prepared.demand, offered.offer
        found: list[Reason] = []
        if self.taxonomy.compatibility_of(prepared.kind, offered.kind) < 0:
            found.append(sourcing_reasons.kind_mismatch(self.taxonomy, prepared.kind, offered.kind))
        for requirement in demand.required_certificates:
            held = [c for c in offer.certificates if c.kind == requirement.kind]
            if requirement.kind == "ocop" and requirement.min_stars:
                enough = [c for c in held if (c.stars or 0) >= requirement.min_stars]
                if held and not enough:
                    best = max(c.stars or 0 for c in held)
                    found.append(sourcing_reasons.ocop_stars_too_low(best, requirement.min_stars))
                    continue
                held = enough
            if not held:
                found.append(sourcing_reasons.certificate_missing(requirement))
            elif not any(c.valid_through(demand.delivery_until) for c in held):
                latest = max(c.expires_on for c in held)
                found.append(
                    sourcing_reasons.certificate_expired(requirement, latest, demand.delivery_until)
                )
        return found

    def assess(
        self, prepared: PreparedDemand, offered: PreparedOffer, model: ScoringModel | None = None
    ) -> PairAssessment:
        demand, offer, cooperative = prepared.demand, offered.offer, offered.cooperative
        text = min(1.0, sum(w * offered.vector.get(f, 0.0) for f, w in prepared.vector.items()))
        kind = self.taxonomy.compatibility_of(prepared.kind, offered.kind)
        need = demand.monthly_need()
        capacity = (
            min(1.0, offer.monthly_capacity.value / need)
            if offer.monthly_capacity.unit == demand.quantity.unit
            else 0.0
        )
        certified = any(c.valid_through(demand.delivery_until) for c in offer.certificates)
        km = reference.distance_km(demand.delivery_place, cooperative.district)
        window = demand.delivery_months()
        harvest = offer.harvest_months or frozenset(range(1, 13))
        components = {
            "text": text,
            "kind": max(kind, 0.0),
            "capacity": capacity,
            "certification": 1.0 if demand.required_certificates or certified else 0.5,
            "place": HALF_PROXIMITY_KM / (HALF_PROXIMITY_KM + km),
            "season": sum(1 for m in window if m in harvest) / len(window),
        }
        exclusions = tuple(self.exclusions(prepared, offered))
        candidate = not exclusions and (kind >= BROADER_KIND or text >= MIN_TEXT)
        score = (model or self.scorer.model).score_one(components) if candidate else -math.inf
        return PairAssessment(components, exclusions, candidate, score)
