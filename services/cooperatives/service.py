"""The cooperatives service assembled: its spec and its app factory."""

from __future__ import annotations

from pathlib import Path

from services.cooperatives import orm, routes
from services.cooperatives.settings import CooperativesSettings
from shared.storage.directory import KnownDemands
from shared.storage.sourcing_matches import SourcingMatches
from shared.topics import DEMANDS, SOURCING_MATCHES
from shared.web.app import app_factory
from shared.web.service import ConsumerSpec, ServiceSpec

SPEC = ServiceSpec(
    name=orm.SERVICE,
    title="Kết Nối — Hợp tác xã (cooperatives)",
    description=(
        "Cooperatives (hợp tác xã, tổ hợp tác, liên hiệp HTX, quỹ tín dụng nhân dân) register "
        "their profile and products, submit credit needs, and read the demands that fit them."
    ),
    settings_class=CooperativesSettings,
    metadata=orm.Base.metadata,
    outbox=orm.outbox,
    idempotency=orm.idempotency_keys,
    migrations=Path(__file__).resolve().parent / "migrations",
    routers=(routes.router, routes.imports),
    openapi_tags=(
        {"name": "cooperatives", "description": "Hồ sơ hợp tác xã, nhu cầu vay vốn, kết nối"},
        {"name": "imports", "description": "Nhập danh sách HTX từ bảng tính (organisers)"},
    ),
    consumer=ConsumerSpec(
        topics=(SOURCING_MATCHES, DEMANDS),
        group_id="ketnoi-cooperatives-read-models",
        projections=(SourcingMatches(orm.sourcing_matches), KnownDemands(orm.known_demands)),
    ),
)

create_app = app_factory(SPEC)
