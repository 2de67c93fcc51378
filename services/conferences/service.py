"""The conferences service assembled: its spec and its app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from services.conferences import orm
from services.conferences.api_errors import install_domain_error_handlers
from services.conferences.candidate_pairs import CandidatePairs
from services.conferences.jobs import PairingJobs
from services.conferences.routes import (
    conferences,
    outcomes,
    pairings,
    participants,
    schedules,
    wishes,
)
from services.conferences.settings import ConferencesSettings
from shared.storage.database import Database
from shared.storage.directory import KnownCooperatives
from shared.topics import COOPERATIVES, LOAN_LEADS, SOURCING_MATCHES
from shared.web.app import create_service_app
from shared.web.context import context_of
from shared.web.service import ConsumerSpec, ServiceSpec
from shared.web.settings import ServiceSettings

SPEC = ServiceSpec(
    name=orm.SERVICE,
    title="Kết Nối — Hội nghị kết nối (linkage conferences)",
    description=(
        "Organisers run linkage conferences where cooperatives meet businesses and banks in "
        "short meetings at tables: create the day, invite, collect meeting requests, generate "
        "the pairings with a solver (progress and optimality gap shown), re-optimise after "
        "cancellations, print schedules and agendas, and record what came of each meeting."
    ),
    settings_class=ConferencesSettings,
    metadata=orm.Base.metadata,
    outbox=orm.outbox,
    idempotency=orm.idempotency_keys,
    migrations=Path(__file__).resolve().parent / "migrations",
    routers=(
        conferences.router,
        participants.router,
        wishes.router,
        pairings.router,
        schedules.router,
        outcomes.router,
    ),
    openapi_tags=(
        {"name": "conferences", "description": "Hội nghị: ngày, địa điểm, khung giờ, số bàn"},
        {"name": "participants", "description": "Mời HTX, doanh nghiệp, ngân hàng tham dự"},
        {"name": "requests, pins and forbids", "description": "Đề nghị gặp; ghim, cấm cặp"},
        {"name": "pairings", "description": "Xếp lịch gặp (giải bài toán ghép cặp)"},
        {"name": "schedules", "description": "Lịch theo bàn và lịch làm việc từng đơn vị"},
        {"name": "outcomes", "description": "Kết quả gặp gỡ và báo cáo Ban chỉ đạo"},
    ),
    consumer=ConsumerSpec(
        topics=(SOURCING_MATCHES, LOAN_LEADS, COOPERATIVES),
        group_id="ketnoi-conferences-read-models",
        projections=(CandidatePairs(), KnownCooperatives(orm.known_cooperatives)),
    ),
)


def create_app(settings: ServiceSettings, database: Database | None = None) -> FastAPI:
    """The kit's app, plus the worker that runs pairing jobs and the domain's error answers.

    Pass ``database`` to share one with a test, else the app opens its own."""
    limits = settings if isinstance(settings, ConferencesSettings) else ConferencesSettings()
    app = create_service_app(SPEC, settings, database)
    install_domain_error_handlers(app)
    jobs = PairingJobs(context_of(app).database, limits, SPEC.outbox, producer=SPEC.name)
    app.state.pairing_jobs = jobs

    # The kit's lifespan disposes of the database; the job worker must stop before that.
    kit_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        async with kit_lifespan(application):
            try:
                yield
            finally:
                jobs.shutdown()

    app.router.lifespan_context = lifespan
    return app
