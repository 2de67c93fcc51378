from __future__ import annotations

import pytest

from services.conferences.domain.errors import ConferenceInputError
from services.conferences.domain.model import Conference, PairingInputs, Schedule
from services.conferences.domain.reoptimisation import reoptimise
from services.conferences.domain.scheduling import generate_schedule
from services.conferences.domain.solvers import SolveOptions

from .factories import business, conference, coop, hard_constraint_breaches, pairs, random_case

FAST = SolveOptions(time_limit_seconds=5.0, stop_at_gap=0.0)


def _first(conf: Conference, inputs: PairingInputs) -> Schedule:
    return generate_schedule(conf, inputs, options=FAST).schedule


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_cancellation_keeps_every_other_meeting_where_it_is(seed: int) -> None:
    conf, inputs = random_case(seed)
    before = _first(conf, inputs)
    gone = before.meetings[0].counterpart_id
    now = "s2"
    result = reoptimise(conf, inputs, before, now_slot_id=now, cancelled=[gone], options=FAST)
    after = {m.meeting_id: m for m in result.schedule.meetings}
    now_start = conf.slot(now).start
    for meeting in before.meetings:
        past = conf.slot(meeting.slot_id).start < now_start
        if past or gone not in meeting.key:
            assert after[meeting.meeting_id] == meeting  # same slot, same table
        else:
            assert meeting.meeting_id not in after
            assert meeting in result.dropped
    assert hard_constraint_breaches(conf, inputs, result.schedule) == []
    assert result.schedule.revision == before.revision + 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_new_meetings_go_only_into_open_slots_and_never_involve_the_cancelled(seed: int) -> None:
    conf, inputs = random_case(seed)
    before = _first(conf, inputs)
    gone = before.meetings[-1].cooperative_id
    result = reoptimise(conf, inputs, before, now_slot_id="s3", cancelled=[gone], options=FAST)
    old = {m.meeting_id for m in before.meetings}
    new = [m for m in result.schedule.meetings if m.meeting_id not in old]
    open_start = conf.slot("s3").start
    assert all(conf.slot(m.slot_id).start >= open_start for m in new)
    assert all(gone not in m.key for m in new)


def test_a_freed_table_goes_to_the_next_best_pair() -> None:
    # One table, two slots; x meets a then b, c waits. When a cancels before s1 ends...
    conf = conference(
        [coop("a", 1), coop("b", 1), coop("c", 1), business("x", 2)], slots=2, tables=1
    )
    inputs = PairingInputs(candidates=pairs(("a", "x", 0.9), ("b", "x", 0.8), ("c", "x", 0.3)))
    before = _first(conf, inputs)
    assert {m.cooperative_id for m in before.meetings} == {"a", "b"}
    result = reoptimise(conf, inputs, before, now_slot_id="s1", cancelled=["a"], options=FAST)
    assert {m.cooperative_id for m in result.schedule.meetings} == {"b", "c"}
    kept_b = next(m for m in before.meetings if m.cooperative_id == "b")
    assert kept_b in result.schedule.meetings


def test_a_late_arrival_loses_only_meetings_before_they_arrive_and_is_rescheduled_after() -> None:
    conf = conference([coop("a", 2), coop("b", 2), business("x", 3)], slots=3, tables=2)
    inputs = PairingInputs(candidates=pairs(("a", "x", 0.9), ("b", "x", 0.5)))
    before = _first(conf, inputs)
    late_meeting = next(m for m in before.meetings if m.cooperative_id == "a")
    result = reoptimise(
        conf,
        inputs,
        before,
        now_slot_id="s1",
        late={"a": "s3"},
        options=FAST,
    )
    moved = next(m for m in result.schedule.meetings if m.cooperative_id == "a")
    assert moved.slot_id == "s3"
    assert moved.meeting_id == late_meeting.meeting_id  # the same meeting, moved
    if late_meeting.slot_id != "s3":
        assert late_meeting in result.dropped


def test_reoptimise_names_an_unknown_participant_or_slot() -> None:
    conf, inputs = random_case(1)
    before = _first(conf, inputs)
    with pytest.raises(ConferenceInputError) as error:
        reoptimise(conf, inputs, before, now_slot_id="s99", cancelled=["ghost"], options=FAST)
    assert error.value.codes() == {"unknown_slot", "unknown_participant"}
