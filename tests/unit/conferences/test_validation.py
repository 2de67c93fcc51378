from __future__ import annotations

from dataclasses import replace
from datetime import time

import pytest

from services.conferences.domain.errors import ConferenceInputError
from services.conferences.domain.model import (
    CandidatePair,
    Forbid,
    MeetingRequest,
    PairingInputs,
    Pin,
    RequestKind,
    Slot,
)
from services.conferences.domain.scheduling import generate_schedule
from services.conferences.domain.validation import validate

from .factories import bank, business, conference, coop


def _codes(error: pytest.ExceptionInfo[ConferenceInputError]) -> set[str]:
    return error.value.codes()


def test_zero_tables_is_refused_by_name() -> None:
    with pytest.raises(ConferenceInputError, match="at least one table; got 0") as error:
        validate(conference([coop("a"), business("x")], tables=0))
    assert _codes(error) == {"no_tables"}


def test_overlapping_slots_are_refused_naming_both() -> None:
    slots = (
        Slot("morning", time(8, 0), time(8, 30)),
        Slot("late-morning", time(8, 20), time(8, 50)),
    )
    with pytest.raises(ConferenceInputError, match=r"'morning'.*'late-morning'.*overlap") as error:
        validate(conference([coop("a"), business("x")], slots=slots))
    assert _codes(error) == {"overlapping_slots"}


def test_a_slot_shorter_than_a_meeting_and_one_ending_before_it_starts_are_both_named() -> None:
    slots = (
        Slot("s1", time(8, 0), time(8, 10)),
        Slot("s2", time(9, 0), time(8, 30)),
    )
    with pytest.raises(ConferenceInputError) as error:
        validate(conference([coop("a"), business("x")], slots=slots))
    assert _codes(error) == {"slot_too_short", "slot_ends_before_start"}


def test_unknown_participant_in_a_candidate_is_named() -> None:
    conf = conference([coop("a"), business("x")])
    inputs = PairingInputs(candidates=(CandidatePair("a", "ghost", 0.5),))
    with pytest.raises(ConferenceInputError, match="unknown participant 'ghost'") as error:
        generate_schedule(conf, inputs)
    assert _codes(error) == {"unknown_participant"}


def test_a_pair_must_join_a_cooperative_with_a_business_or_bank() -> None:
    conf = conference([coop("a"), coop("b"), business("x"), bank("k")])
    inputs = PairingInputs(
        candidates=(CandidatePair("x", "k", 0.5), CandidatePair("a", "b", 0.5)),
        requests=(MeetingRequest("x", "k", RequestKind.WOULD_LIKE),),
    )
    with pytest.raises(ConferenceInputError) as error:
        validate(conf, inputs)
    assert _codes(error) == {
        "not_a_cooperative",
        "counterpart_is_cooperative",
        "request_not_cooperative_pair",
    }


def test_scores_outside_zero_to_one_are_refused() -> None:
    conf = conference([coop("a"), business("x")])
    inputs = PairingInputs(candidates=(CandidatePair("a", "x", 1.5),))
    with pytest.raises(ConferenceInputError, match="within 0 and 1"):
        validate(conf, inputs)


def test_a_pin_that_contradicts_a_forbid_or_a_do_not_want_is_refused() -> None:
    conf = conference([coop("a"), coop("b"), business("x")])
    inputs = PairingInputs(
        pins=(Pin("a", "x"), Pin("b", "x")),
        forbids=(Forbid("a", "x"),),
        requests=(MeetingRequest("x", "b", RequestKind.DO_NOT_WANT),),
    )
    with pytest.raises(ConferenceInputError) as error:
        validate(conf, inputs)
    assert _codes(error) == {"pin_conflicts_with_forbid", "pin_conflicts_with_do_not_want"}


def test_pins_beyond_a_maximum_or_the_tables_or_in_a_break_are_refused() -> None:
    conf = conference(
        [coop("a", 1), coop("b"), coop("c"), business("x", 1), business("y")],
        tables=1,
    )
    conf = replace(conf, slots=(*conf.slots, Slot("lunch", time(12, 0), time(13, 0), True)))
    inputs = PairingInputs(
        pins=(
            Pin("a", "x", "s1"),
            Pin("a", "y", "s2"),  # a: two pins, maximum one
            Pin("b", "y", "s1"),  # s1: two pins, one table
            Pin("c", "y", "lunch"),
        )
    )
    with pytest.raises(ConferenceInputError) as error:
        validate(conf, inputs)
    assert _codes(error) == {"too_many_pins", "too_many_pins_in_slot", "pinned_in_break"}


def test_availability_in_a_slot_the_conference_lacks_is_named() -> None:
    conf = conference([coop("a", availability={"s1", "s9"}), business("x")])
    with pytest.raises(ConferenceInputError, match="slot 's9'"):
        validate(conf)


def test_duplicate_participants_and_a_negative_maximum_are_named_together() -> None:
    conf = conference([coop("a"), coop("a"), business("x", -1)])
    with pytest.raises(ConferenceInputError) as error:
        validate(conf)
    assert _codes(error) == {"duplicate_participant", "max_meetings"}
    assert len(error.value.problems) == 2


def test_a_valid_conference_passes_quietly() -> None:
    conf = conference([coop("a"), business("x")])
    validate(conf, PairingInputs(candidates=(CandidatePair("a", "x", 0.5),)))
