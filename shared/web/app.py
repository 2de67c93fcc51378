"""Builds a service's FastAPI app from its spec and settings: no engine exists before this."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from shared.storage.database import Database, open_database
from shared.web import health
from shared.web.context import ServiceContext, VerifierSource
from shared.web.errors import install_error_handlers
from shared.web.service import ServiceSpec
from shared.web.settings import ServiceSettings

API_PREFIX = "/v1"
CONVENTIONS = (
    "\n\nEvery request carries `Authorization: Bearer <token>` from `ketnoi org create`. "
    "A POST may carry `Idempotency-Key`: a retry with the same key and body gets the first "
    "answer and creates nothing twice. Errors share one format: "
    '`{"error": {"code", "message", "fields": [{"field", "reason"}]}}`.'
)


def _shell(spec: ServiceSpec, **options: Any) -> FastAPI:
    """The routes, documents and error handling of a service, without its database."""
    app = FastAPI(
        title=spec.title,
        description=spec.description + CONVENTIONS,
        version="1.0.0",
        openapi_tags=[*spec.openapi_tags, {"name": "health", "description": "Liveness"}],
        **options,
    )
    install_error_handlers(app)
    app.include_router(health.router)
    for router in spec.routers:
        app.include_router(router, prefix=API_PREFIX)
    return app


def openapi_document(spec: ServiceSpec) -> dict[str, Any]:
    """The service's OpenAPI document, as ``/openapi.json`` serves it; needs no database."""
    return _shell(spec).openapi()


def app_factory(spec: ServiceSpec) -> Callable[..., FastAPI]:
    """A service's ``create_app(settings, database=None)``."""

    def create_app(settings: ServiceSettings, database: Database | None = None) -> FastAPI:
        return create_service_app(spec, settings, database)

    return create_app


def create_service_app(
    spec: ServiceSpec, settings: ServiceSettings, database: Database | None = None
) -> FastAPI:
    """The app; pass ``database`` to share one with a test, else it opens its own."""
    owned = database is None
    db = database or open_database(settings.resolved_database_url())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            db.dispose()

    app = _shell(spec, lifespan=lifespan)
    app.state.context = ServiceContext(spec, db, VerifierSource(settings.identity))
    return app
