"""The baseline peers use: take the best pair that still fits, in its earliest free slot."""

from __future__ import annotations

import time

import numpy as np

from services.conferences.domain.pairing_problem import IntArray, PairingProblem
from services.conferences.domain.solvers.base import (
    ProgressCallback,
    SolveOptions,
    SolverOutcome,
    heuristic_outcome,
)


def default_order(problem: PairingProblem) -> IntArray:
    """Pinned pairs first, fewest slots first; then the rest by weight, best first."""
    options = problem.pair_slots.sum(axis=1)
    pinned = np.flatnonzero(problem.forced)
    pinned = pinned[np.lexsort((pinned, options[pinned]))]
    rest = np.flatnonzero(~problem.forced)
    rest = rest[np.lexsort((rest, -problem.weight[rest]))]
    return np.concatenate([pinned, rest])


def greedy_assignment(
    problem: PairingProblem, *, order: IntArray | None = None, start: IntArray | None = None
) -> IntArray:
    """(P,) slot per pair, -1 when not placed: each pair in ``order`` (default
    ``default_order``) goes to its earliest slot where both are free and a table is, if
    both are under their maximum. ``start``: (P,) meetings already placed, kept as they are.
    Ignores the fairness floor, as peers' tools do."""
    p_count = len(problem.pairs)
    slot_of_pair = (
        np.full(p_count, -1, dtype=np.int64) if start is None else start.astype(np.int64).copy()
    )
    placed = np.flatnonzero(slot_of_pair >= 0)
    busy = ~problem.available.copy()  # (N, S)
    busy[problem.pair_cooperative[placed], slot_of_pair[placed]] = True
    busy[problem.pair_counterpart[placed], slot_of_pair[placed]] = True
    room = problem.table_capacity - np.bincount(
        slot_of_pair[placed], minlength=len(problem.slots)
    )  # (S,)
    left = problem.max_meetings - problem.meetings_per_participant(slot_of_pair)  # (N,)
    for p in default_order(problem) if order is None else order:
        if slot_of_pair[p] >= 0:
            continue
        a, b = problem.pair_cooperative[p], problem.pair_counterpart[p]
        if left[a] <= 0 or left[b] <= 0:
            continue
        free = problem.pair_slots[p] & ~busy[a] & ~busy[b] & (room > 0)
        if not free.any():
            continue
        s = int(np.argmax(free))  # the earliest
        slot_of_pair[p] = s
        busy[a, s] = busy[b, s] = True
        room[s] -= 1
        left[a] -= 1
        left[b] -= 1
    return slot_of_pair


class GreedySolver:
    name = "greedy"

    def solve(
        self,
        problem: PairingProblem,
        options: SolveOptions,
        *,
        progress: ProgressCallback | None = None,
        upper_bound: int | None = None,
    ) -> SolverOutcome:
        started = time.perf_counter()
        return heuristic_outcome(
            problem,
            greedy_assignment(problem),
            started=started,
            progress=progress,
            upper_bound=upper_bound,
        )
