"""OR-Tools CP-SAT: choose pairs and slots jointly, tables counted per slot.

Tables are interchangeable, so the model has one boolean per (pair, slot) the pair may use and
a count constraint per slot, instead of one per (pair, slot, table); tables are numbered
afterwards. The model is first solved on the pairs the flow relaxation chose, which is small
and usually closes the gap; the whole model runs only when that falls short.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from services.conferences.domain.errors import NoScheduleFound, PinnedMeetingsInfeasible
from services.conferences.domain.flow_relaxation import solve_flow_relaxation
from services.conferences.domain.model import Progress
from services.conferences.domain.pairing_problem import (
    POINTS_PER_SCORE,
    BoolArray,
    IntArray,
    PairingProblem,
)
from services.conferences.domain.solvers.base import (
    ProgressCallback,
    SolveOptions,
    SolverOutcome,
    SolveStatus,
    progress_step,
)
from services.conferences.domain.solvers.flow import flow_assignment
from services.conferences.domain.solvers.greedy import greedy_assignment


class _Watcher(cp_model.CpSolverSolutionCallback):
    """Reports each improving solution and stops the search when close enough to the bound."""

    def __init__(
        self,
        built: _Model,
        report: ProgressCallback | None,
        upper_bound: int | None,
        stop_at_gap: float,
        started: float,
        best_so_far: int,
    ) -> None:
        super().__init__()
        self._built = built
        # A partial model's first solutions may score below the schedule it was hinted
        # with; people should see the best so far only go up.
        self._best_so_far = best_so_far
        self._report = report
        self._upper_bound = upper_bound
        self._stop_at_gap = stop_at_gap
        self._started = started
        self.history: list[Progress] = []
        self.solutions = 0

    def on_solution_callback(self) -> None:
        self.solutions += 1
        objective = self.objective_value
        # A partial model's own bound is not a bound on the whole problem: only the whole
        # model's may tighten the one known.
        bound = self.best_objective_bound if self._built.whole else float("inf")
        if self._upper_bound is not None:
            bound = min(bound, self._upper_bound)
        if bound > 0 and (bound - objective) / bound <= self._stop_at_gap:
            self.stop_search()
        if objective <= self._best_so_far:
            return
        self._best_so_far = int(objective)
        missing = sum(self.value(short) for short in self._built.shortfall.values())
        step = Progress(
            elapsed_seconds=time.perf_counter() - self._started,
            score=(objective + self._built.floor_penalty * missing) / POINTS_PER_SCORE,
            floor_missing=int(missing),
            objective=objective / POINTS_PER_SCORE,
            bound=bound / POINTS_PER_SCORE,
            solutions=self.solutions,
        )
        self.history.append(step)
        if self._report is not None:
            self._report(step)


@dataclass
class _Model:
    """The (pair, slot) model over a subset of the pairs."""

    model: cp_model.CpModel
    x: list[cp_model.IntVar]  # (V,) one per (pair, slot) the pair may use
    var_pair: IntArray  # (V,)
    var_slot: IntArray  # (V,)
    shortfall: dict[int, cp_model.IntVar]  # cooperative index -> floor meetings missing
    floor_penalty: int
    whole: bool  # every pair has its variables

    def hint(self, problem: PairingProblem, slot_of_pair: IntArray) -> None:
        count = problem.meetings_per_participant(slot_of_pair)
        for var, p, s in zip(self.x, self.var_pair.tolist(), self.var_slot.tolist(), strict=True):
            self.model.add_hint(var, bool(slot_of_pair[p] == s))
        for i, short in self.shortfall.items():
            self.model.add_hint(short, max(0, int(problem.floor[i] - count[i])))

    def read(self, solver: cp_model.CpSolver, p_count: int) -> IntArray:
        slot_of_pair = np.full(p_count, -1, dtype=np.int64)
        for var, p, s in zip(self.x, self.var_pair.tolist(), self.var_slot.tolist(), strict=True):
            if solver.boolean_value(var):
                slot_of_pair[p] = s
        return slot_of_pair


def _build(problem: PairingProblem, pairs: BoolArray) -> _Model:
    """``pairs``: (P,) which pairs get variables; the others stay unscheduled."""
    var_pair, var_slot = np.nonzero(problem.pair_slots & pairs[:, None])
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{p}_{s}") for p, s in zip(var_pair, var_slot, strict=True)]
    by_pair: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    by_participant_slot: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    by_participant: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    by_slot: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for var, p, s in zip(x, var_pair.tolist(), var_slot.tolist(), strict=True):
        a = int(problem.pair_cooperative[p])
        b = int(problem.pair_counterpart[p])
        by_pair[p].append(var)
        by_participant_slot[(a, s)].append(var)
        by_participant_slot[(b, s)].append(var)
        by_participant[a].append(var)
        by_participant[b].append(var)
        by_slot[s].append(var)

    for p, pair_vars in by_pair.items():
        if problem.forced[p]:
            model.add_exactly_one(pair_vars)
        else:
            model.add_at_most_one(pair_vars)
    for group in by_participant_slot.values():
        if len(group) > 1:
            model.add_at_most_one(group)
    for i, group in by_participant.items():
        if int(problem.max_meetings[i]) < len(group):
            model.add(sum(group) <= int(problem.max_meetings[i]))
    for s, group in by_slot.items():
        if int(problem.table_capacity[s]) < len(group):
            model.add(sum(group) <= int(problem.table_capacity[s]))

    shortfall = {}
    for i in np.flatnonzero(problem.floor > 0).tolist():
        floor = int(problem.floor[i])
        short = model.new_int_var(0, floor, f"short{i}")
        model.add(sum(by_participant[i]) + short >= floor)
        shortfall[i] = short

    model.maximize(
        cp_model.LinearExpr.weighted_sum(x, problem.weight[var_pair].tolist())
        - problem.floor_penalty * sum(shortfall.values())
    )
    return _Model(model, x, var_pair, var_slot, shortfall, problem.floor_penalty, bool(pairs.all()))


class CpSatSolver:
    """Decomposed, then whole, all within the time limit:

    1. the flow relaxation chooses the pairs as if slots did not matter (exact, fast), and
       they are put in slots most constrained first, the rest filled greedily;
    2. CP-SAT re-slots the relaxation's pairs on a small model of them only. When it
       places them all, the schedule reaches the relaxation's bound and is proven optimal;
    3. otherwise the gaps are filled greedily and CP-SAT runs on the whole model, hinted
       with the best schedule so far, until the time limit or within ``stop_at_gap`` of
       the upper bound.
    """

    name = "cpsat"

    def solve(
        self,
        problem: PairingProblem,
        options: SolveOptions,
        *,
        progress: ProgressCallback | None = None,
        upper_bound: int | None = None,
    ) -> SolverOutcome:
        started = time.perf_counter()
        p_count = len(problem.pairs)
        relaxation = solve_flow_relaxation(problem)
        if not relaxation.selected[problem.forced].all():
            raise PinnedMeetingsInfeasible(
                "the pinned meetings cannot all be placed: some participant has more pins "
                "than free slots or tables allow"
            )
        bound = relaxation.bound if upper_bound is None else min(upper_bound, relaxation.bound)
        starts = [greedy_assignment(problem), flow_assignment(problem, relaxation.selected)]
        best = max(starts, key=problem.objective_of)
        history = [progress_step(problem, best, time.perf_counter() - started, bound, solutions=1)]
        if progress is not None:
            progress(history[0])

        def remaining() -> float:
            return options.time_limit_seconds - (time.perf_counter() - started)

        def close_enough() -> bool:
            objective = problem.objective_of(best)
            if objective >= bound:
                return True
            return bound > 0 and (bound - objective) / bound <= options.stop_at_gap

        phases = [
            # Step 2, half the time at most. Only the relaxation's pairs: a pure slotting
            # model that CP-SAT often solves exactly in seconds (tried: adding the best
            # schedule's pairs made it slower and worse on the benchmark).
            (relaxation.selected | problem.forced, 0.5),
            (np.ones(p_count, dtype=np.bool_), 1.0),  # step 3: the rest
        ]
        whole_bound: int | None = None
        for pairs, share in phases:
            if close_enough() or remaining() <= 0.1:
                break
            built = _build(problem, pairs)
            if remaining() <= 0.1:
                break  # building the whole model of a large conference takes seconds too
            built.hint(problem, best)
            solver = cp_model.CpSolver()
            solver.parameters.max_time_in_seconds = max(0.1, remaining() * share)
            solver.parameters.num_workers = options.workers
            solver.parameters.random_seed = options.seed
            solver.parameters.relative_gap_limit = options.stop_at_gap
            watcher = _Watcher(
                built, progress, bound, options.stop_at_gap, started, problem.objective_of(best)
            )
            status = solver.solve(built.model, watcher)
            history += watcher.history
            # Any model here, whole or partial, has a feasible empty schedule but for pins.
            if status == cp_model.INFEASIBLE:
                raise PinnedMeetingsInfeasible(
                    "the pinned meetings cannot all be placed together: they need more "
                    "tables, slots or meetings per participant than there are"
                )
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                # Pairs outside a partial model may still fit around its schedule.
                found = greedy_assignment(problem, start=built.read(solver, p_count))
                if problem.objective_of(found) >= problem.objective_of(best):
                    best = found
                if pairs.all():
                    whole_bound = int(np.floor(solver.best_objective_bound + 1e-6))

        if np.any(problem.forced & (best < 0)):
            raise NoScheduleFound(
                f"no schedule placing every pinned meeting was found within "
                f"{options.time_limit_seconds:.0f} s; give it more time or fewer pins"
            )
        objective = problem.objective_of(best)
        own_bound = relaxation.bound if whole_bound is None else min(whole_bound, relaxation.bound)
        return SolverOutcome(
            slot_of_pair=best,
            status=SolveStatus.OPTIMAL if own_bound == objective else SolveStatus.FEASIBLE,
            objective=objective,
            bound=own_bound,
            seconds=time.perf_counter() - started,
            progress=tuple(history),
        )
