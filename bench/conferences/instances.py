"""Seeded random conferences shaped like the province's linkage days.

Counterparts' popularity is skewed (a few big buyers everyone matches), participants' maxima
and availability vary, and some pairs carry requests, so the participant limits, the slot
clashes and the tables all bind somewhere, as they do on the day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np

from services.conferences.domain.model import (
    CandidatePair,
    Conference,
    FairnessMode,
    Forbid,
    Language,
    MeetingRequest,
    PairingInputs,
    PairReason,
    Participant,
    ParticipantKind,
    Pin,
    RequestKind,
    Slot,
)

SECTORS = ("rice", "coffee", "pepper", "aquaculture", "fruit", "handicraft", "livestock")
DISTRICTS = ("dong-hoi", "bo-trach", "quang-trach", "le-thuy", "quang-ninh", "tuyen-hoa")


def day_slots(
    count: int, meeting_minutes: int = 20, changeover_minutes: int = 5
) -> tuple[Slot, ...]:
    """``count`` meeting slots from 08:00, with a tea break after every fourth and lunch in
    the middle."""
    slots: list[Slot] = []
    at = datetime(2025, 1, 1, 8, 0)
    for i in range(count):
        end = at + timedelta(minutes=meeting_minutes)
        slots.append(Slot(f"s{i + 1:02d}", at.time(), end.time()))
        at = end + timedelta(minutes=changeover_minutes)
        if i + 1 < count and (i + 1) % 4 == 0:
            length = 60 if (i + 1) == count // 2 else 15
            pause_end = at + timedelta(minutes=length)
            slots.append(Slot(f"b{i + 1:02d}", at.time(), pause_end.time(), is_break=True))
            at = pause_end
    return tuple(slots)


def make_instance(
    *,
    cooperatives: int,
    businesses: int,
    banks: int = 0,
    slots: int = 16,
    tables: int = 40,
    pairs: int = 3000,
    fairness_floor: int = 0,
    seed: int = 0,
) -> tuple[Conference, PairingInputs]:
    rng = np.random.default_rng(seed)
    day = day_slots(slots)
    meeting_ids = [s.slot_id for s in day if not s.is_break]
    people: list[Participant] = []
    for i in range(cooperatives):
        people.append(
            Participant(
                participant_id=f"coop-{i:04d}",
                name=f"Hợp tác xã {i:04d}",
                kind=ParticipantKind.COOPERATIVE,
                max_meetings=int(rng.integers(3, 7)),
                language=Language.VI,
                availability=_availability(rng, meeting_ids),
                district=str(rng.choice(DISTRICTS)),
                sector=str(rng.choice(SECTORS)),
            )
        )
    counterparts: list[Participant] = []
    for i in range(businesses + banks):
        is_bank = i >= businesses
        counterparts.append(
            Participant(
                participant_id=f"bank-{i - businesses:03d}" if is_bank else f"biz-{i:04d}",
                name=f"Ngân hàng {i - businesses:03d}" if is_bank else f"Doanh nghiệp {i:04d}",
                kind=ParticipantKind.BANK if is_bank else ParticipantKind.BUSINESS,
                max_meetings=int(rng.integers(6, slots + 1)),
                language=Language.EN if rng.random() < 0.15 else Language.VI,
                availability=_availability(rng, meeting_ids),
                district=None if is_bank else str(rng.choice(DISTRICTS)),
                sector=None if is_bank else str(rng.choice(SECTORS)),
            )
        )
    people += counterparts

    popularity = rng.pareto(1.5, size=len(counterparts)) + 1.0
    popularity /= popularity.sum()
    quality = rng.beta(2, 2, size=cooperatives)
    chosen: set[tuple[int, int]] = set()
    while len(chosen) < min(pairs, cooperatives * len(counterparts)):
        need = pairs - len(chosen)
        coops = rng.integers(0, cooperatives, size=need)
        others = rng.choice(len(counterparts), size=need, p=popularity)
        chosen.update(zip(coops.tolist(), others.tolist(), strict=True))
    ordered = sorted(chosen)[:pairs]
    candidates = []
    for c, o in ordered:
        score = float(
            np.clip(
                0.35 * quality[c]
                + 0.25 * min(1.0, popularity[o] * len(counterparts) / 4)
                + 0.4 * rng.beta(2, 3),
                0.01,
                1.0,
            )
        )
        other = counterparts[o]
        candidates.append(
            CandidatePair(
                cooperative_id=f"coop-{c:04d}",
                counterpart_id=other.participant_id,
                score=round(score, 3),
                reasons=(
                    PairReason(
                        "product_fit",
                        f"Supplies what {other.name} is looking for",
                        f"Cung cấp sản phẩm {other.name} đang tìm",
                    ),
                ),
            )
        )

    requests: list[MeetingRequest] = []
    for c, o in ordered:
        roll = rng.random()
        coop_id, other_id = f"coop-{c:04d}", counterparts[o].participant_id
        if roll < 0.01:
            requests.append(MeetingRequest(coop_id, other_id, RequestKind.DO_NOT_WANT))
        elif roll < 0.03:
            requests.append(MeetingRequest(coop_id, other_id, RequestKind.WOULD_LIKE))
            requests.append(MeetingRequest(other_id, coop_id, RequestKind.WOULD_LIKE))
        elif roll < 0.07:
            requests.append(MeetingRequest(coop_id, other_id, RequestKind.WOULD_LIKE))
        elif roll < 0.08:
            requests.append(MeetingRequest(other_id, coop_id, RequestKind.MUST_MEET))
    requested = {(r.requester_id, r.target_id) for r in requests}
    pins: list[Pin] = []
    forbids: list[Forbid] = []
    for c, o in ordered[:: max(1, len(ordered) // 5)][:5]:
        key = (f"coop-{c:04d}", counterparts[o].participant_id)
        if key not in requested and (key[1], key[0]) not in requested:
            pins.append(Pin(*key))
    for c, o in ordered[7 :: max(1, len(ordered) // 5)][:5]:
        forbids.append(Forbid(f"coop-{c:04d}", counterparts[o].participant_id))

    conference = Conference(
        conference_id=f"bench-{seed}",
        name="Hội nghị kết nối cung cầu",
        day=date(2025, 6, 12),
        venue="Trung tâm Hội nghị tỉnh",
        slots=day,
        table_count=tables,
        meeting_minutes=20,
        participants=tuple(people),
        fairness_floor=fairness_floor,
        fairness_mode=FairnessMode.HARD,
    )
    return conference, PairingInputs(
        candidates=tuple(candidates),
        requests=tuple(requests),
        pins=tuple(pins),
        forbids=tuple(forbids),
    )


def _availability(rng: np.random.Generator, slot_ids: list[str]) -> frozenset[str] | None:
    roll = rng.random()
    if roll < 0.7:
        return None  # all day
    if roll < 0.85:
        return frozenset(slot_ids[: len(slot_ids) // 2])  # morning only
    keep = rng.random(len(slot_ids)) < rng.uniform(0.6, 0.9)
    return frozenset(s for s, k in zip(slot_ids, keep, strict=True) if k)
