"""A participant's agenda as an iCalendar file, one event per meeting, in local time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from services.conferences.domain.model import Conference, Language, Schedule
from services.conferences.outputs.messages import text
from services.conferences.outputs.views import agenda, language_for


def agenda_ics(
    conference: Conference,
    schedule: Schedule,
    participant_id: str,
    language: Language | None = None,
    *,
    stamp: datetime | None = None,
) -> bytes:
    """``stamp``: when the file is made (DTSTAMP), default now."""
    stamp = stamp or datetime.now(UTC)
    participant = conference.participant(participant_id)
    language = language_for(participant, language)
    zone = ZoneInfo(conference.timezone)
    calendar = Calendar()
    calendar.add("prodid", "-//Ket Noi//Linkage conferences//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{conference.name} — {participant.name}")
    for row in agenda(conference, schedule, participant_id, language):
        event = Event()
        # The meeting id is stable across re-optimisation, so a moved meeting updates the
        # event already in the calendar instead of adding a second one.
        event.add("uid", f"{row.meeting.meeting_id}@{conference.conference_id}.ketnoi")
        event.add("sequence", schedule.revision)
        event.add("dtstamp", stamp)
        event.add("dtstart", conference.starts_at(row.slot).replace(tzinfo=zone))
        event.add("dtend", conference.ends_at(row.slot).replace(tzinfo=zone))
        event.add(
            "summary",
            text("event_summary", language, name=row.counterpart_name, table=row.table),
        )
        event.add(
            "location",
            text("event_location", language, venue=conference.venue, table=row.table),
        )
        if row.why:
            event.add("description", f"{text('why', language)}: {row.why}")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def schedule_ics(
    conference: Conference,
    schedule: Schedule,
    language: Language,
    *,
    stamp: datetime | None = None,
) -> bytes:
    """Every meeting of the conference as one calendar, for the organisers' desk."""
    stamp = stamp or datetime.now(UTC)
    zone = ZoneInfo(conference.timezone)
    people = conference.participants_by_id()
    calendar = Calendar()
    calendar.add("prodid", "-//Ket Noi//Linkage conferences//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", conference.name)
    order = {slot.slot_id: slot.start for slot in conference.slots}
    for meeting in sorted(schedule.meetings, key=lambda m: (order[m.slot_id], m.table)):
        slot = conference.slot(meeting.slot_id)
        names = [
            people[pid].name if pid in people else pid
            for pid in (meeting.cooperative_id, meeting.counterpart_id)
        ]
        event = Event()
        event.add("uid", f"{meeting.meeting_id}@{conference.conference_id}.ketnoi")
        event.add("sequence", schedule.revision)
        event.add("dtstamp", stamp)
        event.add("dtstart", conference.starts_at(slot).replace(tzinfo=zone))
        event.add("dtend", conference.ends_at(slot).replace(tzinfo=zone))
        event.add("summary", f"{names[0]} – {names[1]} ({text('table', language)} {meeting.table})")
        event.add(
            "location",
            text("event_location", language, venue=conference.venue, table=meeting.table),
        )
        why = "; ".join(reason.text(language) for reason in meeting.why)
        if why:
            event.add("description", f"{text('why', language)}: {why}")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
