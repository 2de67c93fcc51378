"""Maps domain records to the shared event contract, at the edge of the service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from services.conferences.domain.model import Conference, PairReason, Schedule, Slot
from services.conferences.domain.outcomes import OutcomeRecord
from shared.contract.events import (
    ConferenceScheduled,
    MeetingOutcome,
    MeetingOutcomeRecorded,
    ScheduledMeeting,
)
from shared.contract.values import Reason
from shared.topics import CONFERENCES

# What the envelope adds around a payload (ids, type, time, producer, key), generously.
_ENVELOPE_BYTES = 1024


class EventTooLarge(Exception):
    """A schedule that does not fit in one record of ``ketnoi.conferences.v1``."""


def outcome_recorded(record: OutcomeRecord) -> MeetingOutcomeRecorded:
    return MeetingOutcomeRecorded(
        conference_id=record.conference_id,
        meeting_id=record.meeting_id,
        cooperative_id=record.cooperative_id,
        counterpart_id=record.counterpart_id,
        outcome=MeetingOutcome(record.outcome.value),
        note=record.note,
    )


def local_time(conference: Conference, slot: Slot, *, end: bool = False) -> datetime:
    """When a slot starts (or ends), in the conference's time zone."""
    moment = conference.ends_at(slot) if end else conference.starts_at(slot)
    return moment.replace(tzinfo=ZoneInfo(conference.timezone))


def _reason(reason: PairReason) -> Reason:
    return Reason(code=reason.code[:64], en=reason.en[:500], vi=reason.vi[:500])


def conference_scheduled(
    conference: Conference,
    schedule: Schedule,
    *,
    solver: str,
    total_score: float,
    upper_bound: float,
    gap: float,
    dropped_meeting_ids: Sequence[str] = (),
    with_reasons: bool = True,
) -> ConferenceScheduled:
    people = conference.participants_by_id()
    meetings = []
    for meeting in schedule.meetings:
        slot = conference.slot(meeting.slot_id)
        counterpart = people.get(meeting.counterpart_id)
        meetings.append(
            ScheduledMeeting(
                meeting_id=meeting.meeting_id,
                slot_id=meeting.slot_id,
                starts_at=local_time(conference, slot),
                ends_at=local_time(conference, slot, end=True),
                table=meeting.table,
                cooperative_id=meeting.cooperative_id,
                counterpart_id=meeting.counterpart_id,
                counterpart_kind="bank"
                if counterpart is not None and counterpart.kind.value == "bank"
                else "business",
                match_score=min(1.0, max(0.0, meeting.match_score)),
                reasons=[_reason(r) for r in meeting.why] if with_reasons else [],
            )
        )
    return ConferenceScheduled(
        conference_id=conference.conference_id,
        revision=schedule.revision,
        name=conference.name,
        day=conference.day,
        venue=conference.venue,
        solver=solver,
        total_score=max(0.0, total_score),
        # A hard fairness floor that cannot be met makes the objective (and its bound)
        # negative; the contract carries non-negative numbers.
        upper_bound=max(0.0, upper_bound),
        gap=max(0.0, gap),
        meetings=meetings,
        dropped_meeting_ids=list(dropped_meeting_ids),
    )


def max_record_bytes() -> int:
    return int(CONFERENCES.config["max.message.bytes"])


def fitting(
    conference: Conference,
    schedule: Schedule,
    *,
    solver: str,
    total_score: float,
    upper_bound: float,
    gap: float,
    dropped_meeting_ids: Sequence[str] = (),
) -> ConferenceScheduled:
    """The event, without the reasons if that is what it takes to fit the topic's record
    limit; raises EventTooLarge if even that does not fit."""
    limit = max_record_bytes() - _ENVELOPE_BYTES
    for with_reasons in (True, False):
        event = conference_scheduled(
            conference,
            schedule,
            solver=solver,
            total_score=total_score,
            upper_bound=upper_bound,
            gap=gap,
            dropped_meeting_ids=dropped_meeting_ids,
            with_reasons=with_reasons,
        )
        if len(event.model_dump_json().encode("utf-8")) <= limit:
            return event
    raise EventTooLarge(
        f"the schedule of {len(schedule.meetings)} meetings does not fit in one "
        f"{CONFERENCES.name} record ({limit} bytes), even without reasons"
    )
