from __future__ import annotations

import itertools

import pytest

from services.conferences.domain.errors import PinnedMeetingsInfeasible, UnknownSolver
from services.conferences.domain.model import (
    FairnessMode,
    MeetingRequest,
    PairingInputs,
    Pin,
    Progress,
    RequestKind,
)
from services.conferences.domain.scheduling import generate_schedule
from services.conferences.domain.solvers import SolveOptions, solver_names

from .factories import (
    business,
    conference,
    coop,
    hard_constraint_breaches,
    pairs,
    random_case,
)

FAST = SolveOptions(time_limit_seconds=5.0, stop_at_gap=0.0)


@pytest.mark.parametrize("solver", ["cpsat", "flow", "greedy"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_solver_keeps_every_hard_constraint(solver: str, seed: int) -> None:
    conf, inputs = random_case(seed)
    result = generate_schedule(conf, inputs, solver=solver, options=FAST)
    assert result.schedule.meetings, "a schedule with room and candidates has meetings"
    assert hard_constraint_breaches(conf, inputs, result.schedule) == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hard_floor_leaves_no_matched_cooperative_without_a_meeting_unless_explained(
    seed: int,
) -> None:
    conf, inputs = random_case(seed, floor=1)
    fair = generate_schedule(conf, inputs, solver="cpsat", options=FAST)
    greedy = generate_schedule(conf, inputs, solver="greedy", options=FAST)
    assert hard_constraint_breaches(conf, inputs, fair.schedule) == []
    unwanted = {f.key for f in inputs.forbids} | {
        (r.requester_id, r.target_id) for r in inputs.requests if r.kind is RequestKind.DO_NOT_WANT
    }
    matched = {c.cooperative_id for c in inputs.candidates if c.key not in unwanted}
    explained = {s.cooperative_id for s in fair.fairness.shortfalls}
    for schedule_of, result in (("cpsat", fair), ("greedy", greedy)):
        met = {m.cooperative_id for m in result.schedule.meetings}
        assert matched - met == {s.cooperative_id for s in result.fairness.shortfalls}, schedule_of
    assert matched - {m.cooperative_id for m in fair.schedule.meetings} == explained
    assert len(fair.fairness.shortfalls) <= len(greedy.fairness.shortfalls)
    assert fair.status == "optimal"  # so any "contention" left is proven unavoidable


def test_fairness_floor_gives_every_matched_cooperative_a_meeting_greedy_would_not() -> None:
    # One business, two slots; the strong cooperative would take both slots by score.
    conf = conference(
        [coop("strong", 2), coop("weak", 2), business("buyer", 2)], slots=2, tables=1, floor=1
    )
    inputs = PairingInputs(
        candidates=pairs(("strong", "buyer", 0.9), ("weak", "buyer", 0.2)),
    )
    greedy = generate_schedule(conf, inputs, solver="greedy", options=FAST)
    fair = generate_schedule(conf, inputs, solver="cpsat", options=FAST)
    assert {m.cooperative_id for m in fair.schedule.meetings} == {"strong", "weak"}
    assert fair.fairness.met
    assert greedy.total_score >= fair.total_score  # fairness costs score, as intended


def test_greedy_is_beaten_when_the_best_pair_blocks_two_good_ones() -> None:
    # a-x is the best single pair, but a-y plus b-x are worth more together.
    conf = conference(
        [coop("a", 1), coop("b", 1), business("x", 1), business("y", 1)], slots=1, tables=2
    )
    inputs = PairingInputs(candidates=pairs(("a", "x", 1.0), ("a", "y", 0.9), ("b", "x", 0.9)))
    greedy = generate_schedule(conf, inputs, solver="greedy", options=FAST)
    cpsat = generate_schedule(conf, inputs, solver="cpsat", options=FAST)
    assert greedy.total_score == pytest.approx(1.0)
    assert cpsat.total_score == pytest.approx(1.8)
    assert {m.key for m in cpsat.schedule.meetings} == {("a", "y"), ("b", "x")}
    assert cpsat.status == "optimal"


@pytest.mark.parametrize("seed", [4, 5, 6, 7])
def test_cpsat_is_never_worse_than_greedy(seed: int) -> None:
    conf, inputs = random_case(seed)
    greedy = generate_schedule(conf, inputs, solver="greedy", options=FAST)
    cpsat = generate_schedule(conf, inputs, solver="cpsat", options=FAST)
    assert cpsat.objective >= greedy.objective - 1e-9


def test_cpsat_reaches_the_brute_force_optimum_and_the_bound_holds_it() -> None:
    conf = conference(
        [coop("a", 2), coop("b", 2), coop("c", 1), business("x", 2), business("y", 2)],
        slots=2,
        tables=2,
    )
    scores = {("a", "x"): 0.9, ("a", "y"): 0.8, ("b", "x"): 0.7, ("b", "y"): 0.6, ("c", "x"): 0.95}
    inputs = PairingInputs(candidates=pairs(*[(a, b, s) for (a, b), s in scores.items()]))
    result = generate_schedule(conf, inputs, solver="cpsat", options=FAST)
    best = _brute_force_best(
        scores, slots=2, tables=2, maxima={"a": 2, "b": 2, "c": 1, "x": 2, "y": 2}
    )
    assert result.total_score == pytest.approx(best)
    assert result.upper_bound >= best - 1e-9


def _brute_force_best(
    scores: dict[tuple[str, str], float], *, slots: int, tables: int, maxima: dict[str, int]
) -> float:
    best = 0.0
    keys = list(scores)
    for choice in itertools.product(range(-1, slots), repeat=len(keys)):
        per_slot = [0] * slots
        busy: set[tuple[str, int]] = set()
        count: dict[str, int] = dict.fromkeys(maxima, 0)
        ok = True
        for key, slot in zip(keys, choice, strict=True):
            if slot < 0:
                continue
            per_slot[slot] += 1
            for pid in key:
                ok &= (pid, slot) not in busy
                busy.add((pid, slot))
                count[pid] += 1
        ok &= all(n <= tables for n in per_slot) and all(count[p] <= maxima[p] for p in maxima)
        if ok:
            best = max(best, sum(scores[k] for k, s in zip(keys, choice, strict=True) if s >= 0))
    return best


@pytest.mark.parametrize("solver", ["cpsat", "flow", "greedy"])
def test_the_gap_is_reported_against_a_bound_at_least_the_objective(solver: str) -> None:
    conf, inputs = random_case(8)
    result = generate_schedule(conf, inputs, solver=solver, options=FAST)
    assert result.objective <= result.upper_bound + 1e-9
    assert 0.0 <= result.gap < 1.0
    assert result.bound_method in {"lp", "flow", "cpsat"}
    if result.status == "optimal":
        assert result.upper_bound == pytest.approx(result.objective)
    else:
        assert result.status == "feasible"


def test_a_mutual_request_wins_the_last_table_over_a_better_scored_pair() -> None:
    conf = conference([coop("a", 1), coop("b", 1), business("x", 1)], slots=1, tables=1)
    inputs = PairingInputs(
        candidates=pairs(("a", "x", 0.95), ("b", "x", 0.10)),
        requests=(
            MeetingRequest("b", "x", RequestKind.WOULD_LIKE),
            MeetingRequest("x", "b", RequestKind.WOULD_LIKE),
            # A one-sided "must meet" on the other pair still ranks below a mutual request.
            MeetingRequest("a", "x", RequestKind.MUST_MEET),
        ),
    )
    result = generate_schedule(conf, inputs, solver="cpsat", options=FAST)
    assert [m.key for m in result.schedule.meetings] == [("b", "x")]
    assert any(r.code == "mutual_request" for r in result.schedule.meetings[0].why)


def test_do_not_want_is_never_scheduled_even_with_the_best_score() -> None:
    conf = conference([coop("a"), business("x"), business("y")], slots=2, tables=2)
    inputs = PairingInputs(
        candidates=pairs(("a", "x", 1.0), ("a", "y", 0.1)),
        requests=(MeetingRequest("x", "a", RequestKind.DO_NOT_WANT),),
    )
    for solver in solver_names():
        result = generate_schedule(conf, inputs, solver=solver, options=FAST)
        assert [m.key for m in result.schedule.meetings] == [("a", "y")]


def test_a_pinned_pair_is_scheduled_in_its_slot_even_with_score_zero() -> None:
    conf = conference([coop("a", 1), coop("b", 1), business("x", 2)], slots=2, tables=1)
    inputs = PairingInputs(
        candidates=pairs(("b", "x", 0.9)),
        pins=(Pin("a", "x", "s2"),),
    )
    for solver in solver_names():
        result = generate_schedule(conf, inputs, solver=solver, options=FAST)
        placed = {m.key: m.slot_id for m in result.schedule.meetings}
        assert placed[("a", "x")] == "s2"
        assert hard_constraint_breaches(conf, inputs, result.schedule) == []


def test_pins_that_cannot_all_fit_are_refused_with_a_reason() -> None:
    # Two pins for x, but x is free in only one slot.
    conf = conference(
        [coop("a"), coop("b"), business("x", 2, availability={"s1"})], slots=2, tables=2
    )
    inputs = PairingInputs(pins=(Pin("a", "x"), Pin("b", "x")))
    with pytest.raises(PinnedMeetingsInfeasible):
        generate_schedule(conf, inputs, solver="cpsat", options=FAST)


def test_an_unknown_solver_name_is_an_error_not_a_fallback() -> None:
    conf, inputs = random_case(1)
    with pytest.raises(UnknownSolver, match="known solvers: cpsat, flow, greedy"):
        generate_schedule(conf, inputs, solver="simplex", options=FAST)


def test_progress_is_reported_while_solving() -> None:
    conf, inputs = random_case(2)
    seen: list[Progress] = []
    generate_schedule(conf, inputs, solver="cpsat", options=FAST, progress=seen.append)
    assert seen
    assert all(step.bound is None or step.objective <= step.bound + 1e-9 for step in seen)


def test_demand_over_capacity_is_counted_and_explained() -> None:
    # Four disjoint pairs, one table, two slots: only the tables stop the other two.
    people = [coop(f"c{i}", 1) for i in range(4)] + [business(f"x{i}", 1) for i in range(4)]
    conf = conference(people, slots=2, tables=1)
    inputs = PairingInputs(
        candidates=pairs(*[(f"c{i}", f"x{i}", 0.5 + i / 10) for i in range(4)]),
        requests=(MeetingRequest("c0", "x0", RequestKind.WOULD_LIKE),),
    )
    result = generate_schedule(conf, inputs, solver="cpsat", options=FAST)
    report = result.capacity
    assert (report.table_slots, report.candidate_meetings, report.placed) == (2, 4, 2)
    assert report.demand_exceeds_capacity
    assert report.not_placed_by_reason == {"tables_full": 2}
    # c0's request (0.5 + 0.5 bonus) outranks c2 (0.7); c3 (0.8) is best by score.
    assert {m.key for m in result.schedule.meetings} == {("c0", "x0"), ("c3", "x3")}


def test_a_requested_meeting_that_cannot_fit_is_listed_with_its_reason() -> None:
    conf = conference(
        [
            coop("a", 1),
            business("x", 1, availability={"s1"}),
            business("y", 1, availability={"s2"}),
        ],
        slots=2,
        tables=1,
    )
    inputs = PairingInputs(
        candidates=pairs(("a", "x", 0.9), ("a", "y", 0.1)),
        requests=(MeetingRequest("a", "y", RequestKind.WOULD_LIKE),),
    )
    result = generate_schedule(conf, inputs, solver="cpsat", options=FAST)
    assert [m.key for m in result.schedule.meetings] == [("a", "x")]
    (missed,) = result.capacity.requested_not_placed
    assert (missed.cooperative_id, missed.counterpart_id) == ("a", "y")
    assert (missed.reason, missed.participant_id) == ("participant_maximum", "a")


def test_soft_floor_trades_a_floor_meeting_for_a_much_better_pair() -> None:
    conf = conference(
        [coop("strong", 1), coop("weak", 1), business("buyer", 1)],
        slots=1,
        tables=1,
        floor=1,
        mode=FairnessMode.SOFT,
    )
    inputs = PairingInputs(candidates=pairs(("strong", "buyer", 0.9), ("weak", "buyer", 0.05)))
    # Penalty 0.5 < 0.85 gained: the soft floor gives way and says why.
    result = generate_schedule(conf, inputs, solver="cpsat", options=FAST, soft_floor_penalty=0.5)
    assert [m.key for m in result.schedule.meetings] == [("strong", "buyer")]
    assert [s.reason for s in result.fairness.shortfalls] == ["traded_for_score"]
    assert result.objective == pytest.approx(0.9 - 0.5)


def test_the_lp_bound_proves_optimal_where_the_slot_free_relaxation_cannot() -> None:
    # x can meet twice, but a and b are both free only in s1: the flow relaxation counts
    # a-x and b-x together (1.7), the LP knows x has one seat in s1 (1.4).
    conf = conference(
        [
            coop("a", availability={"s1"}),
            coop("b", availability={"s1"}),
            coop("c"),
            business("x", 2),
        ],
        slots=2,
        tables=2,
    )
    inputs = PairingInputs(candidates=pairs(("a", "x", 0.9), ("b", "x", 0.8), ("c", "x", 0.5)))
    result = generate_schedule(conf, inputs, solver="cpsat", options=FAST)
    assert {m.key for m in result.schedule.meetings} == {("a", "x"), ("c", "x")}
    assert result.upper_bound == pytest.approx(1.4)
    assert result.bound_method == "lp"
    assert result.status == "optimal"
    assert result.gap == 0.0


@pytest.mark.parametrize("solver", ["cpsat", "flow", "greedy"])
def test_a_conference_without_candidates_gets_an_empty_schedule_not_an_error(
    solver: str,
) -> None:
    conf = conference([coop("a"), business("x")], floor=1)
    result = generate_schedule(conf, PairingInputs(), solver=solver, options=FAST)
    assert result.schedule.meetings == ()
    assert (result.total_score, result.upper_bound, result.gap) == (0.0, 0.0, 0.0)
    assert not result.capacity.demand_exceeds_capacity
    assert result.fairness.cooperatives_with_match == 0
