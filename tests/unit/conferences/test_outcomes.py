from __future__ import annotations

import pytest

from services.conferences.domain.errors import ConferenceInputError
from services.conferences.domain.model import Meeting, Schedule
from services.conferences.domain.outcomes import Outcome, record_outcome, summarise_outcomes
from services.conferences.events import outcome_recorded
from shared.contract.events import MeetingOutcome

SCHEDULE = Schedule(
    "conf-1",
    (
        Meeting("m1", "s1", 1, "coop-1", "biz-1", 0.8),
        Meeting("m2", "s2", 1, "coop-2", "bank-1", 0.6),
    ),
)


def test_outcomes_match_the_event_contract() -> None:
    assert {o.value for o in Outcome} == {o.value for o in MeetingOutcome}


def test_an_outcome_becomes_a_valid_meeting_outcome_event() -> None:
    record = record_outcome(SCHEDULE, "m2", "loan_application", "  applied for 200 triệu ")
    event = outcome_recorded(record)
    assert (event.cooperative_id, event.counterpart_id) == ("coop-2", "bank-1")
    assert event.outcome is MeetingOutcome.LOAN_APPLICATION
    assert event.note == "applied for 200 triệu"
    assert event.partition_key() == "coop-2"


def test_unknown_meeting_and_outcome_are_named_together() -> None:
    with pytest.raises(ConferenceInputError) as error:
        record_outcome(SCHEDULE, "m9", "handshake")
    assert error.value.codes() == {"unknown_meeting", "unknown_outcome"}


def test_the_summary_counts_each_meetings_latest_outcome() -> None:
    records = [
        record_outcome(SCHEDULE, "m1", "met"),
        record_outcome(SCHEDULE, "m1", "mou_signed"),
        record_outcome(SCHEDULE, "m2", "no_show"),
    ]
    summary = summarise_outcomes(SCHEDULE, records)
    assert (summary.scheduled, summary.recorded, summary.held) == (2, 2, 1)
    assert summary.by_outcome == {"mou_signed": 1, "no_show": 1}
