"""The worker's settle path in the domain alone: new demands applied in rounds, then settled.

    python -m bench.matching.settle_rounds [--cooperatives 5000] [--open-demands 2000]
        [--sizes 1,10,100,500] [--demands 1000] [--repeat 3]

The engine holds the catalogue of the end-to-end benchmark (5,000 cooperatives, 8,802
offers) and 2,000 open demands, as the worker does once it serves. Then, for each round size,
new demands are applied inside ``engine.deferred()`` and ``engine.settle()`` ranks them,
builds their match records with reasons and works out what to publish: what the worker does
per round, without Kafka. Only that is timed; the round's demands are closed afterwards
(untimed), so every round starts from the same open demands.

Printed: CPU microseconds per new demand for each round size (median over the rounds, and
the best of ``--repeat`` passes over the same demands), with the machine.
"""

from __future__ import annotations

import argparse
import gc
import time

import numpy as np

from bench.matching import synthetic
from bench.matching.machine import describe
from services.matching.domain.engine import MatchingEngine
from services.matching.domain.model import Demand


def settle_round(engine: MatchingEngine, demands: list[Demand]) -> tuple[float, int]:
    """CPU seconds to apply and settle one round, and the match records it published."""
    start = time.process_time()
    with engine.deferred():
        for demand in demands:
            engine.upsert_demand(demand)
    delta = engine.settle()
    spent = time.process_time() - start
    with engine.deferred():
        for demand in demands:
            engine.close_demand(demand.demand_id)
    engine.settle()
    return spent, len(delta.matches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cooperatives", type=int, default=5_000)
    parser.add_argument("--open-demands", type=int, default=2_000)
    parser.add_argument("--sizes", default="1,10,100,500", help="demands per round")
    parser.add_argument("--demands", type=int, default=1_000, help="new demands per size")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the same rounds")
    args = parser.parse_args()
    print(describe())

    started = time.perf_counter()
    cooperatives = synthetic.cooperatives(args.cooperatives)
    engine = MatchingEngine()
    engine.upsert_cooperatives(cooperatives)
    engine.upsert_demands(synthetic.demands(args.open_demands, seed=3, prefix="open"))
    new = synthetic.demands(args.demands, seed=11, prefix="new")
    offers = sum(len(c.products) for c in cooperatives)
    print(
        f"data: {len(cooperatives):,} cooperatives, {offers:,} offers, "
        f"{args.open_demands:,} open demands; {len(new):,} new demands per round size; "
        f"ready in {time.perf_counter() - started:.1f} s"
    )
    # One pass untimed: the text encoder and the id cache keep what they have seen, as a
    # worker's do; every timed pass then starts from the same caches.
    for demand in new:
        settle_round(engine, [demand])

    for size in [int(s) for s in args.sizes.split(",")]:
        rounds = [new[i : i + size] for i in range(0, len(new), size)]
        passes = []
        for _ in range(args.repeat):
            gc.collect()  # a pass starts with no garbage pending; collections within count
            timed = [settle_round(engine, r) for r in rounds]
            per_demand = [spent / len(r) * 1e6 for (spent, _), r in zip(timed, rounds, strict=True)]
            total = sum(spent for spent, _ in timed) / len(new) * 1e6
            passes.append((total, float(np.median(per_demand))))
        records = sum(n for _, n in timed)
        best_total = min(t for t, _ in passes)
        print(
            f"rounds of {size:>4}: {best_total:7.1f} us per demand (best of {args.repeat}: "
            + ", ".join(f"{t:.1f}" for t, _ in passes)
            + f"; median round {min(m for _, m in passes):.1f}) "
            f"{len(rounds)} rounds, {records / len(new):.1f} match records per demand"
        )


if __name__ == "__main__":
    main()
