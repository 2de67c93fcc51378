"""Upper bounds on the best schedule, so a schedule's quality is a gap, not only a number.

Two relaxations, both valid for any solver's answer:

* ``lp``: the linear relaxation of the (pair, slot) model the CP-SAT solver uses, solved by
  HiGHS. Tight; about a second on thousands of pairs.
* ``flow``: the slot-free relaxation (see ``flow_relaxation``), exact as a min-cost flow in
  milliseconds; looser than ``lp`` when availability differs between participants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, vstack

from services.conferences.domain.flow_relaxation import solve_flow_relaxation
from services.conferences.domain.pairing_problem import PairingProblem


@dataclass(frozen=True, slots=True)
class Bound:
    points: int
    method: str


def lp_bound(problem: PairingProblem, time_limit_seconds: float = 30.0) -> Bound | None:
    """The LP relaxation's optimum rounded down, or None if HiGHS did not finish in time."""
    n, s_count, p_count = problem.size
    var_pair, var_slot = np.nonzero(problem.pair_slots)  # (V,)
    v_count = var_pair.size
    floor_rows = np.flatnonzero(problem.floor > 0)  # cooperatives with a floor
    f_count = floor_rows.size
    if v_count == 0:
        return Bound(-problem.floor_penalty * int(problem.floor.sum()), "lp")

    a = problem.pair_cooperative[var_pair]
    b = problem.pair_counterpart[var_pair]
    # Row blocks: pairs | (participant, slot) | participants | slots | floors.
    pair_row0, ps_row0 = 0, p_count
    part_row0 = ps_row0 + n * s_count
    slot_row0 = part_row0 + n
    floor_row0 = slot_row0 + s_count
    columns = np.arange(v_count)
    floor_index = np.full(n, -1, dtype=np.int64)
    floor_index[floor_rows] = np.arange(f_count)
    in_floor = floor_index[a] >= 0
    rows = [
        pair_row0 + var_pair,
        ps_row0 + a * s_count + var_slot,
        ps_row0 + b * s_count + var_slot,
        part_row0 + a,
        part_row0 + b,
        slot_row0 + var_slot,
        floor_row0 + floor_index[a][in_floor],
        floor_row0 + np.arange(f_count),
    ]
    cols = [columns] * 6 + [columns[in_floor], v_count + np.arange(f_count)]
    values = [np.ones(v_count)] * 6 + [-np.ones(int(in_floor.sum())), -np.ones(f_count)]
    row_count = floor_row0 + f_count
    matrix = coo_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
        shape=(row_count, v_count + f_count),
    ).tocsr()
    upper = np.concatenate(
        [
            np.ones(p_count),
            np.ones(n * s_count),
            problem.max_meetings.astype(float),
            problem.table_capacity.astype(float),
            -problem.floor[floor_rows].astype(float),
        ]
    )
    # A pinned pair must meet: its row is an equality, written as a second, negated row.
    forced = np.flatnonzero(problem.forced)
    if forced.size:
        matrix = vstack([matrix, -matrix[pair_row0 + forced]]).tocsr()
        upper = np.concatenate([upper, -np.ones(forced.size)])
    cost = np.concatenate(
        [-problem.weight[var_pair].astype(float), np.full(f_count, float(problem.floor_penalty))]
    )
    bounds = np.column_stack(
        [np.zeros(v_count + f_count), np.concatenate([np.ones(v_count), problem.floor[floor_rows]])]
    )
    result = linprog(
        cost,
        A_ub=matrix,
        b_ub=upper,
        bounds=bounds,
        method="highs",
        options={"time_limit": float(time_limit_seconds), "presolve": True},
    )
    if result.status != 0:
        return None
    value = -float(result.fun)
    # The schedule's objective is a whole number of points: round the LP down, after allowing
    # for the solver's tolerance.
    return Bound(math.floor(value + 1e-6 * max(1.0, abs(value))), "lp")


def flow_bound(problem: PairingProblem) -> Bound:
    return Bound(solve_flow_relaxation(problem).bound, "flow")


def best_bound(
    problem: PairingProblem, *, lp_time_limit_seconds: float = 30.0, use_lp: bool = True
) -> Bound:
    """The tightest of the bounds that finished."""
    found = [flow_bound(problem)]
    if use_lp:
        lp = lp_bound(problem, lp_time_limit_seconds)
        if lp is not None:
            found.append(lp)
    return min(found, key=lambda bound: bound.points)
