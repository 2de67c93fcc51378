"""Builds the weighted pairing problem the solvers see: which pairs may meet, in which slots,
worth how much, under which limits.

Weights are whole "points" (1000 per unit of score) so every solver, bound and report
compares exact integers. A pair's weight is its best match score plus request bonuses; the
bonuses are sized so a mutual request outranks any one-sided request whatever the scores.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from services.conferences.domain.encoding import Encoder
from services.conferences.domain.errors import PinnedMeetingsInfeasible
from services.conferences.domain.model import (
    Conference,
    FairnessMode,
    Meeting,
    PairingInputs,
    PairReason,
    RequestKind,
    pair_key,
)

POINTS_PER_SCORE = 1000

WOULD_LIKE_BONUS = 0.5
MUST_MEET_BONUS = 1.0
# A one-sided request reaches at most 1.0 (score) + 1.0 (must meet) = 2.0; a mutual one starts
# at 0.5 + 0.5 + 1.5 = 2.5, so "mutual ranks highest" holds for any scores.
MUTUAL_BONUS = 1.5
DEFAULT_SOFT_FLOOR_PENALTY = 1.0

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

PAIR_PINNED = PairReason(
    "pinned", "The organisers arranged this meeting", "Ban tổ chức sắp xếp cuộc gặp này"
)
PAIR_MUTUAL = PairReason(
    "mutual_request", "Both asked to meet each other", "Cả hai bên đều đề nghị gặp nhau"
)


def _requested_by(name: str, kind: RequestKind) -> PairReason:
    if kind is RequestKind.MUST_MEET:
        return PairReason(
            "must_meet", f"{name} asked to meet (priority)", f"{name} đề nghị gặp (ưu tiên)"
        )
    return PairReason("would_like", f"{name} asked to meet", f"{name} mong muốn gặp")


@dataclass(frozen=True, slots=True)
class WeightedPair:
    cooperative_id: str
    counterpart_id: str
    match_score: float  # best score from the scoring service, 0 if only requested or pinned
    bonus: float  # request bonuses
    reasons: tuple[PairReason, ...]
    requested: bool  # someone asked for it, or the organisers pinned it
    mutual: bool
    pinned: bool
    pinned_slot: str | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.cooperative_id, self.counterpart_id)

    @property
    def weight(self) -> float:
        return self.match_score + self.bonus

    @property
    def points(self) -> int:
        return round(self.weight * POINTS_PER_SCORE)


@dataclass(frozen=True, eq=False)
class PairingProblem:
    """The arrays a solver sees. Shapes: N participants, S open meeting slots (time order),
    P candidate pairs. Index ``i`` along an axis is ``participants.decode(i)``,
    ``slots.decode(s)`` or ``pairs[p]``.

    Every pair joins a cooperative and a business or bank, so the pairs form a bipartite
    graph; a solver needs no more than these arrays.
    """

    participants: Encoder  # N
    slots: Encoder  # S
    pairs: tuple[WeightedPair, ...]  # P
    pair_cooperative: IntArray  # (P,) participant index of the cooperative
    pair_counterpart: IntArray  # (P,) participant index of the business or bank
    weight: IntArray  # (P,) points, > 0 except a pinned pair of score 0
    pair_slots: BoolArray  # (P, S) slots where the pair may meet
    forced: BoolArray  # (P,) pinned: must be scheduled
    available: BoolArray  # (N, S) participant free and present in the slot
    max_meetings: IntArray  # (N,) meetings each may still have
    table_capacity: IntArray  # (S,) tables still free in each slot
    floor: IntArray  # (N,) fairness floor each cooperative's own limits allow; 0 for others
    floor_wanted: IntArray  # (N,) the floor asked for, less meetings already kept
    floor_penalty: int  # points lost per missing floor meeting

    @property
    def size(self) -> tuple[int, int, int]:
        """(N, S, P)."""
        return (len(self.participants), len(self.slots), len(self.pairs))

    def objective_of(self, slot_of_pair: IntArray) -> int:
        """Points of an assignment: chosen weights minus floor penalties.

        ``slot_of_pair``: (P,) slot index per pair, -1 when not scheduled."""
        return int(self.weight[slot_of_pair >= 0].sum()) - self.floor_penalty * int(
            self.floor_shortfall(slot_of_pair).sum()
        )

    def meetings_per_participant(self, slot_of_pair: IntArray) -> IntArray:
        """(N,) meetings each participant has in the assignment."""
        chosen = slot_of_pair >= 0
        counts = np.bincount(self.pair_cooperative[chosen], minlength=len(self.participants))
        counts += np.bincount(self.pair_counterpart[chosen], minlength=len(self.participants))
        return counts.astype(np.int64)

    def floor_shortfall(self, slot_of_pair: IntArray) -> IntArray:
        """(N,) meetings missing to reach each cooperative's floor."""
        return np.maximum(self.floor - self.meetings_per_participant(slot_of_pair), 0)


def build_problem(
    conference: Conference,
    inputs: PairingInputs,
    *,
    kept: Sequence[Meeting] = (),
    open_slot_ids: Collection[str] | None = None,
    absent: Collection[str] = (),
    soft_floor_penalty: float = DEFAULT_SOFT_FLOOR_PENALTY,
) -> PairingProblem:
    """The pairing problem of a validated conference.

    ``kept`` meetings stay where they are: their participants are busy in their slots, their
    tables are taken, they count against maxima and floors, and their pairs are not offered
    again. Only ``open_slot_ids`` (default: all) may take new meetings; ``absent``
    participants get none.
    """
    people = conference.participants_by_id()
    absent_ids = frozenset(absent)
    meeting_slots = [
        s for s in conference.meeting_slots() if open_slot_ids is None or s.slot_id in open_slot_ids
    ]
    slots = Encoder(s.slot_id for s in meeting_slots)
    participants = Encoder(p.participant_id for p in conference.participants)
    n, s_count = len(participants), len(slots)

    kept_count = np.zeros(n, dtype=np.int64)
    available = np.zeros((n, s_count), dtype=np.bool_)
    for i, pid in enumerate(participants.ids):
        if pid in absent_ids:
            continue
        for s, slot_id in enumerate(slots.ids):
            available[i, s] = people[pid].is_available(slot_id)
    table_capacity = np.full(s_count, conference.table_count, dtype=np.int64)
    kept_keys = set()
    for meeting in kept:
        kept_keys.add(meeting.key)
        for pid in meeting.key:
            if pid in participants:
                kept_count[participants.encode(pid)] += 1
        if meeting.slot_id in slots:
            s = slots.encode(meeting.slot_id)
            table_capacity[s] -= 1
            for pid in meeting.key:
                if pid in participants:
                    available[participants.encode(pid), s] = False
    table_capacity = np.maximum(table_capacity, 0)
    max_meetings = np.array(
        [
            max(0, people[pid].max_meetings - int(kept_count[i]))
            for i, pid in enumerate(participants.ids)
        ],
        dtype=np.int64,
    )

    pairs = _weighted_pairs(conference, inputs, excluded=kept_keys, absent=absent_ids)
    p_count = len(pairs)
    pair_cooperative = np.array(
        [participants.encode(p.cooperative_id) for p in pairs], dtype=np.int64
    ).reshape(p_count)
    pair_counterpart = np.array(
        [participants.encode(p.counterpart_id) for p in pairs], dtype=np.int64
    ).reshape(p_count)
    weight = np.array([p.points for p in pairs], dtype=np.int64).reshape(p_count)
    forced = np.array([p.pinned for p in pairs], dtype=np.bool_).reshape(p_count)
    pair_slots = available[pair_cooperative] & available[pair_counterpart]
    for p, pair in enumerate(pairs):
        if pair.pinned_slot is not None:
            only = np.zeros(s_count, dtype=np.bool_)
            if pair.pinned_slot in slots:
                only[slots.encode(pair.pinned_slot)] = True
            pair_slots[p] &= only
    # A pair whose participant may have no meeting at all can never be placed.
    pair_slots[(max_meetings[pair_cooperative] == 0) | (max_meetings[pair_counterpart] == 0)] = (
        False
    )
    impossible = [pairs[p].key for p in np.flatnonzero(forced & ~pair_slots.any(axis=1))]
    if impossible:
        listed = ", ".join(f"{a}–{b}" for a, b in impossible)
        raise PinnedMeetingsInfeasible(
            f"pinned meetings with no slot both can attend (or a participant at their "
            f"maximum): {listed}"
        )

    is_cooperative = np.array(
        [people[pid].is_cooperative for pid in participants.ids], dtype=np.bool_
    )
    has_match = np.zeros(n, dtype=np.bool_)
    has_match[pair_cooperative] = True
    floor_wanted = np.where(
        is_cooperative & has_match, np.maximum(conference.fairness_floor - kept_count, 0), 0
    ).astype(np.int64)
    placeable_pairs = np.bincount(pair_cooperative[pair_slots.any(axis=1)], minlength=n).astype(
        np.int64
    )
    floor = np.minimum.reduce(
        [floor_wanted, max_meetings, placeable_pairs, available.sum(axis=1).astype(np.int64)]
    )

    if conference.fairness_mode is FairnessMode.HARD:
        # Lexicographic: one floor meeting must outweigh any score the schedule could have.
        capacity = int(table_capacity.sum())
        best = np.sort(weight)[::-1][:capacity]
        floor_penalty = int(best.sum()) + 1
    else:
        floor_penalty = round(soft_floor_penalty * POINTS_PER_SCORE)

    return PairingProblem(
        participants=participants,
        slots=slots,
        pairs=pairs,
        pair_cooperative=pair_cooperative,
        pair_counterpart=pair_counterpart,
        weight=weight,
        pair_slots=pair_slots,
        forced=forced,
        available=available,
        max_meetings=max_meetings,
        table_capacity=table_capacity,
        floor=floor,
        floor_wanted=floor_wanted,
        floor_penalty=floor_penalty,
    )


def _weighted_pairs(
    conference: Conference,
    inputs: PairingInputs,
    *,
    excluded: set[tuple[str, str]],
    absent: frozenset[str],
) -> tuple[WeightedPair, ...]:
    people = conference.participants_by_id()
    best_score: dict[tuple[str, str], float] = {}
    reasons: dict[tuple[str, str], list[PairReason]] = defaultdict(list)
    for candidate in sorted(inputs.candidates, key=lambda c: -c.score):
        key = candidate.key
        best_score[key] = max(best_score.get(key, 0.0), candidate.score)
        for reason in candidate.reasons:
            if reason not in reasons[key]:
                reasons[key].append(reason)

    unwanted: set[tuple[str, str]] = {f.key for f in inputs.forbids}
    # requester -> strongest request, per pair
    wishes: dict[tuple[str, str], dict[str, RequestKind]] = defaultdict(dict)
    for request in inputs.requests:
        wished = pair_key(people[request.requester_id], people[request.target_id])
        if wished is None:
            continue
        if request.kind is RequestKind.DO_NOT_WANT:
            unwanted.add(wished)
            continue
        earlier = wishes[wished].get(request.requester_id)
        if earlier is not RequestKind.MUST_MEET:
            wishes[wished][request.requester_id] = request.kind
    pins = {pin.key: pin for pin in inputs.pins}

    keys = (set(best_score) | set(wishes) | set(pins)) - unwanted - excluded
    pairs = []
    for key in sorted(keys):
        if key[0] in absent or key[1] in absent:
            continue
        asked = wishes.get(key, {})
        bonus = sum(
            MUST_MEET_BONUS if kind is RequestKind.MUST_MEET else WOULD_LIKE_BONUS
            for kind in asked.values()
        )
        mutual = len(asked) == 2
        why: list[PairReason] = []
        if key in pins:
            why.append(PAIR_PINNED)
        if mutual:
            bonus += MUTUAL_BONUS
            why.append(PAIR_MUTUAL)
        else:
            why += [_requested_by(people[pid].name, kind) for pid, kind in asked.items()]
        why += reasons.get(key, [])
        pin = pins.get(key)
        pairs.append(
            WeightedPair(
                cooperative_id=key[0],
                counterpart_id=key[1],
                match_score=best_score.get(key, 0.0),
                bonus=bonus,
                reasons=tuple(why),
                requested=bool(asked) or pin is not None,
                mutual=mutual,
                pinned=pin is not None,
                pinned_slot=pin.slot_id if pin is not None else None,
            )
        )
    return tuple(pairs)


def violations(problem: PairingProblem, slot_of_pair: IntArray) -> list[str]:
    """Hard constraints an assignment breaks, in words; empty when it is feasible.

    ``slot_of_pair``: (P,) slot index per pair, -1 when not scheduled. Solvers' answers pass
    through this before anyone sees them, so a solver bug shows as an error, not a clash."""
    found: list[str] = []
    chosen = np.flatnonzero(slot_of_pair >= 0)
    slot = slot_of_pair[chosen]
    if chosen.size and not problem.pair_slots[chosen, slot].all():
        found.append("a pair is placed in a slot one of them cannot attend")
    for unplaced in np.flatnonzero(problem.forced & (slot_of_pair < 0)):
        found.append(f"pinned pair {problem.pairs[unplaced].key} is not placed")
    n, s_count, _ = problem.size
    per_participant = np.zeros((n, s_count), dtype=np.int64)
    np.add.at(per_participant, (problem.pair_cooperative[chosen], slot), 1)
    np.add.at(per_participant, (problem.pair_counterpart[chosen], slot), 1)
    for i, s in zip(*np.nonzero(per_participant > 1), strict=True):
        found.append(
            f"{problem.participants.decode(int(i))} is double-booked in "
            f"{problem.slots.decode(int(s))}"
        )
    over = np.flatnonzero(problem.meetings_per_participant(slot_of_pair) > problem.max_meetings)
    found += [f"{problem.participants.decode(int(i))} exceeds their maximum" for i in over]
    per_slot = np.bincount(slot, minlength=s_count)
    found += [
        f"slot {problem.slots.decode(int(s))} has more meetings than tables"
        for s in np.flatnonzero(per_slot > problem.table_capacity)
    ]
    return found
