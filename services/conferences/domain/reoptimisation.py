"""Re-optimises a running conference when someone cancels or arrives late.

Meetings already announced stay where they are, at their table: people have them on paper.
Only meetings the change breaks are taken out, and only the slots from ``now`` on are filled
again, with what the kept meetings leave free.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace

from services.conferences.domain.errors import ConferenceInputError, Problem
from services.conferences.domain.model import (
    Conference,
    Meeting,
    PairingInputs,
    Pin,
    Schedule,
    SchedulingResult,
)
from services.conferences.domain.pairing_problem import DEFAULT_SOFT_FLOOR_PENALTY, build_problem
from services.conferences.domain.scheduling import solve_problem
from services.conferences.domain.solvers import ProgressCallback, SolveOptions, get_solver
from services.conferences.domain.validation import validate


def reoptimise(
    conference: Conference,
    inputs: PairingInputs,
    schedule: Schedule,
    *,
    now_slot_id: str,
    cancelled: Collection[str] = (),
    late: Mapping[str, str] | None = None,
    solver: str = "cpsat",
    options: SolveOptions | None = None,
    progress: ProgressCallback | None = None,
    soft_floor_penalty: float = DEFAULT_SOFT_FLOOR_PENALTY,
) -> SchedulingResult:
    """A new revision of ``schedule``.

    ``now_slot_id``: the first slot that may still change; earlier slots are history.
    ``cancelled``: participants who will not come (any more). ``late``: participant id to
    the slot they arrive for. Meetings with a cancelled participant, or with a late one
    before they arrive, are dropped (listed in ``result.dropped``); every other meeting stays
    in its slot at its table. The result's objective and gap concern the new meetings only.
    """
    late = dict(late or {})
    get_solver(solver)
    validate(conference, inputs)
    _check_change(conference, schedule, now_slot_id, cancelled, late)

    slots = {s.slot_id: s for s in conference.slots}
    now = slots[now_slot_id].start
    open_slots = {s.slot_id for s in conference.meeting_slots() if s.start >= now}
    arrival = {pid: slots[slot_id].start for pid, slot_id in late.items()}
    gone = set(cancelled)

    def broken(meeting: Meeting) -> bool:
        start = slots[meeting.slot_id].start
        if start < now:
            return False  # history: it happened, or not, and stays on record
        if any(pid in gone for pid in meeting.key):
            return True
        return any(pid in arrival and start < arrival[pid] for pid in meeting.key)

    kept = [m for m in schedule.meetings if not broken(m)]
    dropped = [m for m in schedule.meetings if broken(m)]

    people = []
    for participant in conference.participants:
        if participant.participant_id in arrival:
            here_from = arrival[participant.participant_id]
            reachable = {s.slot_id for s in conference.slots if s.start >= here_from}
            present = (
                reachable
                if participant.availability is None
                else (reachable & participant.availability)
            )
            participant = replace(participant, availability=frozenset(present))
        people.append(participant)
    changed = replace(conference, participants=tuple(people))

    # A pin that can no longer hold where it was (its slot has passed, or a participant
    # arrives later) still asks for the meeting, just not in that slot; one with a cancelled
    # participant cannot hold at all.
    pins = []
    for pin in inputs.pins:
        if any(pid in gone for pid in pin.key):
            continue
        if pin.slot_id is not None and (
            pin.slot_id not in open_slots
            or not all(changed.participant(pid).is_available(pin.slot_id) for pid in pin.key)
        ):
            pin = Pin(pin.cooperative_id, pin.counterpart_id)
        pins.append(pin)
    problem = build_problem(
        changed,
        replace(inputs, pins=tuple(pins)),
        kept=kept,
        open_slot_ids=open_slots,
        absent=gone,
        soft_floor_penalty=soft_floor_penalty,
    )
    return solve_problem(
        changed,
        problem,
        solver=solver,
        options=options or SolveOptions(),
        progress=progress,
        kept=kept,
        dropped=dropped,
        revision=schedule.revision + 1,
    )


def _check_change(
    conference: Conference,
    schedule: Schedule,
    now_slot_id: str,
    cancelled: Collection[str],
    late: Mapping[str, str],
) -> None:
    problems = []
    known = conference.participants_by_id()
    slot_ids = {s.slot_id for s in conference.slots}
    if schedule.conference_id != conference.conference_id:
        problems.append(
            Problem(
                "wrong_conference",
                schedule.conference_id,
                f"the schedule belongs to conference {schedule.conference_id!r}, "
                f"not {conference.conference_id!r}",
            )
        )
    if now_slot_id not in slot_ids:
        problems.append(Problem("unknown_slot", now_slot_id, f"unknown slot {now_slot_id!r}"))
    for pid in [*cancelled, *late]:
        if pid not in known:
            problems.append(Problem("unknown_participant", pid, f"unknown participant {pid!r}"))
    for pid, slot_id in late.items():
        if slot_id not in slot_ids:
            problems.append(
                Problem("unknown_slot", slot_id, f"{pid!r} arrives for unknown slot {slot_id!r}")
            )
    for meeting in schedule.meetings:
        if meeting.slot_id not in slot_ids:
            problems.append(
                Problem(
                    "unknown_slot",
                    meeting.slot_id,
                    f"meeting {meeting.meeting_id!r} is in unknown slot {meeting.slot_id!r}",
                )
            )
    if problems:
        raise ConferenceInputError(problems)
