"""Printable PDFs: the grid for the organisers' wall and one agenda page per participant.

ReportLab's built-in fonts have no Vietnamese letters (ạ, ế, ở...), so a TrueType font that
has them is embedded: DejaVu Sans, from Debian's ``fonts-dejavu-core``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from services.conferences.domain.model import Conference, Language, Schedule
from services.conferences.outputs.messages import kind_label, text
from services.conferences.outputs.views import agenda, grid, language_for

FONT_DIRS = (
    os.environ.get("KETNOI_FONT_DIR", ""),
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/local/share/fonts",
)
REGULAR, BOLD = "KetNoiSans", "KetNoiSans-Bold"
TABLES_PER_PAGE = 8  # columns of the grid that stay readable on landscape A4


class FontMissing(RuntimeError):
    pass


@cache
def _register_fonts() -> None:
    for directory in filter(None, FONT_DIRS):
        regular = Path(directory) / "DejaVuSans.ttf"
        bold = Path(directory) / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            pdfmetrics.registerFont(TTFont(REGULAR, str(regular)))
            pdfmetrics.registerFont(TTFont(BOLD, str(bold)))
            pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD)
            return
    raise FontMissing(
        "no DejaVuSans.ttf with Vietnamese letters found in "
        f"{[d for d in FONT_DIRS if d]}; install Debian's fonts-dejavu-core "
        "or set KETNOI_FONT_DIR"
    )


def _styles() -> dict[str, ParagraphStyle]:
    _register_fonts()
    return {
        "title": ParagraphStyle("title", fontName=BOLD, fontSize=16, leading=20, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", fontName=REGULAR, fontSize=10, leading=13),
        "heading": ParagraphStyle(
            "heading", fontName=BOLD, fontSize=13, leading=16, spaceBefore=6, spaceAfter=6
        ),
        "cell": ParagraphStyle("cell", fontName=REGULAR, fontSize=8, leading=10),
        "cell_bold": ParagraphStyle("cell_bold", fontName=BOLD, fontSize=8, leading=10),
        "body": ParagraphStyle("body", fontName=REGULAR, fontSize=10, leading=13),
    }


def _p(value: object, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(value)), style)


def _heading(conference: Conference, schedule: Schedule, language: Language) -> list[Flowable]:
    styles = _styles()
    line = (
        f"{text('date', language)}: {conference.day:%d/%m/%Y} · "
        f"{text('venue', language)}: {conference.venue} · "
        f"{text('revision', language, n=schedule.revision)}"
    )
    return [_p(conference.name, styles["title"]), _p(line, styles["subtitle"]), Spacer(1, 4 * mm)]


def _footer(conference: Conference) -> Callable[[Canvas, SimpleDocTemplate], None]:
    # Pages of one file may be in both languages, so the footer uses no words.
    def draw(canvas: Canvas, document: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 8)
        canvas.drawString(document.leftMargin, 8 * mm, conference.name)
        canvas.drawRightString(
            document.pagesize[0] - document.rightMargin, 8 * mm, f"— {canvas.getPageNumber()} —"
        )
        canvas.restoreState()

    return draw


def _build(story: list[Flowable], pagesize: tuple[float, float], conference: Conference) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=14 * mm,
    )
    footer = _footer(conference)
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


_TABLE_STYLE: list[tuple[Any, ...]] = [
    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDE8F0")),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), 3),
    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
]


def grid_pdf(conference: Conference, schedule: Schedule, language: Language) -> bytes:
    """The slot-by-table grid on landscape A4, eight tables per page."""
    styles = _styles()
    rows = grid(conference, schedule)
    story: list[Flowable] = []
    width = landscape(A4)[0] - 24 * mm
    for first in range(0, conference.table_count, TABLES_PER_PAGE):
        last = min(first + TABLES_PER_PAGE, conference.table_count)
        story += _heading(conference, schedule, language)
        story.append(
            _p(
                f"{text('grid_title', language)} — {text('table_n', language, n=first + 1)}…{last}",
                styles["heading"],
            )
        )
        data: list[list[Any]] = [
            [_p(text("slot", language), styles["cell_bold"])]
            + [
                _p(text("table_n", language, n=n), styles["cell_bold"])
                for n in range(first + 1, last + 1)
            ]
        ]
        style = list(_TABLE_STYLE)
        for r, row in enumerate(rows, start=1):
            if row.slot.is_break:
                data.append(
                    [
                        _p(row.slot.label, styles["cell"]),
                        _p(text("break", language), styles["cell"]),
                    ]
                    + [""] * (last - first - 1)
                )
                style += [
                    ("SPAN", (1, r), (-1, r)),
                    ("BACKGROUND", (0, r), (-1, r), colors.HexColor("#EEEEEE")),
                ]
            else:
                data.append(
                    [_p(row.slot.label, styles["cell"])]
                    + [_p(cell, styles["cell"]) for cell in row.cells[first:last]]
                )
        slot_width = 22 * mm
        table = Table(
            data,
            colWidths=[slot_width] + [(width - slot_width) / (last - first)] * (last - first),
            repeatRows=1,
        )
        table.setStyle(TableStyle(style))
        story += [table, PageBreak()]
    return _build(story[:-1], landscape(A4), conference)


def agendas_pdf(
    conference: Conference,
    schedule: Schedule,
    participant_ids: Sequence[str] | None = None,
    language: Language | None = None,
) -> bytes:
    """One page (or more) per participant, each in their own language unless ``language``
    is given. ``participant_ids`` default: every participant, in invitation order."""
    styles = _styles()
    ids = (
        [p.participant_id for p in conference.participants]
        if participant_ids is None
        else list(participant_ids)
    )
    story: list[Flowable] = []
    width = A4[0] - 24 * mm
    for participant_id in ids:
        participant = conference.participant(participant_id)
        own = language_for(participant, language)
        story += _heading(conference, schedule, own)
        story.append(
            _p(
                f"{text('agenda_of', own, name=participant.name)} "
                f"({kind_label(participant.kind, own)})",
                styles["heading"],
            )
        )
        rows = agenda(conference, schedule, participant_id, own)
        if not rows:
            story.append(_p(text("no_meetings", own), styles["body"]))
        else:
            data: list[list[Any]] = [
                [
                    _p(text("slot", own), styles["cell_bold"]),
                    _p(text("table", own), styles["cell_bold"]),
                    _p(text("meets", own), styles["cell_bold"]),
                    _p(text("why", own), styles["cell_bold"]),
                ]
            ]
            for row in rows:
                data.append(
                    [
                        _p(row.slot.label, styles["cell"]),
                        _p(row.table, styles["cell_bold"]),
                        _p(f"{row.counterpart_name} ({row.counterpart_kind})", styles["cell"]),
                        _p(row.why, styles["cell"]),
                    ]
                )
            table = Table(
                data,
                colWidths=[24 * mm, 12 * mm, 60 * mm, width - 96 * mm],
                repeatRows=1,
            )
            table.setStyle(TableStyle(_TABLE_STYLE))
            story.append(table)
        story.append(PageBreak())
    return _build(story[:-1] or [Spacer(1, 1)], A4, conference)
