"""Benchmark of the conference scheduler: CP-SAT against greedy and against the upper bound.

    python -m bench.conferences.schedule            # the issue's instance, then growth
    python -m bench.conferences.schedule --quick    # the issue's instance only

The issue's instance: 300 cooperatives, 100 businesses, 16 slots, 40 tables, about 3,000
candidate pairs (seeded random, see ``instances``). Scores are in score units: a perfect
match is 1.0, request bonuses add to it. The gap is (bound - objective) / bound.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from dataclasses import dataclass

import ortools

from bench.conferences.instances import make_instance
from services.conferences.domain.model import Language, SchedulingResult
from services.conferences.domain.reoptimisation import reoptimise
from services.conferences.domain.scheduling import generate_schedule
from services.conferences.domain.solvers import SolveOptions
from services.conferences.outputs.messages import capacity_message, fairness_message


@dataclass(frozen=True)
class Size:
    cooperatives: int
    businesses: int
    banks: int
    tables: int
    pairs: int

    @property
    def participants(self) -> int:
        return self.cooperatives + self.businesses + self.banks


ISSUE = Size(cooperatives=300, businesses=100, banks=0, tables=40, pairs=3000)
GROWTH = (
    ISSUE,
    Size(cooperatives=525, businesses=140, banks=35, tables=70, pairs=5250),
    Size(cooperatives=750, businesses=200, banks=50, tables=100, pairs=7500),
    Size(cooperatives=1500, businesses=400, banks=100, tables=200, pairs=15000),
)


def machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        ram = f"{memory:.0f} GiB"
    except (ValueError, OSError):
        ram = "unknown RAM"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"nproc={cores}, CPU: {model}, {ram}, Python {platform.python_version()}, "
        f"OR-Tools {ortools.__version__}"
    )


def run(
    size: Size, *, solver: str, seed: int, floor: int, options: SolveOptions
) -> tuple[SchedulingResult, float, int]:
    conference, inputs = make_instance(
        cooperatives=size.cooperatives,
        businesses=size.businesses,
        banks=size.banks,
        slots=16,
        tables=size.tables,
        pairs=size.pairs,
        fairness_floor=floor,
        seed=seed,
    )
    started = time.perf_counter()
    result = generate_schedule(conference, inputs, solver=solver, options=options)
    return result, time.perf_counter() - started, len(inputs.candidates)


def _missing(result: SchedulingResult) -> int:
    """Meetings missing to bring every cooperative with a match up to the floor."""
    return sum(s.floor - s.got for s in result.fairness.shortfalls)


def line(name: str, result: SchedulingResult, seconds: float) -> str:
    missing = _missing(result)
    # With the floor missed, the objective carries the hard floor's huge penalty: a gap
    # against the bound says nothing a person can use.
    gap = f"{100 * result.gap:7.3f} %" if missing == 0 else "  n/a   "
    return (
        f"  {name:<7} score {result.total_score:9.3f}  meetings {result.capacity.placed:5d}  "
        f"floor missing {missing:4d}  bound {result.upper_bound:9.3f} ({result.bound_method:<5})"
        f"  gap {gap}  {result.status:<8}  {seconds:6.1f} s"
    )


def reoptimisation(options: SolveOptions) -> None:
    """Mid-morning of the issue's day: 10 cooperatives and 3 businesses cancel, 5
    cooperatives arrive late; the schedule is regenerated from slot 7 on."""
    conference, inputs = make_instance(
        cooperatives=ISSUE.cooperatives,
        businesses=ISSUE.businesses,
        tables=ISSUE.tables,
        pairs=ISSUE.pairs,
        seed=1,
    )
    first = generate_schedule(conference, inputs, options=options).schedule
    cancelled = [f"coop-{i:04d}" for i in range(0, 100, 10)] + ["biz-0000", "biz-0001", "biz-0002"]
    late = {f"coop-{i:04d}": "s10" for i in range(5, 30, 5)}
    started = time.perf_counter()
    result = reoptimise(
        conference,
        inputs,
        first,
        now_slot_id="s07",
        cancelled=cancelled,
        late=late,
        options=options,
    )
    seconds = time.perf_counter() - started
    before = {m.meeting_id: m for m in first.meetings}
    kept = sum(1 for m in result.schedule.meetings if before.get(m.meeting_id) == m)
    new = len(result.schedule.meetings) - kept
    print(f"\n== re-optimisation from slot 7: {len(cancelled)} cancel, {len(late)} arrive late ==")
    print(
        f"  {len(first.meetings)} meetings before; {len(result.dropped)} dropped, {kept} kept in "
        f"place, {new} new in open slots, {len(result.schedule.meetings)} after"
    )
    print(
        f"  new meetings: score {result.total_score:.3f}, bound {result.upper_bound:.3f}, "
        f"gap {100 * result.gap:.3f} %, {result.status}, {seconds:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--quick", action="store_true", help="the issue's instance only")
    args = parser.parse_args()
    options = SolveOptions(time_limit_seconds=args.time_limit, workers=args.workers)
    print(f"machine: {machine()}")
    print(
        f"CP-SAT: {args.workers} workers, time limit {args.time_limit:.0f} s, "
        f"stops within {100 * options.stop_at_gap:.1f} % of the bound"
    )

    for floor in (0, 2):
        print(
            f"\n== {ISSUE.cooperatives} cooperatives, {ISSUE.businesses} businesses, 16 slots, "
            f"{ISSUE.tables} tables, ~{ISSUE.pairs} pairs, fairness floor k={floor} (hard) =="
        )
        for seed in args.seeds:
            results = {}
            for solver in ("greedy", "flow", "cpsat"):
                result, seconds, candidates = run(
                    ISSUE, solver=solver, seed=seed, floor=floor, options=options
                )
                results[solver] = result
                if solver == "greedy":
                    print(f" seed {seed}: {candidates} candidate pairs")
                print(line(solver, result, seconds))
            greedy, cpsat = results["greedy"], results["cpsat"]
            better = 100 * (cpsat.total_score / greedy.total_score - 1)
            print(
                f"  cpsat vs greedy: score {better:+.2f} %, floor missing "
                f"{_missing(greedy)} -> {_missing(cpsat)}"
            )
            if seed == args.seeds[0]:
                print("  " + capacity_message(cpsat.capacity, Language.EN))
                if floor:
                    print("  cpsat: " + fairness_message(cpsat.fairness, Language.EN))
                    print("  greedy: " + fairness_message(greedy.fairness, Language.EN))

    reoptimisation(options)
    if args.quick:
        return
    print("\n== growth: cpsat, k=0, seed 1 (tables and pairs grow with the participants) ==")
    for size in GROWTH:
        result, seconds, candidates = run(size, solver="cpsat", seed=1, floor=0, options=options)
        greedy, greedy_seconds, _ = run(size, solver="greedy", seed=1, floor=0, options=options)
        print(
            f" {size.participants:5d} participants, {size.tables:3d} tables, {candidates:5d} pairs:"
        )
        print(line("greedy", greedy, greedy_seconds))
        print(line("cpsat", result, seconds))


if __name__ == "__main__":
    main()
