"""The slot-free relaxation of the pairing problem, solved exactly as a min-cost flow.

Forget which slot a meeting takes, except for counting: each participant meets at most
min(maximum, slots free) others and all meetings together fit the tables. What is left is a
max-weight b-matching on the bipartite cooperative/counterpart graph, a min-cost flow:

    source -> cooperative -> counterpart -> sink, plus a source -> sink bypass,

with the tables' total as the flow pushed. A cooperative's first ``floor`` units of flow
earn the floor penalty back, so the fairness floor is modelled exactly; a pinned pair earns
a bonus larger than everything else together, so it is always chosen when it can be.

Its optimum bounds every schedule's objective from above. When everybody is free all day
and nothing is pinned it is the optimum itself: a bipartite graph's edges can be split
evenly over any number of colours at least its largest degree, here the slots.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from services.conferences.domain.pairing_problem import BoolArray, PairingProblem


@dataclass(frozen=True, slots=True)
class FlowRelaxation:
    selected: BoolArray  # (P,) pairs the relaxation meets
    bound: int  # points: no schedule's objective exceeds it


def solve_flow_relaxation(problem: PairingProblem) -> FlowRelaxation:
    n, _, p_count = problem.size
    usable = np.flatnonzero(problem.pair_slots.any(axis=1))
    # Slots free bound a degree too: nobody meets two people at once.
    degree = np.minimum(problem.max_meetings, problem.available.sum(axis=1)).astype(np.int64)
    floor = np.minimum(problem.floor, degree)
    capacity = int(problem.table_capacity.sum())
    penalty = problem.floor_penalty
    forced = problem.forced[usable]
    pinned_bonus = int(np.abs(problem.weight).sum() + penalty * floor.sum() + 1)

    source, sink = n, n + 1
    cooperatives = np.unique(problem.pair_cooperative[usable])
    counterparts = np.unique(problem.pair_counterpart[usable])
    with_floor = cooperatives[floor[cooperatives] > 0]
    tails = np.concatenate(
        [
            np.full(with_floor.size, source),  # floor arcs
            np.full(cooperatives.size, source),  # the rest of each cooperative's degree
            problem.pair_cooperative[usable],
            counterparts,
            [source],  # bypass: table capacity no meeting uses
        ]
    )
    heads = np.concatenate(
        [
            with_floor,
            cooperatives,
            problem.pair_counterpart[usable],
            np.full(counterparts.size, sink),
            [sink],
        ]
    )
    capacities = np.concatenate(
        [
            floor[with_floor],
            degree[cooperatives] - floor[cooperatives],
            np.ones(usable.size, dtype=np.int64),
            degree[counterparts],
            [capacity],
        ]
    )
    costs = np.concatenate(
        [
            np.full(with_floor.size, -penalty, dtype=np.int64),
            np.zeros(cooperatives.size, dtype=np.int64),
            -(problem.weight[usable] + pinned_bonus * forced),
            np.zeros(counterparts.size + 1, dtype=np.int64),
        ]
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int64),
        heads.astype(np.int64),
        capacities.astype(np.int64),
        costs.astype(np.int64),
    )
    flow.set_nodes_supplies(np.array([source, sink]), np.array([capacity, -capacity]))
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    pair_arcs = arcs[with_floor.size + cooperatives.size :][: usable.size]
    selected = np.zeros(p_count, dtype=np.bool_)
    selected[usable[flow.flows(pair_arcs) > 0]] = True
    gained = -int(flow.optimal_cost())
    bound = gained - pinned_bonus * int(problem.forced.sum()) - penalty * int(floor.sum())
    return FlowRelaxation(selected=selected, bound=bound)
