"""Schedules and agendas as files to download: which renderer, which media type, which name."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.conferences.domain.model import Conference, Language, Schedule
from services.conferences.outputs.csv_files import agenda_csv, agendas_csv, grid_csv
from services.conferences.outputs.ics_files import agenda_ics, schedule_ics
from services.conferences.outputs.pdf_files import agendas_pdf, grid_pdf
from services.conferences.outputs.xlsx_files import schedule_xlsx


class ScheduleFormat(StrEnum):
    CSV = "csv"  # the grid: one row per slot, one column per table
    XLSX = "xlsx"  # the grid and every agenda, a sheet each
    ICS = "ics"  # every meeting as a calendar event
    PDF = "pdf"  # the grid, landscape, for the wall


class AgendaFormat(StrEnum):
    CSV = "csv"
    ICS = "ics"
    PDF = "pdf"


class AgendasFormat(StrEnum):
    """Every participant's agenda in one file, to print or to mail merge."""

    CSV = "csv"
    PDF = "pdf"


MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ics": "text/calendar; charset=utf-8",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class Download:
    content: bytes
    media_type: str
    filename: str


def _download(content: bytes, extension: str, stem: str) -> Download:
    return Download(content, MEDIA_TYPES[extension], f"{stem}.{extension}")


def schedule_file(
    conference: Conference, schedule: Schedule, file_format: ScheduleFormat, language: Language
) -> Download:
    stem = f"{conference.conference_id}-r{schedule.revision}-{language.value}"
    if file_format is ScheduleFormat.CSV:
        content = grid_csv(conference, schedule, language)
    elif file_format is ScheduleFormat.XLSX:
        content = schedule_xlsx(conference, schedule, language)
    elif file_format is ScheduleFormat.ICS:
        content = schedule_ics(conference, schedule, language)
    else:
        content = grid_pdf(conference, schedule, language)
    return _download(content, file_format.value, stem)


def agendas_file(
    conference: Conference, schedule: Schedule, file_format: AgendasFormat, language: Language
) -> Download:
    stem = f"{conference.conference_id}-r{schedule.revision}-agendas-{language.value}"
    if file_format is AgendasFormat.CSV:
        content = agendas_csv(conference, schedule, language)
    else:
        content = agendas_pdf(conference, schedule, language=language)
    return _download(content, file_format.value, stem)


def agenda_file(
    conference: Conference,
    schedule: Schedule,
    participant_id: str,
    file_format: AgendaFormat,
    language: Language | None,
) -> Download:
    """``language`` None: the participant's own."""
    stem = f"{conference.conference_id}-r{schedule.revision}-{participant_id}"
    if file_format is AgendaFormat.CSV:
        content = agenda_csv(conference, schedule, participant_id, language)
    elif file_format is AgendaFormat.ICS:
        content = agenda_ics(conference, schedule, participant_id, language)
    else:
        content = agendas_pdf(conference, schedule, [participant_id], language)
    return _download(content, file_format.value, stem)
