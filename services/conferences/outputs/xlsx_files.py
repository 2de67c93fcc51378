"""The grid and the agendas as one Excel workbook, a sheet each."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from services.conferences.domain.model import Conference, Language, Schedule
from services.conferences.outputs.messages import text
from services.conferences.outputs.views import (
    agenda,
    agenda_cells,
    agenda_header,
    grid,
    grid_header,
)

_BOLD = Font(bold=True)
_BREAK = PatternFill("solid", fgColor="E6E6E6")
_WRAP = Alignment(wrap_text=True, vertical="top")


def schedule_xlsx(conference: Conference, schedule: Schedule, language: Language) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = text("grid_title", language)[:31]
    _fill_grid(sheet, conference, schedule, language)
    _fill_agendas(
        workbook.create_sheet(text("agendas_title", language)[:31]), conference, schedule, language
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _fill_grid(
    sheet: Worksheet, conference: Conference, schedule: Schedule, language: Language
) -> None:
    sheet.append(grid_header(conference, language))
    for row in grid(conference, schedule):
        if row.slot.is_break:
            sheet.append([row.slot.label, text("break", language)])
            for cell in sheet[sheet.max_row]:
                cell.fill = _BREAK
        else:
            sheet.append([row.slot.label, *row.cells])
    for cell in sheet[1]:
        cell.font = _BOLD
    sheet.freeze_panes = "B2"
    sheet.column_dimensions["A"].width = 14
    for column in range(2, conference.table_count + 2):
        sheet.column_dimensions[get_column_letter(column)].width = 28
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            cell.alignment = _WRAP


def _fill_agendas(
    sheet: Worksheet, conference: Conference, schedule: Schedule, language: Language
) -> None:
    sheet.append([text("participant", language), *agenda_header(language)])
    for participant in conference.participants:
        for row in agenda(conference, schedule, participant.participant_id, language):
            sheet.append([participant.name, *agenda_cells(row)])
    for cell in sheet[1]:
        cell.font = _BOLD
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for column, width in zip("ABCDEFG", (30, 8, 8, 7, 30, 14, 60), strict=True):
        sheet.column_dimensions[column].width = width
