"""The businesses service assembled: its spec and its app factory."""

from __future__ import annotations

from pathlib import Path

from services.businesses import orm, routes
from services.businesses.settings import BusinessesSettings
from shared.storage.directory import KnownCooperatives
from shared.storage.sourcing_matches import SourcingMatches
from shared.topics import COOPERATIVES, SOURCING_MATCHES
from shared.web.app import app_factory
from shared.web.service import ConsumerSpec, ServiceSpec

SPEC = ServiceSpec(
    name=orm.SERVICE,
    title="Kết Nối — Doanh nghiệp (businesses)",
    description=(
        "Enterprises (doanh nghiệp) post sourcing demands — what they want to buy, how much, "
        "to which standard, where and when — and read the cooperatives ranked for each."
    ),
    settings_class=BusinessesSettings,
    metadata=orm.Base.metadata,
    outbox=orm.outbox,
    idempotency=orm.idempotency_keys,
    migrations=Path(__file__).resolve().parent / "migrations",
    routers=(routes.router,),
    openapi_tags=({"name": "demands", "description": "Nhu cầu thu mua của doanh nghiệp"},),
    consumer=ConsumerSpec(
        topics=(SOURCING_MATCHES, COOPERATIVES),
        group_id="ketnoi-businesses-read-models",
        projections=(
            SourcingMatches(orm.sourcing_matches),
            KnownCooperatives(orm.known_cooperatives),
        ),
    ),
)

create_app = app_factory(SPEC)
