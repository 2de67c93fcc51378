"""The one interface every pairing solver implements, and what it gets and gives back."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import numpy as np

from services.conferences.domain.errors import PinnedMeetingsInfeasible
from services.conferences.domain.model import Progress
from services.conferences.domain.pairing_problem import POINTS_PER_SCORE, IntArray, PairingProblem

ProgressCallback = Callable[[Progress], None]


class SolveStatus(StrEnum):
    OPTIMAL = "optimal"  # proven: no better schedule exists
    FEASIBLE = "feasible"  # valid, maybe not the best (time limit, or a heuristic)


@dataclass(frozen=True, slots=True)
class SolveOptions:
    time_limit_seconds: float = 30.0
    workers: int = 2  # the machines have two cores
    seed: int = 0
    # Stop early once within this relative gap of the known upper bound: organisers gain
    # nothing from the last 0.1 % but wait for it.
    stop_at_gap: float = 0.001


@dataclass(frozen=True, slots=True)
class SolverOutcome:
    slot_of_pair: IntArray  # (P,) slot index per pair, -1 when not scheduled
    status: SolveStatus
    objective: int  # points: weights chosen minus floor penalties
    bound: int | None  # points: an upper bound the solver proved itself, if any
    seconds: float
    progress: tuple[Progress, ...] = ()


class PairingSolver(Protocol):
    name: str

    def solve(
        self,
        problem: PairingProblem,
        options: SolveOptions,
        *,
        progress: ProgressCallback | None = None,
        upper_bound: int | None = None,
    ) -> SolverOutcome:
        """Choose pairs and slots. ``upper_bound`` (points), when known, lets a solver stop
        once close enough to it."""
        ...


def heuristic_outcome(
    problem: PairingProblem,
    slot_of_pair: IntArray,
    *,
    started: float,
    progress: ProgressCallback | None,
    upper_bound: int | None,
) -> SolverOutcome:
    """The outcome of a one-shot heuristic: one progress report, no bound of its own.

    ``slot_of_pair``: (P,) slot index per pair, -1 when not scheduled."""
    missing = np.flatnonzero(problem.forced & (slot_of_pair < 0))
    if missing.size:
        listed = ", ".join("–".join(problem.pairs[p].key) for p in missing)
        raise PinnedMeetingsInfeasible(f"could not place pinned meetings: {listed}")
    objective = problem.objective_of(slot_of_pair)
    seconds = time.perf_counter() - started
    step = progress_step(problem, slot_of_pair, seconds, upper_bound, solutions=1)
    if progress is not None:
        progress(step)
    return SolverOutcome(slot_of_pair, SolveStatus.FEASIBLE, objective, None, seconds, (step,))


def progress_step(
    problem: PairingProblem,
    slot_of_pair: IntArray,
    elapsed_seconds: float,
    upper_bound: int | None,
    *,
    solutions: int,
) -> Progress:
    """``slot_of_pair``: (P,) slot index per pair, -1 when not scheduled."""
    return Progress(
        elapsed_seconds=elapsed_seconds,
        score=int(problem.weight[slot_of_pair >= 0].sum()) / POINTS_PER_SCORE,
        floor_missing=int(problem.floor_shortfall(slot_of_pair).sum()),
        objective=problem.objective_of(slot_of_pair) / POINTS_PER_SCORE,
        bound=None if upper_bound is None else upper_bound / POINTS_PER_SCORE,
        solutions=solutions,
    )
