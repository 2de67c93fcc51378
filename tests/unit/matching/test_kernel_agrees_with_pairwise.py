"""The vectorised kernel and the plain one-pair-at-a-time assessment agree on random data:
the same candidates, the same components, the same scores."""

from __future__ import annotations

import random

import numpy as np
import pytest

from services.matching.domain.engine import MatchingEngine
from services.matching.domain.pair_assessment import PairAssessor
from services.matching.domain.places import place_table
from services.matching.domain.scoring_model import HANDSET_SOURCING
from services.matching.domain.sourcing import SourcingScorer
from services.matching.domain.taxonomy import default_taxonomy
from services.matching.domain.text_index import TextEncoder
from tests.unit.matching.builders import random_demand, random_offer


def test_vectorised_kernel_matches_the_pairwise_assessment() -> None:
    rng = random.Random(7)
    taxonomy = default_taxonomy()
    scorer = SourcingScorer(
        taxonomy, TextEncoder(taxonomy.corpus()), place_table(), HANDSET_SOURCING
    )
    assessor = PairAssessor(scorer)
    offers = [random_offer(rng, i) for i in range(60)]
    demands = [random_demand(rng, i) for i in range(25)]
    scored = scorer.score(
        scorer.demand_rows(demands),
        scorer.offer_rows(offers, [scorer.offer_kind(o) for _, o in offers]),
    )
    candidates = 0
    for i, demand in enumerate(demands):
        prepared = assessor.prepare_demand(demand)
        for j, (cooperative, offer) in enumerate(offers):
            pair = assessor.assess(prepared, assessor.prepare_offer(cooperative, offer))
            assert np.isfinite(scored.score[i, j]) == pair.candidate, (demand, offer)
            for name, value in pair.components.items():
                assert scored.components[name][i, j] == pytest.approx(value, abs=1e-4), name
            if pair.candidate:
                candidates += 1
                assert scored.score[i, j] == pytest.approx(pair.score, abs=1e-4)
    # The random data must exercise both outcomes, or the test proves little.
    assert 0 < candidates < len(demands) * len(offers)


def test_the_index_ranks_as_the_pairwise_assessment_would() -> None:
    rng = random.Random(11)
    offers = [random_offer(rng, i) for i in range(80)]
    demands = [random_demand(rng, i) for i in range(10)]
    engine = MatchingEngine(top_k=5)
    engine.upsert_cooperatives([cooperative for cooperative, _ in offers])
    engine.upsert_demands(demands)
    taxonomy = default_taxonomy()
    assessor = PairAssessor(
        SourcingScorer(taxonomy, TextEncoder(taxonomy.corpus()), place_table(), HANDSET_SOURCING)
    )
    for demand in demands:
        prepared = assessor.prepare_demand(demand)
        scores = {
            cooperative.cooperative_id: assessor.assess(
                prepared, assessor.prepare_offer(cooperative, offer)
            ).score
            for cooperative, offer in offers
        }
        expected = sorted(
            (c for c, s in scores.items() if np.isfinite(s)), key=lambda c: (-scores[c], c)
        )[:5]
        top = [m.cooperative_id for m in engine.matches_for(demand.demand_id)[:5]]
        assert top[: len(expected)] == expected
