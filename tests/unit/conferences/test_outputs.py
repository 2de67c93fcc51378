from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from openpyxl import load_workbook

from services.conferences.domain.model import (
    CandidatePair,
    Conference,
    Language,
    PairingInputs,
    PairReason,
    SchedulingResult,
)
from services.conferences.domain.scheduling import generate_schedule
from services.conferences.domain.solvers import SolveOptions
from services.conferences.outputs.csv_files import agenda_csv, agendas_csv, grid_csv
from services.conferences.outputs.ics_files import agenda_ics
from services.conferences.outputs.messages import (
    CATALOGUE,
    capacity_message,
    fairness_message,
)
from services.conferences.outputs.pdf_files import agendas_pdf, grid_pdf
from services.conferences.outputs.xlsx_files import schedule_xlsx

from .factories import business, conference, coop, day

WHY = PairReason("product_fit", "Supplies the rice they buy", "Cung cấp gạo doanh nghiệp cần")


@pytest.fixture(scope="module")
def planned() -> tuple[Conference, SchedulingResult]:
    conf = conference(
        [
            coop("a", 2),
            coop("b", 2),
            business("x", 2),
            business("y", 2, language=Language.EN),
        ],
        slots=day(2, break_after=(1,)),
        tables=2,
    )
    inputs = PairingInputs(
        candidates=(
            CandidatePair("a", "x", 0.9, (WHY,)),
            CandidatePair("a", "y", 0.7, (WHY,)),
            CandidatePair("b", "x", 0.6, (WHY,)),
        )
    )
    result = generate_schedule(conf, inputs, options=SolveOptions(time_limit_seconds=5.0))
    assert len(result.schedule.meetings) == 3
    return conf, result


def _rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_grid_csv_has_a_row_per_slot_including_the_break_and_a_column_per_table(
    planned: tuple[Conference, SchedulingResult],
) -> None:
    conf, result = planned
    rows = _rows(grid_csv(conf, result.schedule, Language.VI))
    assert rows[0] == ["Khung giờ", "Bàn 1", "Bàn 2"]
    assert len(rows) == 1 + 3
    assert "Nghỉ giải lao" in rows[2][0]
    filled = [cell for row in rows[1:] for cell in row[1:] if cell]
    assert len(filled) == 3
    assert any(cell == "HTX a – DN x" for cell in filled)


def test_agenda_csv_is_in_the_participants_own_language_with_the_reason(
    planned: tuple[Conference, SchedulingResult],
) -> None:
    conf, result = planned
    vi = _rows(agenda_csv(conf, result.schedule, "a"))
    en = _rows(agenda_csv(conf, result.schedule, "y"))
    assert vi[0][-1] == "Lý do ghép cặp" and en[0][-1] == "Why you were paired"
    assert len(vi) == 1 + 2 and len(en) == 1 + 1
    assert vi[1][-1] == WHY.vi and en[1][-1] == WHY.en
    assert en[1][3] == "HTX a"


def test_all_agendas_csv_lists_each_meeting_once_per_participant(
    planned: tuple[Conference, SchedulingResult],
) -> None:
    conf, result = planned
    rows = _rows(agendas_csv(conf, result.schedule, Language.EN))
    assert len(rows) == 1 + 2 * len(result.schedule.meetings)


def test_xlsx_has_the_grid_and_the_agendas(planned: tuple[Conference, SchedulingResult]) -> None:
    conf, result = planned
    book = load_workbook(io.BytesIO(schedule_xlsx(conf, result.schedule, Language.EN)))
    assert book.sheetnames == ["Meeting grid", "Agendas"]
    grid = book["Meeting grid"]
    assert [c.value for c in grid[1]] == ["Time slot", "Table 1", "Table 2"]
    assert grid.max_row == 1 + 3
    assert book["Agendas"].max_row == 1 + 2 * len(result.schedule.meetings)


def test_ics_has_one_event_per_meeting_in_local_time(
    planned: tuple[Conference, SchedulingResult],
) -> None:
    conf, result = planned
    calendar = Calendar.from_ical(agenda_ics(conf, result.schedule, "a"))
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 2
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    starts = sorted(e.decoded("dtstart") for e in events)
    assert starts[0] == datetime(2025, 6, 12, 8, 0, tzinfo=zone)
    assert all("Gặp" in str(e.get("summary")) for e in events)
    assert {str(e.get("uid")).split("@")[0] for e in events} == {
        m.meeting_id for m in result.schedule.meetings_of("a")
    }
    assert calendar.walk("VTIMEZONE"), "the zone travels with the file"


def test_pdfs_are_non_empty_and_embed_a_vietnamese_font(
    planned: tuple[Conference, SchedulingResult],
) -> None:
    conf, result = planned
    for pdf in (
        grid_pdf(conf, result.schedule, Language.VI),
        agendas_pdf(conf, result.schedule),
        agendas_pdf(conf, result.schedule, ["y"], Language.VI),
    ):
        assert pdf.startswith(b"%PDF")
        assert len(pdf) > 5_000
        assert b"DejaVuSans" in pdf


def test_the_catalogue_has_every_message_in_both_languages() -> None:
    for key, texts in CATALOGUE.items():
        assert set(texts) == {Language.VI, Language.EN}, key
        assert all(texts.values()), key


def test_capacity_and_fairness_messages_say_what_did_not_fit(
    planned: tuple[Conference, SchedulingResult],
) -> None:
    _, result = planned
    message = capacity_message(result.capacity, Language.EN)
    assert message.startswith("All 3 meetings are placed")
    assert "at least 0" in fairness_message(result.fairness, Language.EN)
