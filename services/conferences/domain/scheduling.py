"""Generates a conference's schedule: validate, build the problem, bound it, solve it, number
the tables, and explain what did not fit."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from services.conferences.domain.bounds import best_bound
from services.conferences.domain.capacity import capacity_report, fairness_report
from services.conferences.domain.model import (
    Conference,
    Meeting,
    PairingInputs,
    Schedule,
    SchedulingResult,
    meeting_id_for,
)
from services.conferences.domain.pairing_problem import (
    DEFAULT_SOFT_FLOOR_PENALTY,
    POINTS_PER_SCORE,
    PairingProblem,
    build_problem,
    violations,
)
from services.conferences.domain.solvers import (
    ProgressCallback,
    SolveOptions,
    SolveStatus,
    get_solver,
)
from services.conferences.domain.tables import assign_tables
from services.conferences.domain.validation import validate


def generate_schedule(
    conference: Conference,
    inputs: PairingInputs,
    *,
    solver: str = "cpsat",
    options: SolveOptions | None = None,
    progress: ProgressCallback | None = None,
    soft_floor_penalty: float = DEFAULT_SOFT_FLOOR_PENALTY,
) -> SchedulingResult:
    """The best schedule ``solver`` finds within the time limit, with its gap to a bound.

    Raises ``ConferenceInputError`` naming bad input, ``UnknownSolver`` for an unknown solver
    name, ``PinnedMeetingsInfeasible`` when the organisers' pins cannot all be met."""
    chosen = get_solver(solver)  # an unknown name fails before any work
    validate(conference, inputs)
    problem = build_problem(conference, inputs, soft_floor_penalty=soft_floor_penalty)
    return solve_problem(
        conference,
        problem,
        solver=chosen.name,
        options=options or SolveOptions(),
        progress=progress,
    )


def solve_problem(
    conference: Conference,
    problem: PairingProblem,
    *,
    solver: str,
    options: SolveOptions,
    progress: ProgressCallback | None = None,
    kept: Sequence[Meeting] = (),
    dropped: Sequence[Meeting] = (),
    revision: int = 1,
) -> SchedulingResult:
    """Solve a built problem and add its meetings to ``kept`` ones, which stay as they are.

    Objective, bound and gap concern the meetings this run places."""
    started = time.perf_counter()
    chosen = get_solver(solver)
    # One time limit for the whole run: the LP bound may take a third of it, the solver
    # gets what is left.
    bound = best_bound(problem, lp_time_limit_seconds=options.time_limit_seconds / 3)
    left = max(1.0, options.time_limit_seconds - (time.perf_counter() - started))
    outcome = chosen.solve(
        problem,
        replace(options, time_limit_seconds=left),
        progress=progress,
        upper_bound=bound.points,
    )
    broken = violations(problem, outcome.slot_of_pair)
    if broken:
        # A solver bug; never hand organisers a schedule that double-books someone.
        raise RuntimeError(f"solver {solver!r} returned an invalid schedule: {broken[:5]}")
    upper, method = bound.points, bound.method
    if outcome.bound is not None and outcome.bound < upper:
        upper, method = outcome.bound, solver
    if upper < outcome.objective:
        raise RuntimeError(f"bound {method!r} ({upper}) is below a feasible schedule's objective")

    placed = np.flatnonzero(outcome.slot_of_pair >= 0)
    placements = [
        (problem.pairs[p].key, problem.slots.decode(int(outcome.slot_of_pair[p]))) for p in placed
    ]
    tables = assign_tables(
        placements,
        [s.slot_id for s in conference.meeting_slots()],
        conference.table_count,
        taken=[(m.key, m.slot_id, m.table) for m in kept],
    )
    new_meetings = []
    for p in placed:
        pair = problem.pairs[p]
        slot_id = problem.slots.decode(int(outcome.slot_of_pair[p]))
        new_meetings.append(
            Meeting(
                meeting_id=meeting_id_for(
                    conference.conference_id, pair.cooperative_id, pair.counterpart_id
                ),
                slot_id=slot_id,
                table=tables[pair.key],
                cooperative_id=pair.cooperative_id,
                counterpart_id=pair.counterpart_id,
                match_score=pair.match_score,
                why=pair.reasons,
            )
        )
    schedule = Schedule.of(conference.conference_id, [*kept, *new_meetings], revision)
    return SchedulingResult(
        schedule=schedule,
        solver=solver,
        # Whatever the solver knew, reaching a proven bound is optimal.
        status=SolveStatus.OPTIMAL.value if upper == outcome.objective else outcome.status.value,
        total_score=int(problem.weight[placed].sum()) / POINTS_PER_SCORE,
        objective=outcome.objective / POINTS_PER_SCORE,
        upper_bound=upper / POINTS_PER_SCORE,
        bound_method=method,
        seconds=time.perf_counter() - started,
        capacity=capacity_report(problem, outcome.slot_of_pair),
        fairness=fairness_report(
            problem,
            outcome.slot_of_pair,
            floor=conference.fairness_floor,
            mode=conference.fairness_mode,
        ),
        progress=outcome.progress,
        dropped=tuple(dropped),
    )
