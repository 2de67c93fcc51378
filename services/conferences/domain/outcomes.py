"""What came of the meetings, recorded by organisers after the conference.

Outcomes feed the scoring service's learning (as MeetingOutcomeRecorded events) and the
steering committee's report (as a summary).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from services.conferences.domain.errors import ConferenceInputError, Problem
from services.conferences.domain.model import Schedule


class Outcome(StrEnum):
    """The same values as the contract's MeetingOutcome; a test keeps them in step."""

    MET = "met"
    NO_SHOW = "no_show"
    MOU_SIGNED = "mou_signed"
    CONTRACT = "contract"
    LOAN_APPLICATION = "loan_application"


@dataclass(frozen=True, slots=True)
class OutcomeRecord:
    conference_id: str
    meeting_id: str
    cooperative_id: str
    counterpart_id: str
    outcome: Outcome
    note: str = ""


def record_outcome(
    schedule: Schedule, meeting_id: str, outcome: str, note: str = ""
) -> OutcomeRecord:
    """The record of one meeting's outcome; names the problem if the meeting or the outcome
    is unknown."""
    problems = []
    try:
        meeting = schedule.meeting(meeting_id)
    except KeyError:
        problems.append(
            Problem("unknown_meeting", meeting_id, f"no meeting {meeting_id!r} in this schedule")
        )
    try:
        kind = Outcome(outcome)
    except ValueError:
        known = ", ".join(o.value for o in Outcome)
        problems.append(
            Problem("unknown_outcome", outcome, f"unknown outcome {outcome!r}; known: {known}")
        )
    if problems:
        raise ConferenceInputError(problems)
    return OutcomeRecord(
        conference_id=schedule.conference_id,
        meeting_id=meeting.meeting_id,
        cooperative_id=meeting.cooperative_id,
        counterpart_id=meeting.counterpart_id,
        outcome=kind,
        note=note.strip(),
    )


@dataclass(frozen=True, slots=True)
class OutcomeSummary:
    """For the steering committee: how many meetings were scheduled and what came of them."""

    scheduled: int
    recorded: int
    by_outcome: dict[str, int]

    @property
    def held(self) -> int:
        return self.recorded - self.by_outcome.get(Outcome.NO_SHOW.value, 0)


def summarise_outcomes(schedule: Schedule, records: Iterable[OutcomeRecord]) -> OutcomeSummary:
    """The latest record of each meeting counts; a meeting may go from met to contract."""
    latest: dict[str, OutcomeRecord] = {}
    for record in records:
        if record.conference_id == schedule.conference_id:
            latest[record.meeting_id] = record
    return OutcomeSummary(
        scheduled=len(schedule.meetings),
        recorded=len(latest),
        by_outcome=dict(Counter(r.outcome.value for r in latest.values())),
    )
