"""The domain's errors as answers in the one error format: bad input is a 422 naming each
problem, pins that cannot all hold are a 409.

The kit answers any exception it does not know with a 500, so the app registers
:func:`on_conference_error` for the domain's base class.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.conferences.domain.errors import (
    ConferenceError,
    ConferenceInputError,
    NoScheduleFound,
    PinnedMeetingsInfeasible,
    UnknownSolver,
)
from services.conferences.outputs.pdf_files import FontMissing
from shared.web.errors import (
    ApiError,
    Conflict,
    FieldProblem,
    InvalidInput,
    ServiceUnavailable,
    error_response,
)

# Where in a request each kind of problem lies; other problems are named by their subject
# (a participant, slot or pair id).
_FIELDS = {
    "missing_name": "name",
    "missing_venue": "venue",
    "no_tables": "table_count",
    "meeting_length": "meeting_minutes",
    "fairness_floor": "fairness_floor",
    "no_slots": "slots",
    "no_meeting_slots": "slots",
    "duplicate_slot": "slots",
    "slot_ends_before_start": "slots",
    "slot_too_short": "slots",
    "overlapping_slots": "slots",
}


def as_api_error(error: ConferenceError) -> ApiError:
    if isinstance(error, ConferenceInputError):
        fields = [
            FieldProblem(field=_FIELDS.get(p.code, p.subject), reason=p.message)
            for p in error.problems
        ]
        summary = "; ".join(p.message for p in error.problems[:3])
        more = f" (and {len(error.problems) - 3} more)" if len(error.problems) > 3 else ""
        return InvalidInput(f"invalid conference: {summary}{more}", fields=fields)
    if isinstance(error, UnknownSolver):
        return InvalidInput.at("solver", str(error))
    if isinstance(error, PinnedMeetingsInfeasible):
        return Conflict(str(error), code="pins_infeasible")
    if isinstance(error, NoScheduleFound):
        return Conflict(str(error), code="no_schedule_found")
    return Conflict(str(error), code="conference_error")


def font_missing(error: FontMissing) -> ApiError:
    return ServiceUnavailable(str(error), code="pdf_fonts_missing")


def _on_conference_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ConferenceError)
    api_error = as_api_error(error)
    return error_response(
        api_error.status_code, api_error.code, api_error.message, api_error.fields
    )


def _on_font_missing(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, FontMissing)
    api_error = font_missing(error)
    return error_response(api_error.status_code, api_error.code, api_error.message)


def install_domain_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ConferenceError, _on_conference_error)
    app.add_exception_handler(FontMissing, _on_font_missing)
