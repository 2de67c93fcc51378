"""The cooperatives service's tables (all named ``cooperatives_…``), in its own MetaData."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.outbox.table import outbox_table
from shared.storage.directory import directory_table
from shared.storage.records import OwnedRecord
from shared.storage.sourcing_matches import sourcing_matches_table
from shared.storage.types import Json, UtcDateTime, service_metadata
from shared.web.idempotency import idempotency_table

SERVICE = "cooperatives"


class Base(DeclarativeBase):
    metadata = service_metadata()


class CooperativeRow(OwnedRecord, Base):
    __tablename__ = "cooperatives_profiles"

    # One cooperative per organisation: the organisation is the cooperative's login.
    organisation_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    sector: Mapped[str] = mapped_column(String(64))
    district: Mapped[str] = mapped_column(String(64), index=True)
    commune: Mapped[str] = mapped_column(String(200))
    founded_year: Mapped[int] = mapped_column(Integer)
    member_count: Mapped[int] = mapped_column(Integer)
    annual_revenue_vnd: Mapped[int | None] = mapped_column(BigInteger)

    products: Mapped[list[ProductRow]] = relationship(
        order_by="ProductRow.position", cascade="all, delete-orphan", lazy="selectin"
    )


class ProductRow(Base):
    __tablename__ = "cooperatives_products"

    cooperative_id: Mapped[str] = mapped_column(
        ForeignKey("cooperatives_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    capacity_amount: Mapped[float] = mapped_column(Float)
    capacity_unit: Mapped[str] = mapped_column(String(16))
    certifications: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    harvest_months: Mapped[list[int]] = mapped_column(Json)


class CreditNeedRow(Base):
    __tablename__ = "cooperatives_credit_needs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(
        ForeignKey("cooperatives_profiles.id", ondelete="CASCADE"), index=True
    )
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(String(32))
    purpose_detail: Mapped[str] = mapped_column(Text)
    term_months: Mapped[int] = mapped_column(Integer)
    collateral_offered: Mapped[bool] = mapped_column(Boolean)
    collateral_description: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)


outbox = outbox_table(Base.metadata, SERVICE)
idempotency_keys = idempotency_table(Base.metadata, SERVICE)
sourcing_matches = sourcing_matches_table(Base.metadata, SERVICE)
known_demands = directory_table(Base.metadata, f"{SERVICE}_known_demands")
