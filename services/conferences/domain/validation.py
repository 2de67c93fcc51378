"""Checks a conference and its pairing inputs, and names every problem found.

All problems are collected before raising, so an organiser fixes a form in one go rather than
one error per submission.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict

from services.conferences.domain.errors import ConferenceInputError, Problem
from services.conferences.domain.model import (
    Conference,
    PairingInputs,
    RequestKind,
    pair_key,
)


def validate(conference: Conference, inputs: PairingInputs | None = None) -> None:
    """Raise ``ConferenceInputError`` listing every problem; return quietly when all is well."""
    problems = conference_problems(conference)
    if inputs is not None:
        problems += input_problems(conference, inputs)
    if problems:
        raise ConferenceInputError(problems)


def conference_problems(conference: Conference) -> list[Problem]:
    problems: list[Problem] = []
    add = problems.append
    if not conference.conference_id.strip():
        add(Problem("missing_id", "conference_id", "the conference needs an id"))
    if not conference.name.strip():
        add(Problem("missing_name", "name", "the conference needs a name"))
    if not conference.venue.strip():
        add(Problem("missing_venue", "venue", "the conference needs a venue"))
    if conference.table_count < 1:
        add(
            Problem(
                "no_tables",
                "table_count",
                f"a conference needs at least one table; got {conference.table_count}",
            )
        )
    if conference.meeting_minutes < 1:
        add(
            Problem(
                "meeting_length",
                "meeting_minutes",
                f"the meeting length must be at least one minute; got {conference.meeting_minutes}",
            )
        )
    if conference.fairness_floor < 0:
        add(
            Problem(
                "fairness_floor",
                "fairness_floor",
                f"the fairness floor must not be negative; got {conference.fairness_floor}",
            )
        )
    problems += _slot_problems(conference)
    problems += _participant_problems(conference)
    return problems


def _slot_problems(conference: Conference) -> list[Problem]:
    problems: list[Problem] = []
    add = problems.append
    if not conference.slots:
        add(Problem("no_slots", "slots", "the conference needs at least one time slot"))
        return problems
    for slot_id, count in Counter(s.slot_id for s in conference.slots).items():
        if count > 1:
            add(Problem("duplicate_slot", slot_id, f"slot id {slot_id!r} is used {count} times"))
    for slot in conference.slots:
        if slot.end <= slot.start:
            add(
                Problem(
                    "slot_ends_before_start",
                    slot.slot_id,
                    f"slot {slot.slot_id!r} ends ({slot.end:%H:%M}) "
                    f"no later than it starts ({slot.start:%H:%M})",
                )
            )
        elif (
            not slot.is_break
            and conference.meeting_minutes > 0
            and (slot.minutes < conference.meeting_minutes)
        ):
            add(
                Problem(
                    "slot_too_short",
                    slot.slot_id,
                    f"slot {slot.slot_id!r} lasts {slot.minutes} minutes, shorter than a "
                    f"{conference.meeting_minutes}-minute meeting",
                )
            )
    ordered = sorted(conference.slots, key=lambda s: (s.start, s.end))
    for earlier, later in itertools.pairwise(ordered):
        if later.start < earlier.end:
            add(
                Problem(
                    "overlapping_slots",
                    f"{earlier.slot_id},{later.slot_id}",
                    f"slots {earlier.slot_id!r} ({earlier.label}) and {later.slot_id!r} "
                    f"({later.label}) overlap",
                )
            )
    if all(s.is_break for s in conference.slots):
        add(Problem("no_meeting_slots", "slots", "every slot is a break: no meeting can be held"))
    return problems


def _participant_problems(conference: Conference) -> list[Problem]:
    problems: list[Problem] = []
    add = problems.append
    slot_ids = {s.slot_id for s in conference.slots}
    for pid, count in Counter(p.participant_id for p in conference.participants).items():
        if count > 1:
            add(
                Problem(
                    "duplicate_participant", pid, f"participant {pid!r} is invited {count} times"
                )
            )
    for participant in conference.participants:
        pid = participant.participant_id
        if not pid.strip():
            add(Problem("missing_id", "participant_id", "a participant has no id"))
        if not participant.name.strip():
            add(Problem("missing_name", pid, f"participant {pid!r} has no name"))
        if participant.max_meetings < 0:
            add(
                Problem(
                    "max_meetings",
                    pid,
                    f"participant {pid!r} has a negative maximum of meetings "
                    f"({participant.max_meetings})",
                )
            )
        for slot_id in sorted((participant.availability or frozenset()) - slot_ids):
            add(
                Problem(
                    "unknown_slot",
                    slot_id,
                    f"participant {pid!r} is available in slot {slot_id!r}, "
                    "which the conference does not have",
                )
            )
    return problems


def input_problems(conference: Conference, inputs: PairingInputs) -> list[Problem]:
    """Problems of the candidates, requests, pins and forbids against a conference."""
    problems: list[Problem] = []
    add = problems.append
    people = conference.participants_by_id()

    def check_pair(cooperative_id: str, counterpart_id: str, what: str) -> bool:
        """Both known, the first a cooperative, the second a business or bank."""
        ok = True
        for pid in (cooperative_id, counterpart_id):
            if pid not in people:
                add(
                    Problem("unknown_participant", pid, f"{what} names unknown participant {pid!r}")
                )
                ok = False
        if not ok:
            return False
        if not people[cooperative_id].is_cooperative:
            add(
                Problem(
                    "not_a_cooperative",
                    cooperative_id,
                    f"{what}: {cooperative_id!r} is a {people[cooperative_id].kind.value}, "
                    "not a cooperative",
                )
            )
            ok = False
        if people[counterpart_id].is_cooperative:
            add(
                Problem(
                    "counterpart_is_cooperative",
                    counterpart_id,
                    f"{what}: {counterpart_id!r} is a cooperative; meetings pair a cooperative "
                    "with a business or a bank",
                )
            )
            ok = False
        return ok

    for candidate in inputs.candidates:
        check_pair(candidate.cooperative_id, candidate.counterpart_id, "a candidate pair")
        if not (math.isfinite(candidate.score) and 0.0 <= candidate.score <= 1.0):
            add(
                Problem(
                    "score_out_of_range",
                    f"{candidate.cooperative_id},{candidate.counterpart_id}",
                    f"the score of pair {candidate.cooperative_id!r}–"
                    f"{candidate.counterpart_id!r} must be within 0 and 1; got {candidate.score}",
                )
            )

    do_not_want: set[tuple[str, str]] = set()
    for request in inputs.requests:
        what = f"a meeting request from {request.requester_id!r}"
        unknown = [p for p in (request.requester_id, request.target_id) if p not in people]
        for pid in unknown:
            add(Problem("unknown_participant", pid, f"{what} names unknown participant {pid!r}"))
        if unknown:
            continue
        if request.requester_id == request.target_id:
            add(
                Problem(
                    "request_to_self",
                    request.requester_id,
                    f"{request.requester_id!r} asks to meet themself",
                )
            )
            continue
        pair = pair_key(people[request.requester_id], people[request.target_id])
        if pair is None:
            add(
                Problem(
                    "request_not_cooperative_pair",
                    f"{request.requester_id},{request.target_id}",
                    f"{what} to {request.target_id!r}: meetings pair a cooperative with a "
                    "business or a bank",
                )
            )
        elif request.kind is RequestKind.DO_NOT_WANT:
            do_not_want.add(pair)

    for forbid in inputs.forbids:
        check_pair(forbid.cooperative_id, forbid.counterpart_id, "a forbidden pair")
    forbidden = {f.key for f in inputs.forbids}

    slots = {s.slot_id: s for s in conference.slots}
    pins_per_participant: Counter[str] = Counter()
    pinned_slots: dict[str, list[str]] = defaultdict(list)
    pins_per_slot: Counter[str] = Counter()
    for pin in inputs.pins:
        what = f"pinned meeting {pin.cooperative_id!r}–{pin.counterpart_id!r}"
        if not check_pair(pin.cooperative_id, pin.counterpart_id, what):
            continue
        if pin.key in forbidden:
            add(
                Problem("pin_conflicts_with_forbid", ",".join(pin.key), f"{what} is also forbidden")
            )
        if pin.key in do_not_want:
            add(
                Problem(
                    "pin_conflicts_with_do_not_want",
                    ",".join(pin.key),
                    f"{what}: one of the two does not want this meeting",
                )
            )
        pins_per_participant.update(pin.key)
        if pin.slot_id is None:
            continue
        slot = slots.get(pin.slot_id)
        if slot is None:
            add(Problem("unknown_slot", pin.slot_id, f"{what} names unknown slot {pin.slot_id!r}"))
            continue
        if slot.is_break:
            add(Problem("pinned_in_break", pin.slot_id, f"{what} is pinned in a break"))
            continue
        for pid in pin.key:
            if not people[pid].is_available(pin.slot_id):
                add(
                    Problem(
                        "pinned_slot_unavailable",
                        pid,
                        f"{what}: {pid!r} is not available in slot {pin.slot_id!r}",
                    )
                )
            pinned_slots[pid].append(pin.slot_id)
        pins_per_slot[pin.slot_id] += 1
    for key, count in Counter(p.key for p in inputs.pins).items():
        if count > 1:
            add(Problem("duplicate_pin", ",".join(key), f"pair {key} is pinned {count} times"))
    for pid, count in pins_per_participant.items():
        if count > people[pid].max_meetings:
            add(
                Problem(
                    "too_many_pins",
                    pid,
                    f"{pid!r} has {count} pinned meetings but a maximum of "
                    f"{people[pid].max_meetings}",
                )
            )
    for pid, slot_list in pinned_slots.items():
        for slot_id, count in Counter(slot_list).items():
            if count > 1:
                add(
                    Problem(
                        "pinned_twice_in_slot",
                        pid,
                        f"{pid!r} is pinned to {count} meetings in slot {slot_id!r}",
                    )
                )
    for slot_id, count in pins_per_slot.items():
        if count > conference.table_count:
            add(
                Problem(
                    "too_many_pins_in_slot",
                    slot_id,
                    f"{count} meetings are pinned in slot {slot_id!r} but there are only "
                    f"{conference.table_count} tables",
                )
            )
    return problems
