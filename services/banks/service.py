"""The banks service assembled: its spec and its app factory."""

from __future__ import annotations

from pathlib import Path

from services.banks import orm, routes
from services.banks.repository import LeadsProjection
from services.banks.settings import BanksSettings
from shared.storage.directory import KnownCooperatives, KnownCreditNeeds
from shared.topics import COOPERATIVES, LOAN_LEADS
from shared.web.app import app_factory
from shared.web.service import ConsumerSpec, ServiceSpec

SPEC = ServiceSpec(
    name=orm.SERVICE,
    title="Kết Nối — Ngân hàng (banks)",
    description=(
        "Banks and People's Credit Funds (ngân hàng, quỹ tín dụng nhân dân) publish loan "
        "products and receive ranked loan leads — cooperatives whose credit needs fit a "
        "product — and record their decisions, which the scoring service learns from."
    ),
    settings_class=BanksSettings,
    metadata=orm.Base.metadata,
    outbox=orm.outbox,
    idempotency=orm.idempotency_keys,
    migrations=Path(__file__).resolve().parent / "migrations",
    routers=(routes.products, routes.leads),
    openapi_tags=(
        {"name": "loan products", "description": "Sản phẩm cho vay"},
        {"name": "leads", "description": "Khách hàng tiềm năng (HTX cần vay vốn), đã xếp hạng"},
    ),
    consumer=ConsumerSpec(
        topics=(LOAN_LEADS, COOPERATIVES),
        group_id="ketnoi-banks-read-models",
        projections=(
            LeadsProjection(),
            KnownCooperatives(orm.known_cooperatives),
            KnownCreditNeeds(orm.known_credit_needs),
        ),
    ),
)

create_app = app_factory(SPEC)
