from __future__ import annotations

import numpy as np
import pytest

from services.conferences.domain.bounds import best_bound, flow_bound, lp_bound
from services.conferences.domain.model import (
    CandidatePair,
    Forbid,
    Meeting,
    MeetingRequest,
    PairingInputs,
    PairReason,
    Pin,
    RequestKind,
)
from services.conferences.domain.pairing_problem import (
    POINTS_PER_SCORE,
    PairingProblem,
    build_problem,
    violations,
)
from services.conferences.domain.solvers import SolveOptions, get_solver

from .factories import business, conference, coop, pairs, random_case


def _weights(problem: PairingProblem) -> dict[tuple[str, str], float]:
    return {p.key: p.weight for p in problem.pairs}


def test_a_mutual_request_outranks_any_one_sided_request_whatever_the_scores() -> None:
    conf = conference([coop("a"), coop("b"), business("x")])
    inputs = PairingInputs(
        candidates=pairs(("a", "x", 1.0), ("b", "x", 0.0)),
        requests=(
            MeetingRequest("a", "x", RequestKind.MUST_MEET),
            MeetingRequest("b", "x", RequestKind.WOULD_LIKE),
            MeetingRequest("x", "b", RequestKind.WOULD_LIKE),
        ),
    )
    weights = _weights(build_problem(conf, inputs))
    assert weights[("b", "x")] > weights[("a", "x")]


def test_do_not_want_and_forbidden_pairs_are_not_candidates_at_all() -> None:
    conf = conference([coop("a"), coop("b"), business("x")])
    inputs = PairingInputs(
        candidates=pairs(("a", "x", 0.9), ("b", "x", 0.8)),
        requests=(
            MeetingRequest("a", "x", RequestKind.WOULD_LIKE),
            MeetingRequest("x", "a", RequestKind.DO_NOT_WANT),
        ),
        forbids=(Forbid("b", "x"),),
    )
    assert build_problem(conf, inputs).pairs == ()


def test_several_matches_of_one_pair_count_once_with_the_best_score_and_all_reasons() -> None:
    fit = PairReason("product_fit", "fits", "phù hợp")
    near = PairReason("distance", "near", "gần")
    conf = conference([coop("a"), business("x")])
    inputs = PairingInputs(
        candidates=(
            CandidatePair("a", "x", 0.4, (near,)),
            CandidatePair("a", "x", 0.7, (fit,)),
        )
    )
    (pair,) = build_problem(conf, inputs).pairs
    assert pair.match_score == 0.7
    assert pair.reasons == (fit, near)


def test_a_request_or_pin_without_a_match_still_makes_a_candidate() -> None:
    conf = conference([coop("a"), coop("b"), business("x")])
    inputs = PairingInputs(
        requests=(MeetingRequest("x", "a", RequestKind.MUST_MEET),),
        pins=(Pin("b", "x"),),
    )
    problem = build_problem(conf, inputs)
    assert {p.key for p in problem.pairs} == {("a", "x"), ("b", "x")}
    assert problem.forced.tolist() == [False, True]


def test_pair_slots_are_the_slots_both_can_attend() -> None:
    conf = conference(
        [coop("a", availability={"s1", "s2"}), business("x", availability={"s2", "s3"})], slots=3
    )
    problem = build_problem(conf, PairingInputs(candidates=pairs(("a", "x", 0.5))))
    assert problem.slots.ids == ("s1", "s2", "s3")
    assert problem.pair_slots.tolist() == [[False, True, False]]


def test_the_floor_is_cut_to_what_the_cooperative_itself_allows() -> None:
    conf = conference(
        [coop("one", 1), coop("few", 3, availability={"s1"}), coop("two", 3), business("x", 3)],
        slots=3,
        floor=2,
    )
    problem = build_problem(
        conf,
        PairingInputs(candidates=pairs(("one", "x", 0.5), ("few", "x", 0.5), ("two", "x", 0.5))),
    )
    floors = dict(zip(problem.participants.ids, problem.floor.tolist(), strict=True))
    # "two" has a single counterpart: one meeting at most.
    assert floors == {"one": 1, "few": 1, "two": 1, "x": 0}
    assert problem.floor_wanted.tolist() == [2, 2, 2, 0]


def test_kept_meetings_take_their_table_time_and_maximum() -> None:
    conf = conference([coop("a", 2), coop("b"), business("x", 2)], slots=2, tables=2)
    kept = [Meeting("m1", "s1", 1, "a", "x", 0.5)]
    inputs = PairingInputs(candidates=pairs(("a", "x", 0.5), ("b", "x", 0.4)))
    problem = build_problem(conf, inputs, kept=kept)
    assert [p.key for p in problem.pairs] == [("b", "x")]  # a-x already meets
    assert problem.table_capacity.tolist() == [1, 2]
    a, x = problem.participants.encode("a"), problem.participants.encode("x")
    assert problem.available[a].tolist() == [False, True]
    assert problem.available[x].tolist() == [False, True]
    assert problem.max_meetings[[a, x]].tolist() == [1, 1]


def test_the_feasibility_check_catches_a_double_booking() -> None:
    conf = conference([coop("a"), coop("b"), business("x")], slots=1, tables=2)
    problem = build_problem(conf, PairingInputs(candidates=pairs(("a", "x", 0.5), ("b", "x", 0.5))))
    assert any("double-booked" in v for v in violations(problem, np.array([0, 0])))
    assert violations(problem, np.array([0, -1])) == []


def test_flow_bound_is_the_optimum_when_everybody_is_free_all_day() -> None:
    conf = conference(
        [coop("a", 2), coop("b", 2), business("x", 2), business("y", 2)], slots=2, tables=2
    )
    inputs = PairingInputs(
        candidates=pairs(("a", "x", 0.9), ("a", "y", 0.6), ("b", "x", 0.8), ("b", "y", 0.1))
    )
    problem = build_problem(conf, inputs)
    # Four meetings fit (2 slots x 2 tables) and no one exceeds two: all are met.
    assert flow_bound(problem).points == round(2.4 * POINTS_PER_SCORE)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_bounds_are_never_below_any_solvers_objective(seed: int) -> None:
    conf, inputs = random_case(seed, floor=1)
    problem = build_problem(conf, inputs)
    lp = lp_bound(problem)
    assert lp is not None
    flow = flow_bound(problem)
    assert best_bound(problem).points == min(lp.points, flow.points)
    for name in ("greedy", "flow", "cpsat"):
        outcome = get_solver(name).solve(problem, SolveOptions(time_limit_seconds=5.0))
        assert outcome.objective <= lp.points
        assert outcome.objective <= flow.points
