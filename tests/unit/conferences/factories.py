"""Small conferences for tests, and an independent check of a schedule's hard constraints."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta

from services.conferences.domain.model import (
    CandidatePair,
    Conference,
    FairnessMode,
    Forbid,
    Language,
    MeetingRequest,
    PairingInputs,
    Participant,
    ParticipantKind,
    Pin,
    RequestKind,
    Schedule,
    Slot,
)


def day(count: int, *, break_after: tuple[int, ...] = ()) -> tuple[Slot, ...]:
    """``count`` 20-minute meeting slots from 08:00; a 15-minute break after the listed
    slot numbers (1-based)."""
    slots = []
    at = datetime(2025, 1, 1, 8, 0)
    for n in range(1, count + 1):
        slots.append(Slot(f"s{n}", at.time(), (at + timedelta(minutes=20)).time()))
        at += timedelta(minutes=20)
        if n in break_after:
            slots.append(Slot(f"b{n}", at.time(), (at + timedelta(minutes=15)).time(), True))
            at += timedelta(minutes=15)
    return tuple(slots)


def coop(name: str, max_meetings: int = 4, availability: set[str] | None = None) -> Participant:
    return Participant(
        participant_id=name,
        name=f"HTX {name}",
        kind=ParticipantKind.COOPERATIVE,
        max_meetings=max_meetings,
        availability=None if availability is None else frozenset(availability),
    )


def business(
    name: str,
    max_meetings: int = 4,
    availability: set[str] | None = None,
    language: Language = Language.VI,
) -> Participant:
    return Participant(
        participant_id=name,
        name=f"DN {name}",
        kind=ParticipantKind.BUSINESS,
        max_meetings=max_meetings,
        availability=None if availability is None else frozenset(availability),
        language=language,
    )


def bank(name: str, max_meetings: int = 4) -> Participant:
    return Participant(name, f"NH {name}", ParticipantKind.BANK, max_meetings)


def conference(
    participants: list[Participant],
    *,
    slots: int | tuple[Slot, ...] = 3,
    tables: int = 2,
    floor: int = 0,
    mode: FairnessMode = FairnessMode.HARD,
) -> Conference:
    return Conference(
        conference_id="conf-1",
        name="Hội nghị kết nối",
        day=date(2025, 6, 12),
        venue="Đồng Hới",
        slots=day(slots) if isinstance(slots, int) else slots,
        table_count=tables,
        meeting_minutes=20,
        participants=tuple(participants),
        fairness_floor=floor,
        fairness_mode=mode,
    )


def pairs(*triples: tuple[str, str, float]) -> tuple[CandidatePair, ...]:
    return tuple(CandidatePair(c, o, s) for c, o, s in triples)


def random_case(seed: int, *, floor: int = 0) -> tuple[Conference, PairingInputs]:
    """A small random conference with requests, a pin and a forbid, where limits bind."""
    rng = random.Random(seed)
    slot_count = 4
    slots = day(slot_count, break_after=(2,))
    slot_ids = [s.slot_id for s in slots if not s.is_break]
    coops = [
        coop(
            f"c{i}",
            rng.randint(1, 3),
            None if rng.random() < 0.6 else set(rng.sample(slot_ids, rng.randint(1, 3))),
        )
        for i in range(10)
    ]
    others = [
        business(
            f"b{i}",
            rng.randint(2, 4),
            None if rng.random() < 0.6 else set(rng.sample(slot_ids, rng.randint(2, 4))),
        )
        for i in range(4)
    ] + [bank("k0", 3)]
    candidates = []
    for c in coops:
        for o in rng.sample(others, 3):
            candidates.append(CandidatePair(c.participant_id, o.participant_id, rng.random()))
    requests = [
        MeetingRequest(
            candidates[0].cooperative_id, candidates[0].counterpart_id, RequestKind.DO_NOT_WANT
        ),
        MeetingRequest(
            candidates[1].cooperative_id, candidates[1].counterpart_id, RequestKind.WOULD_LIKE
        ),
        MeetingRequest(
            candidates[1].counterpart_id, candidates[1].cooperative_id, RequestKind.WOULD_LIKE
        ),
        MeetingRequest(
            candidates[2].counterpart_id, candidates[2].cooperative_id, RequestKind.MUST_MEET
        ),
    ]
    conf = conference(coops + others, slots=slots, tables=3, floor=floor)
    pinned = next(
        c
        for c in candidates[3:]
        if conf.participant(c.cooperative_id).availability is None
        and conf.participant(c.counterpart_id).availability is None
    )
    forbidden = next(c for c in candidates[3:] if c.key != pinned.key)
    inputs = PairingInputs(
        candidates=tuple(candidates),
        requests=tuple(requests),
        pins=(Pin(*pinned.key),),
        forbids=(Forbid(*forbidden.key),),
    )
    return conf, inputs


def hard_constraint_breaches(
    conf: Conference, inputs: PairingInputs, schedule: Schedule
) -> list[str]:
    """Every hard rule the schedule breaks, checked from the records, not the solver arrays."""
    breaches = []
    people = conf.participants_by_id()
    slots = {s.slot_id: s for s in conf.slots}
    busy: Counter[tuple[str, str]] = Counter()
    tables: Counter[tuple[str, int]] = Counter()
    counts: Counter[str] = Counter()
    pairs_seen: Counter[tuple[str, str]] = Counter()
    for m in schedule.meetings:
        slot = slots.get(m.slot_id)
        if slot is None or slot.is_break:
            breaches.append(f"{m.key} in a break or unknown slot {m.slot_id}")
        if not 1 <= m.table <= conf.table_count:
            breaches.append(f"{m.key} at table {m.table} of {conf.table_count}")
        tables[(m.slot_id, m.table)] += 1
        pairs_seen[m.key] += 1
        for pid in m.key:
            busy[(pid, m.slot_id)] += 1
            counts[pid] += 1
            if not people[pid].is_available(m.slot_id):
                breaches.append(f"{pid} is not available in {m.slot_id}")
    breaches += [f"{pid} twice in {slot}" for (pid, slot), n in busy.items() if n > 1]
    breaches += [f"table {t} twice in {slot}" for (slot, t), n in tables.items() if n > 1]
    breaches += [f"{key} meets twice" for key, n in pairs_seen.items() if n > 1]
    breaches += [
        f"{pid} has {n} meetings, maximum {people[pid].max_meetings}"
        for pid, n in counts.items()
        if n > people[pid].max_meetings
    ]
    unwanted = {f.key for f in inputs.forbids}
    for r in inputs.requests:
        if r.kind is RequestKind.DO_NOT_WANT:
            unwanted.add((r.requester_id, r.target_id))
            unwanted.add((r.target_id, r.requester_id))
    breaches += [f"unwanted pair {key} scheduled" for key in pairs_seen if key in unwanted]
    for pin in inputs.pins:
        placed = [m for m in schedule.meetings if m.key == pin.key]
        if not placed:
            breaches.append(f"pinned {pin.key} missing")
        elif pin.slot_id is not None and placed[0].slot_id != pin.slot_id:
            breaches.append(f"pinned {pin.key} not in {pin.slot_id}")
    return breaches
