"""One new demand against 100,000 cooperatives: latency of its top 10, and the same done by a
plain pairwise Python scorer, as a ratio.

    python -m bench.matching.single_demand [--cooperatives 100000] [--demands 200] [--pairwise 5]

Two latencies are measured for each new demand: the index ranking alone (top 10 and group
proposal) and ``MatchingEngine.upsert_demand`` end to end (ranking, match records with their
reasons, difference with what was published). The pairwise scorer is ``PairAssessor``: one
(demand, offer) pair at a time in Python, over every offer, on a few of the same demands;
its offers' TF-IDF vectors are prepared before timing, so it is timed on scoring alone.
"""

from __future__ import annotations

import argparse
import heapq
import time

import numpy as np

from bench.matching import synthetic
from bench.matching.machine import describe
from services.matching.domain.engine import MatchingEngine
from services.matching.domain.model import Cooperative
from services.matching.domain.pair_assessment import PairAssessor, PreparedOffer
from services.matching.domain.text_index import product_text

TOP = 10


def percentiles(seconds: list[float]) -> str:
    ms = np.array(seconds) * 1000
    return (
        f"p50 {np.percentile(ms, 50):6.1f} ms, p99 {np.percentile(ms, 99):6.1f} ms, "
        f"max {ms.max():6.1f} ms"
    )


def prepared_offers(
    engine: MatchingEngine, assessor: PairAssessor, cooperatives: list[Cooperative]
) -> list[PreparedOffer]:
    """Every offer with its TF-IDF vector as a dict, encoded in one call before timing."""
    pairs = [(c, o) for c in cooperatives for o in c.products]
    scorer = assessor.scorer
    vectors = scorer.encoder.encode([product_text(o.name, o.description) for _, o in pairs])
    prepared = []
    for row, (cooperative, offer) in enumerate(pairs):
        start, stop = vectors.indptr[row], vectors.indptr[row + 1]
        features = vectors.indices[start:stop].tolist()
        vector = dict(zip(features, vectors.data[start:stop].tolist(), strict=True))
        kind = engine._index.offer_kind(cooperative.cooperative_id, offer.product_id)
        prepared.append(PreparedOffer(cooperative, offer, kind, vector))
    return prepared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cooperatives", type=int, default=100_000)
    parser.add_argument("--demands", type=int, default=200)
    parser.add_argument("--pairwise", type=int, default=5, help="demands for the pairwise scorer")
    args = parser.parse_args()
    print(describe())

    started = time.perf_counter()
    cooperatives = synthetic.cooperatives(args.cooperatives)
    demands = synthetic.demands(args.demands, seed=3, prefix="new")
    engine = MatchingEngine(top_k=TOP)
    engine.upsert_cooperatives(cooperatives)
    offers = sum(len(c.products) for c in cooperatives)
    print(
        f"data: {len(cooperatives):,} cooperatives with {offers:,} product offers, "
        f"{len(demands)} new demands ({sum(d.product.isascii() for d in demands)} typed without "
        f"diacritics); generated and indexed in {time.perf_counter() - started:.1f} s"
    )

    ranking: list[float] = []
    for demand in demands:
        start = time.perf_counter()
        engine._index.rank([demand], TOP)
        ranking.append(time.perf_counter() - start)
    end_to_end: list[float] = []
    for demand in demands:
        start = time.perf_counter()
        engine.upsert_demand(demand)
        end_to_end.append(time.perf_counter() - start)
    print(f"index top-{TOP}, one demand:        {percentiles(ranking)}")
    print(f"upsert_demand end to end:      {percentiles(end_to_end)}")

    assessor = PairAssessor(engine._scorer)
    prepared = prepared_offers(engine, assessor, cooperatives)
    pairwise: list[float] = []
    agree = 0
    for demand in demands[: args.pairwise]:
        start = time.perf_counter()
        asked = assessor.prepare_demand(demand)
        scored = (
            (-assessment.score, offer.cooperative.cooperative_id)
            for offer in prepared
            if (assessment := assessor.assess(asked, offer)).candidate
        )
        best = heapq.nsmallest(TOP, scored)  # best score first, ties by id, as the index
        pairwise.append(time.perf_counter() - start)
        indexed = [m.cooperative_id for m in engine.matches_for(demand.demand_id)][: len(best)]
        agree += [c for _, c in best] == indexed
    sample = ranking[: args.pairwise]
    ratio = float(np.median(pairwise) / np.median(sample))
    print(
        f"pairwise Python scorer:        median {np.median(pairwise) * 1000:8.1f} ms per demand "
        f"over {args.pairwise} demands x {offers:,} offers; index median on the same demands "
        f"{np.median(sample) * 1000:.1f} ms: the index is {ratio:,.0f}x faster "
        f"(same top-{TOP} for {agree}/{args.pairwise})"
    )


if __name__ == "__main__":
    main()
