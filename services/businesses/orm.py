"""The businesses service's tables (all named ``businesses_…``), in its own MetaData."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Date, Float, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.outbox.table import outbox_table
from shared.storage.directory import directory_table
from shared.storage.records import OwnedRecord
from shared.storage.sourcing_matches import sourcing_matches_table
from shared.storage.types import Json, service_metadata
from shared.web.idempotency import idempotency_table

SERVICE = "businesses"


class Base(DeclarativeBase):
    metadata = service_metadata()


class DemandRow(OwnedRecord, Base):
    __tablename__ = "businesses_demands"

    product: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    quantity_amount: Mapped[float] = mapped_column(Float)
    quantity_unit: Mapped[str] = mapped_column(String(16))
    recurrence: Mapped[str] = mapped_column(String(16))
    required_certifications: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    delivery_place: Mapped[str] = mapped_column(String(64))
    delivery_from: Mapped[date] = mapped_column(Date)
    delivery_until: Mapped[date] = mapped_column(Date)
    price_min_vnd: Mapped[int | None] = mapped_column(BigInteger)
    price_max_vnd: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    closed_reason: Mapped[str] = mapped_column(Text)


outbox = outbox_table(Base.metadata, SERVICE)
idempotency_keys = idempotency_table(Base.metadata, SERVICE)
sourcing_matches = sourcing_matches_table(Base.metadata, SERVICE)
known_cooperatives = directory_table(Base.metadata, f"{SERVICE}_known_cooperatives")
