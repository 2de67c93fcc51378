"""What the outputs show, whatever their format: the grid and the agendas as rows of words.

Every renderer (CSV, XLSX, ICS, PDF) draws from these, so the formats never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.conferences.domain.model import (
    Conference,
    Language,
    Meeting,
    Participant,
    Schedule,
    Slot,
)
from services.conferences.outputs.messages import kind_label, text


@dataclass(frozen=True, slots=True)
class GridRow:
    slot: Slot
    cells: tuple[str, ...]  # one per table, "" when free; empty for a break


@dataclass(frozen=True, slots=True)
class AgendaRow:
    slot: Slot
    meeting: Meeting
    table: int
    counterpart_name: str
    counterpart_kind: str
    why: str


def name_of(conference: Conference, participant_id: str) -> str:
    try:
        return conference.participant(participant_id).name
    except KeyError:
        return participant_id  # someone removed since: their id still identifies them


def language_for(participant: Participant, language: Language | None) -> Language:
    return participant.language if language is None else language


def ordered_slots(conference: Conference) -> list[Slot]:
    return sorted(conference.slots, key=lambda s: s.start)


def grid(conference: Conference, schedule: Schedule) -> list[GridRow]:
    """Every slot in time order, breaks included, with who sits at each table."""
    rows = []
    for slot in ordered_slots(conference):
        if slot.is_break:
            rows.append(GridRow(slot, ()))
            continue
        cells = [""] * conference.table_count
        for meeting in schedule.meetings_in(slot.slot_id):
            if 1 <= meeting.table <= conference.table_count:
                cells[meeting.table - 1] = (
                    f"{name_of(conference, meeting.cooperative_id)} – "
                    f"{name_of(conference, meeting.counterpart_id)}"
                )
        rows.append(GridRow(slot, tuple(cells)))
    return rows


def agenda(
    conference: Conference, schedule: Schedule, participant_id: str, language: Language
) -> list[AgendaRow]:
    """A participant's meetings in time order."""
    position = {s.slot_id: i for i, s in enumerate(ordered_slots(conference))}
    rows = []
    for meeting in sorted(
        schedule.meetings_of(participant_id), key=lambda m: position.get(m.slot_id, -1)
    ):
        other_id = meeting.other(participant_id)
        try:
            other_kind = kind_label(conference.participant(other_id).kind, language)
        except KeyError:
            other_kind = ""
        rows.append(
            AgendaRow(
                slot=conference.slot(meeting.slot_id),
                meeting=meeting,
                table=meeting.table,
                counterpart_name=name_of(conference, other_id),
                counterpart_kind=other_kind,
                why="; ".join(reason.text(language) for reason in meeting.why),
            )
        )
    return rows


def grid_header(conference: Conference, language: Language) -> list[str]:
    return [text("slot", language)] + [
        text("table_n", language, n=n) for n in range(1, conference.table_count + 1)
    ]


def agenda_header(language: Language) -> list[str]:
    return [
        text("start", language),
        text("end", language),
        text("table", language),
        text("meets", language),
        text("kind", language),
        text("why", language),
    ]


def agenda_cells(row: AgendaRow) -> list[str | int]:
    return [
        f"{row.slot.start:%H:%M}",
        f"{row.slot.end:%H:%M}",
        row.table,
        row.counterpart_name,
        row.counterpart_kind,
        row.why,
    ]
