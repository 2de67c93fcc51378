"""Full re-scoring: 100,000 cooperatives against 10,000 demands, top 10 each.

    python -m bench.matching.full_rescore [--cooperatives 100000] [--demands 10000]

Demands are ranked in batches: grouped by product kind, each group is scored against the
shards of the kinds it can match through a sparse-matrix product and numpy arrays, and each
demand keeps its best candidates per shard. Three figures:

- index: ``OfferIndex.rank`` of all demands (top 10 and group proposals), the scoring itself;
- first publication: ``MatchingEngine.upsert_demands`` of all demands, which also builds
  every match record with its reasons in both languages;
- replay: ``MatchingEngine.rescore_all`` with nothing changed, which must publish nothing;

and the incremental path: changed cooperative profiles, one ``upsert_cooperative`` at a time,
each scored against all open demands, re-ranking only the demands it was matched to or could
now enter.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench.matching import synthetic
from bench.matching.machine import describe
from services.matching.domain.engine import MatchingEngine

TOP = 10
CHANGED = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cooperatives", type=int, default=100_000)
    parser.add_argument("--demands", type=int, default=10_000)
    args = parser.parse_args()
    print(describe())

    started = time.perf_counter()
    cooperatives = synthetic.cooperatives(args.cooperatives)
    demands = synthetic.demands(args.demands)
    engine = MatchingEngine(top_k=TOP)
    engine.upsert_cooperatives(cooperatives)
    index = engine._index
    scorer = engine._scorer
    offers = sum(len(c.products) for c in cooperatives)
    kinds = scorer.demand_rows(demands).kind.tolist()
    by_kind = index.offers_by_kind()
    compatibility = scorer.taxonomy.compatibility
    unknown = scorer.taxonomy.unknown_index
    listed = sum(
        n
        for kind in kinds
        if kind != unknown
        for shard, n in by_kind.items()
        if compatibility[kind, shard] >= 0
    )
    unlisted = sum(kind == unknown for kind in kinds)
    print(
        f"data: {len(cooperatives):,} cooperatives with {offers:,} product offers in "
        f"{len(by_kind)} kind shards; {len(demands):,} demands, of which {unlisted} name no "
        f"known kind; generated and indexed in {time.perf_counter() - started:.1f} s\n"
        f"pairs: {listed / 1e6:,.0f} M (demand, offer) pairs of compatible kinds scored in full; "
        f"the {unlisted} demands of no known kind are matched by text against all "
        f"{offers:,} offers first, then scored in full where the text is similar"
    )

    start = time.perf_counter()
    rankings = index.rank(demands, TOP)
    ranked = time.perf_counter() - start
    matched = sum(len(r.top) for r in rankings)
    groups = sum(1 for r in rankings if r.group)
    print(
        f"index, top-{TOP} for {len(demands):,} demands: {ranked:.2f} s "
        f"({matched:,} matches, {groups:,} group proposals)"
    )

    start = time.perf_counter()
    delta = engine.upsert_demands(demands)
    published = time.perf_counter() - start
    print(
        f"first publication, upsert_demands: {published:.2f} s "
        f"({len(delta.matches):,} match records with reasons)"
    )

    start = time.perf_counter()
    replay = engine.rescore_all()
    replayed = time.perf_counter() - start
    events = len(replay.matches) + len(replay.retractions)
    print(f"replay, rescore_all with nothing changed: {replayed:.2f} s, {events} events published")

    # Changed profiles: the same ids with other products, one event at a time.
    changed = synthetic.cooperatives(CHANGED, seed=9)
    seconds: list[float] = []
    published_events = 0
    for cooperative in changed:
        start = time.perf_counter()
        delta = engine.upsert_cooperative(cooperative)
        seconds.append(time.perf_counter() - start)
        published_events += len(delta.matches) + len(delta.retractions) + len(delta.leads)
    ms = np.array(seconds) * 1000
    print(
        f"changed cooperative against {len(demands):,} open demands, {CHANGED} profiles one at a "
        f"time: p50 {np.percentile(ms, 50):.1f} ms, p99 {np.percentile(ms, 99):.1f} ms "
        f"({published_events} events published)"
    )


if __name__ == "__main__":
    main()
