"""The conferences service's tables (all named ``conferences_…``), in its own MetaData."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.outbox.table import outbox_table
from shared.storage.directory import directory_table
from shared.storage.records import OwnedRecord
from shared.storage.types import AutoId, Json, UtcDateTime, service_metadata
from shared.web.idempotency import idempotency_table

SERVICE = "conferences"

_CONFERENCE_FK = "conferences_conferences.id"


class Base(DeclarativeBase):
    metadata = service_metadata()


class ConferenceRow(OwnedRecord, Base):
    """A linkage conference; ``organisation_id`` is the organiser that created it."""

    __tablename__ = "conferences_conferences"

    name: Mapped[str] = mapped_column(String(200))
    day: Mapped[date] = mapped_column(Date)
    venue: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    table_count: Mapped[int] = mapped_column(Integer)
    meeting_minutes: Mapped[int] = mapped_column(Integer)

    slots: Mapped[list[SlotRow]] = relationship(
        order_by="SlotRow.position", cascade="all, delete-orphan", lazy="selectin"
    )


class SlotRow(Base):
    __tablename__ = "conferences_slots"

    conference_id: Mapped[str] = mapped_column(
        ForeignKey(_CONFERENCE_FK, ondelete="CASCADE"), primary_key=True
    )
    slot_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    is_break: Mapped[bool] = mapped_column(Boolean)


class ParticipantRow(Base):
    """An invited cooperative, business or bank. ``participant_id`` is the id the scoring
    service uses (a cooperative id, or a business's or bank's organisation id);
    ``organisation_id`` is who may read its agenda and speak for it."""

    __tablename__ = "conferences_participants"
    __table_args__ = (UniqueConstraint("conference_id", "organisation_id"),)

    conference_id: Mapped[str] = mapped_column(
        ForeignKey(_CONFERENCE_FK, ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(String(64), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    district: Mapped[str | None] = mapped_column(String(64))
    sector: Mapped[str | None] = mapped_column(String(64))
    max_meetings: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(2))
    availability: Mapped[list[str] | None] = mapped_column(Json, comment="slot ids; null: all")
    cancelled: Mapped[bool] = mapped_column(Boolean)
    arrives_for: Mapped[str | None] = mapped_column(String(64), comment="slot id, when late")
    invited_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MeetingRequestRow(Base):
    """One participant's wish about meeting another; asking again replaces the wish."""

    __tablename__ = "conferences_meeting_requests"

    conference_id: Mapped[str] = mapped_column(
        ForeignKey(_CONFERENCE_FK, ondelete="CASCADE"), primary_key=True
    )
    requester_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    made_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PinRow(Base):
    __tablename__ = "conferences_pins"

    conference_id: Mapped[str] = mapped_column(
        ForeignKey(_CONFERENCE_FK, ondelete="CASCADE"), primary_key=True
    )
    cooperative_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    counterpart_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    slot_id: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ForbidRow(Base):
    __tablename__ = "conferences_forbids"

    conference_id: Mapped[str] = mapped_column(
        ForeignKey(_CONFERENCE_FK, ondelete="CASCADE"), primary_key=True
    )
    cooperative_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    counterpart_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RevisionRow(Base):
    """One generated or re-optimised schedule; the newest is the conference's schedule."""

    __tablename__ = "conferences_revisions"

    conference_id: Mapped[str] = mapped_column(
        ForeignKey(_CONFERENCE_FK, ondelete="CASCADE"), primary_key=True
    )
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(String(64))
    made_by: Mapped[str] = mapped_column(String(16), comment="generate or reoptimise")
    solver: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    total_score: Mapped[float] = mapped_column(Float)
    objective: Mapped[float] = mapped_column(Float)
    upper_bound: Mapped[float] = mapped_column(Float)
    bound_method: Mapped[str] = mapped_column(String(32))
    gap: Mapped[float] = mapped_column(Float)
    seconds: Mapped[float] = mapped_column(Float)
    fairness_floor: Mapped[int] = mapped_column(Integer)
    fairness_mode: Mapped[str] = mapped_column(String(8))
    capacity: Mapped[dict[str, Any]] = mapped_column(Json)
    fairness: Mapped[dict[str, Any]] = mapped_column(Json)
    change: Mapped[dict[str, Any] | None] = mapped_column(Json, comment="re-optimisation input")
    dropped: Mapped[list[str]] = mapped_column(Json, comment="meeting ids taken out")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    meetings: Mapped[list[MeetingRow]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="MeetingRow.meeting_id"
    )


class MeetingRow(Base):
    __tablename__ = "conferences_meetings"
    __table_args__ = (
        ForeignKeyConstraint(
            ["conference_id", "revision"],
            ["conferences_revisions.conference_id", "conferences_revisions.revision"],
            ondelete="CASCADE",
        ),
    )

    conference_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Stable across revisions: a pair meets at most once per conference.
    meeting_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    slot_id: Mapped[str] = mapped_column(String(64))
    table_number: Mapped[int] = mapped_column(Integer)
    cooperative_id: Mapped[str] = mapped_column(String(64))
    counterpart_id: Mapped[str] = mapped_column(String(64))
    match_score: Mapped[float] = mapped_column(Float)
    why: Mapped[list[dict[str, str]]] = mapped_column(Json)


class OutcomeRow(Base):
    """What came of a meeting, as organisers recorded it; the latest record of a meeting
    counts, earlier ones stay for the record."""

    __tablename__ = "conferences_outcomes"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    conference_id: Mapped[str] = mapped_column(
        ForeignKey(_CONFERENCE_FK, ondelete="CASCADE"), index=True
    )
    meeting_id: Mapped[str] = mapped_column(String(64))
    cooperative_id: Mapped[str] = mapped_column(String(64))
    counterpart_id: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PairingJobRow(Base):
    """A schedule being generated or re-optimised in the background, and how far it got."""

    __tablename__ = "conferences_pairing_jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    conference_id: Mapped[str] = mapped_column(
        ForeignKey(_CONFERENCE_FK, ondelete="CASCADE"), index=True
    )
    requested_by: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16), comment="generate or reoptimise")
    parameters: Mapped[dict[str, Any]] = mapped_column(Json)
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    progressed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    elapsed_seconds: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    objective: Mapped[float | None] = mapped_column(Float)
    bound: Mapped[float | None] = mapped_column(Float)
    solutions: Mapped[int] = mapped_column(Integer)
    floor_missing: Mapped[int | None] = mapped_column(Integer)
    revision: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[dict[str, Any] | None] = mapped_column(Json)


class CandidatePairRow(Base):
    """A sourcing match or a loan lead the scoring service found, by its id: a replayed event
    changes nothing, a retraction keeps the row but takes it out of pairing."""

    __tablename__ = "conferences_candidate_pairs"
    __table_args__ = (Index(None, "cooperative_id", "counterpart_id"),)

    match_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    match_kind: Mapped[str] = mapped_column(String(16), comment="sourcing or lead")
    cooperative_id: Mapped[str] = mapped_column(String(64))
    counterpart_id: Mapped[str] = mapped_column(String(64), comment="business or bank org")
    counterpart_kind: Mapped[str] = mapped_column(String(16), comment="business or bank")
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[dict[str, str]]] = mapped_column(Json)
    retracted: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


outbox = outbox_table(Base.metadata, SERVICE)
idempotency_keys = idempotency_table(Base.metadata, SERVICE)
known_cooperatives = directory_table(Base.metadata, f"{SERVICE}_known_cooperatives")
