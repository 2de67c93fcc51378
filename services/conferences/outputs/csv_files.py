"""The grid and the agendas as CSV, UTF-8 with a byte-order mark so Excel shows Vietnamese."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from services.conferences.domain.model import Conference, Language, Schedule
from services.conferences.outputs.messages import text
from services.conferences.outputs.views import (
    agenda,
    agenda_cells,
    agenda_header,
    grid,
    grid_header,
    language_for,
)


def _encode(rows: Sequence[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def grid_csv(conference: Conference, schedule: Schedule, language: Language) -> bytes:
    """One row per slot (breaks too), one column per table."""
    rows: list[Sequence[object]] = [grid_header(conference, language)]
    for row in grid(conference, schedule):
        label = row.slot.label
        if row.slot.is_break:
            rows.append([f"{label} {text('break', language)}"])
        else:
            rows.append([label, *row.cells])
    return _encode(rows)


def agenda_csv(
    conference: Conference,
    schedule: Schedule,
    participant_id: str,
    language: Language | None = None,
) -> bytes:
    """One participant's meetings; in their own language unless ``language`` is given."""
    language = language_for(conference.participant(participant_id), language)
    rows: list[Sequence[object]] = [agenda_header(language)]
    rows += [agenda_cells(row) for row in agenda(conference, schedule, participant_id, language)]
    return _encode(rows)


def agendas_csv(conference: Conference, schedule: Schedule, language: Language) -> bytes:
    """Every participant's meetings in one file, a participant column first."""
    rows: list[Sequence[object]] = [[text("participant", language), *agenda_header(language)]]
    for participant in conference.participants:
        for row in agenda(conference, schedule, participant.participant_id, language):
            rows.append([participant.name, *agenda_cells(row)])
    return _encode(rows)
