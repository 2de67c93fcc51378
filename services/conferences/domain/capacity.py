"""Explains a schedule's limits: which meetings could not be placed and why, and which
cooperatives fell short of the fairness floor and why."""

from __future__ import annotations

from collections import Counter
from enum import StrEnum

import numpy as np

from services.conferences.domain.model import (
    CapacityReport,
    FairnessMode,
    FairnessReport,
    FloorShortfall,
    NotPlaced,
)
from services.conferences.domain.pairing_problem import IntArray, PairingProblem


class NotPlacedReason(StrEnum):
    NO_COMMON_SLOT = "no_common_slot"  # never both available (or one may have no meeting)
    PARTICIPANT_MAXIMUM = "participant_maximum"  # one of them reached their maximum
    TABLES_FULL = "tables_full"  # whenever both were free, every table was taken
    SCHEDULES_CLASH = "schedules_clash"  # in every common slot one of them was in a meeting
    LEFT_OUT = "left_out"  # there was room: a heuristic or time-limited solver left it out


class ShortfallReason(StrEnum):
    MAXIMUM_BELOW_FLOOR = "maximum_below_floor"  # the cooperative accepts fewer meetings
    FEW_MATCHES = "few_matches"  # fewer counterparts it could meet than the floor
    FEW_SLOTS = "few_slots"  # available in fewer slots than the floor
    CONTENTION = "contention"  # tables and counterparts' time went to others
    TRADED_FOR_SCORE = "traded_for_score"  # soft floor: the penalty was worth paying


def capacity_report(problem: PairingProblem, slot_of_pair: IntArray) -> CapacityReport:
    """``slot_of_pair``: (P,) slot index per pair, -1 when not scheduled."""
    n, s_count, p_count = problem.size
    chosen = np.flatnonzero(slot_of_pair >= 0)
    busy = ~problem.available.copy()  # (N, S)
    busy[problem.pair_cooperative[chosen], slot_of_pair[chosen]] = True
    busy[problem.pair_counterpart[chosen], slot_of_pair[chosen]] = True
    # Busy because of a meeting, as opposed to absent.
    in_meeting = np.zeros((n, s_count), dtype=np.bool_)
    in_meeting[problem.pair_cooperative[chosen], slot_of_pair[chosen]] = True
    in_meeting[problem.pair_counterpart[chosen], slot_of_pair[chosen]] = True
    tables_full = np.bincount(slot_of_pair[chosen], minlength=s_count) >= problem.table_capacity
    count = problem.meetings_per_participant(slot_of_pair)

    by_reason: Counter[str] = Counter()
    requested: list[NotPlaced] = []
    for p in np.flatnonzero(slot_of_pair < 0):
        a, b = int(problem.pair_cooperative[p]), int(problem.pair_counterpart[p])
        who: int | None = None
        common = problem.pair_slots[p]
        if not common.any():
            reason = NotPlacedReason.NO_COMMON_SLOT
        elif count[a] >= problem.max_meetings[a] or count[b] >= problem.max_meetings[b]:
            reason = NotPlacedReason.PARTICIPANT_MAXIMUM
            who = a if count[a] >= problem.max_meetings[a] else b
        else:
            both_free = common & ~busy[a] & ~busy[b]
            if not both_free.any():
                reason = NotPlacedReason.SCHEDULES_CLASH
            elif tables_full[both_free].all():
                reason = NotPlacedReason.TABLES_FULL
            else:
                reason = NotPlacedReason.LEFT_OUT
        by_reason[reason.value] += 1
        pair = problem.pairs[p]
        if pair.requested:
            requested.append(
                NotPlaced(
                    cooperative_id=pair.cooperative_id,
                    counterpart_id=pair.counterpart_id,
                    reason=reason.value,
                    participant_id=None if who is None else problem.participants.decode(who),
                    requested=True,
                )
            )
    return CapacityReport(
        table_slots=int(problem.table_capacity.sum()),
        candidate_meetings=p_count,
        placed=int(chosen.size),
        not_placed_by_reason=dict(by_reason),
        requested_not_placed=tuple(requested),
    )


def fairness_report(
    problem: PairingProblem, slot_of_pair: IntArray, *, floor: int, mode: FairnessMode
) -> FairnessReport:
    """Cooperatives below the floor. ``floor`` is the organisers' k; a cooperative's count
    includes meetings kept from an earlier schedule."""
    n, _, _ = problem.size
    count = problem.meetings_per_participant(slot_of_pair)
    with_match = np.zeros(n, dtype=np.bool_)
    with_match[problem.pair_cooperative] = True
    placeable = np.bincount(problem.pair_cooperative[problem.pair_slots.any(axis=1)], minlength=n)
    shortfalls = []
    for i in np.flatnonzero(problem.floor_wanted > 0):
        wanted = int(problem.floor_wanted[i])
        if count[i] >= wanted:
            continue
        if count[i] < problem.floor[i]:
            reason = (
                ShortfallReason.CONTENTION
                if mode is FairnessMode.HARD
                else ShortfallReason.TRADED_FOR_SCORE
            )
        elif problem.max_meetings[i] < wanted:
            reason = ShortfallReason.MAXIMUM_BELOW_FLOOR
        elif placeable[i] < wanted:
            reason = ShortfallReason.FEW_MATCHES
        else:
            # floor[i] is the least of these three limits and of the wish, so this is it.
            reason = ShortfallReason.FEW_SLOTS
        already = floor - wanted  # meetings kept from an earlier schedule
        shortfalls.append(
            FloorShortfall(
                cooperative_id=problem.participants.decode(int(i)),
                got=int(count[i]) + already,
                floor=floor,
                reason=reason.value,
            )
        )
    return FairnessReport(
        floor=floor,
        mode=mode,
        cooperatives_with_match=int(with_match.sum()),
        shortfalls=tuple(shortfalls),
    )
