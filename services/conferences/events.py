"""Maps domain records to the shared event contract, at the edge of the service."""

from __future__ import annotations

from services.conferences.domain.outcomes import OutcomeRecord
from shared.contract.events import MeetingOutcome, MeetingOutcomeRecorded


def outcome_recorded(record: OutcomeRecord) -> MeetingOutcomeRecorded:
    return MeetingOutcomeRecorded(
        conference_id=record.conference_id,
        meeting_id=record.meeting_id,
        cooperative_id=record.cooperative_id,
        counterpart_id=record.counterpart_id,
        outcome=MeetingOutcome(record.outcome.value),
        note=record.note,
    )
