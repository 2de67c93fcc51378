"""The banks service's tables (all named ``banks_…``), in its own MetaData."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.outbox.table import outbox_table
from shared.storage.directory import directory_table
from shared.storage.records import OwnedRecord
from shared.storage.types import Json, NullableJson, UtcDateTime, service_metadata
from shared.web.idempotency import idempotency_table

SERVICE = "banks"


class Base(DeclarativeBase):
    metadata = service_metadata()


class LoanProductRow(OwnedRecord, Base):
    __tablename__ = "banks_loan_products"

    name: Mapped[str] = mapped_column(String(200))
    amount_min_vnd: Mapped[int] = mapped_column(BigInteger)
    amount_max_vnd: Mapped[int] = mapped_column(BigInteger)
    max_term_months: Mapped[int] = mapped_column(Integer)
    interest_rate_pct_per_year: Mapped[float] = mapped_column(Float)
    eligible_sectors: Mapped[list[str]] = mapped_column(Json)
    eligible_kinds: Mapped[list[str]] = mapped_column(Json)
    min_years_operating: Mapped[int] = mapped_column(Integer)
    min_members: Mapped[int] = mapped_column(Integer)
    collateral_required: Mapped[bool] = mapped_column(Boolean)
    eligible_districts: Mapped[list[str]] = mapped_column(Json)
    purposes: Mapped[list[str]] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String(16))


class LeadRow(Base):
    """A loan lead the scoring service found for a bank, and the bank's decision on it."""

    __tablename__ = "banks_leads"

    lead_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bank_id: Mapped[str] = mapped_column(String(64), index=True)
    cooperative_id: Mapped[str] = mapped_column(String(64))
    credit_need_id: Mapped[str] = mapped_column(String(64))
    loan_product_id: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    scored: Mapped[dict[str, Any]] = mapped_column(Json, comment="the LoanLeadScored payload")
    retracted: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    retraction_reason: Mapped[dict[str, Any] | None] = mapped_column(
        NullableJson, comment="the MatchRetracted reason (code, en, vi) while retracted"
    )
    decision: Mapped[str | None] = mapped_column(String(16))
    decision_reason: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @property
    def organisation_id(self) -> str:
        """The bank that may read and decide this lead."""
        return self.bank_id


outbox = outbox_table(Base.metadata, SERVICE)
idempotency_keys = idempotency_table(Base.metadata, SERVICE)
known_cooperatives = directory_table(Base.metadata, f"{SERVICE}_known_cooperatives")
known_credit_needs = directory_table(Base.metadata, f"{SERVICE}_known_credit_needs")
