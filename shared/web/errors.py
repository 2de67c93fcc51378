"""One error format for every service, and the exceptions that produce it.

Every 4xx and 5xx answer has the same body::

    {"error": {"code": "validation_failed", "message": "…",
               "fields": [{"field": "products[0].monthly_capacity.unit",
                           "reason": "unknown unit 'bao'; known units: …"}]}}
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

log = logging.getLogger(__name__)


class FieldProblem(BaseModel):
    field: str = Field(description="where, as in the request: products[0].monthly_capacity.unit")
    reason: str


class ErrorDetail(BaseModel):
    code: str = Field(description="stable, for programs: validation_failed, not_found, …")
    message: str = Field(description="for people")
    fields: list[FieldProblem] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    """An answer other than success, raised by a handler or a dependency."""

    status_code: ClassVar[int] = 400
    default_code: ClassVar[str] = "bad_request"

    def __init__(
        self, message: str, *, code: str | None = None, fields: Iterable[FieldProblem] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.fields = list(fields)


class BadRequest(ApiError):
    status_code = 400
    default_code = "bad_request"


class Unauthenticated(ApiError):
    status_code = 401
    default_code = "unauthenticated"


class Forbidden(ApiError):
    status_code = 403
    default_code = "forbidden"


class NotFound(ApiError):
    status_code = 404
    default_code = "not_found"

    @classmethod
    def of(cls, kind: str, identifier: str) -> NotFound:
        # Also the answer for another tenant's object: it must not learn that it exists.
        return cls(f"no {kind} {identifier!r}")


class Conflict(ApiError):
    status_code = 409
    default_code = "conflict"


class InvalidInput(ApiError):
    status_code = 422
    default_code = "validation_failed"

    @classmethod
    def at(cls, field: str, reason: str) -> InvalidInput:
        return cls(f"{field}: {reason}", fields=[FieldProblem(field=field, reason=reason)])


class ServiceUnavailable(ApiError):
    status_code = 503
    default_code = "service_unavailable"


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
}

_DESCRIPTIONS = {
    400: "Malformed request (for example, the body is not JSON)",
    401: "No bearer token, or a token that does not verify",
    403: "The token's role may not do this",
    404: "No such object, or it belongs to another organisation",
    409: "The object's state forbids this (closed, withdrawn, already registered, changed)",
    422: "A field is invalid; `fields` names each one and says why",
    503: "Too busy to answer now (`service_busy`: retry after `Retry-After` seconds; a POST "
    "with the same `Idempotency-Key` is never done twice), or not set up yet "
    "(`identity_not_configured`)",
}


RETRY_AFTER_S = 2
"""What a busy service tells the client to wait, in ``Retry-After``."""

_HEADERS: dict[int, dict[str, Any]] = {
    503: {
        "Retry-After": {
            "description": "Seconds to wait before retrying (sent with `service_busy`)",
            "schema": {"type": "integer"},
        }
    }
}


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: each error status with the one error schema."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        response: dict[str, Any] = {"model": ErrorResponse, "description": _DESCRIPTIONS[status]}
        if status in _HEADERS:
            response["headers"] = _HEADERS[status]
        responses[status] = response
    return responses


# The error answers of each kind of route, for its ``responses=``. Any route that touches the
# database may be too busy (503).
CREATING = documented(400, 401, 403, 409, 422, 503)
LISTING = documented(401, 403, 422, 503)
READING = documented(401, 403, 404, 422, 503)
CHANGING = documented(400, 401, 403, 404, 409, 422, 503)

# What a driver says when the database turns work away for being busy rather than for being
# wrong: SQLite's write lock held past the busy timeout; PostgreSQL out of connection slots.
_LOCKED = ("database is locked", "database table is locked", "database is busy")
_NO_SLOTS = (
    "too many clients already",
    "too many connections",
    "remaining connection slots are reserved",
)
_NO_SLOTS_SQLSTATE = "53300"  # too_many_connections


def busy_reason(error: BaseException) -> str | None:
    """Why the database turned this request away for being busy; None when it did not."""
    if isinstance(error, PoolTimeout):
        return "every database connection is in use"
    if isinstance(error, OperationalError):
        message = str(error.orig).lower()
        if any(text in message for text in _LOCKED):
            return "other writes held the database too long"
        if getattr(error.orig, "sqlstate", None) == _NO_SLOTS_SQLSTATE or any(
            text in message for text in _NO_SLOTS
        ):
            return "the database has no connection to spare"
    return None


def error_response(
    status_code: int,
    code: str,
    message: str,
    fields: Sequence[FieldProblem] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(error=ErrorDetail(code=code, message=message, fields=list(fields)))
    return JSONResponse(body.model_dump(mode="json"), status_code=status_code, headers=headers)


def field_path(location: Sequence[int | str]) -> str:
    """('body', 'products', 0, 'unit') -> 'products[0].unit'; a header keeps its name."""
    parts = list(location)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        source = parts.pop(0)
        if source == "header" and parts:
            return "-".join(word.capitalize() for word in str(parts[0]).split("-"))
    if not parts:
        return "(body)"
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _reason(item: dict[str, Any]) -> str:
    message = str(item.get("msg", "invalid"))
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    if item.get("type") == "missing":
        return "required"
    return message


def _on_validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    items = list(error.errors())
    if any(item.get("type") == "json_invalid" for item in items):
        detail = next(item for item in items if item.get("type") == "json_invalid")
        return error_response(400, "malformed_json", f"the body is not valid JSON: {detail['msg']}")
    fields = [FieldProblem(field=field_path(item["loc"]), reason=_reason(item)) for item in items]
    summary = "; ".join(f"{problem.field}: {problem.reason}" for problem in fields[:3])
    more = f" (and {len(fields) - 3} more)" if len(fields) > 3 else ""
    return error_response(422, "validation_failed", f"invalid request: {summary}{more}", fields)


def _on_api_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, Unauthenticated) else None
    return error_response(error.status_code, error.code, error.message, error.fields, headers)


def _allowed_methods(request: Request) -> str:
    """Every method some route takes at this path (Starlette names only the first route's):
    asked of the routes themselves, one method at a time."""
    allowed = []
    for method in ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.routes):
            allowed.append(method)
    return ", ".join(allowed)


def _on_http_exception(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = _STATUS_CODES.get(error.status_code, "error")
    message = str(error.detail) if error.detail else code.replace("_", " ")
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return error_response(error.status_code, code, message, headers=headers)


def _on_stale_data(_request: Request, _error: Exception) -> JSONResponse:
    return error_response(
        409, "changed_concurrently", "the object was changed by another request; read it again"
    )


def _on_integrity_error(_request: Request, error: Exception) -> JSONResponse:
    # A unique constraint caught what the handler's own checks missed (two requests raced).
    log.info("integrity error answered with 409: %s", error)
    return error_response(409, "conflict", "this conflicts with data that exists already")


def _on_database_error(request: Request, error: Exception) -> JSONResponse:
    """Overload is 503 with ``Retry-After``; any other database failure goes on to be a 500.

    The request's session has been closed by then (:mod:`shared.web.routing`), which rolled
    back whatever it had not committed: a request answered 503 wrote nothing.
    """
    reason = busy_reason(error)
    if reason is None:
        raise error  # to the handler of everything else: logged with its traceback, 500
    log.warning("%s %s answered 503 (%s): %s", request.method, request.url.path, reason, error)
    return error_response(
        503,
        "service_busy",
        f"the service is too busy to answer now ({reason}); retry in {RETRY_AFTER_S} s",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def _on_unexpected(_request: Request, error: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=error)
    return error_response(500, "internal_error", "an internal error; it has been logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(StaleDataError, _on_stale_data)
    app.add_exception_handler(IntegrityError, _on_integrity_error)
    app.add_exception_handler(PoolTimeout, _on_database_error)
    app.add_exception_handler(OperationalError, _on_database_error)
    app.add_exception_handler(Exception, _on_unexpected)
