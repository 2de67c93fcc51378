"""conferences: conferences, slots, participants, requests, pins, forbids, revisions, meetings,
outcomes, pairing jobs, candidate pairs, the cooperatives directory, outbox, idempotency keys

Revision ID: conferences_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.storage import kit_migrations as kit
from shared.storage.types import AutoId, Json, UtcDateTime

revision: str = "conferences_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONFERENCE = "conferences_conferences"


def _belongs_to_conference(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["conference_id"],
        [f"{CONFERENCE}.id"],
        name=f"fk_{table}_conference_id",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        CONFERENCE,
        *kit.owned_record_columns_v1(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("venue", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("table_count", sa.Integer(), nullable=False),
        sa.Column("meeting_minutes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{CONFERENCE}"),
    )
    op.create_index(f"ix_{CONFERENCE}_organisation_id", CONFERENCE, ["organisation_id"])
    op.create_table(
        "conferences_slots",
        sa.Column("conference_id", sa.String(64), nullable=False),
        sa.Column("slot_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.Column("is_break", sa.Boolean(), nullable=False),
        _belongs_to_conference("conferences_slots"),
        sa.PrimaryKeyConstraint("conference_id", "slot_id", name="pk_conferences_slots"),
    )
    op.create_table(
        "conferences_participants",
        sa.Column("conference_id", sa.String(64), nullable=False),
        sa.Column("participant_id", sa.String(64), nullable=False),
        sa.Column("organisation_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("district", sa.String(64), nullable=True),
        sa.Column("sector", sa.String(64), nullable=True),
        sa.Column("max_meetings", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("availability", Json, nullable=True, comment="slot ids; null: all"),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("arrives_for", sa.String(64), nullable=True, comment="slot id, when late"),
        sa.Column("invited_at", UtcDateTime(), nullable=False),
        _belongs_to_conference("conferences_participants"),
        sa.PrimaryKeyConstraint(
            "conference_id", "participant_id", name="pk_conferences_participants"
        ),
        sa.UniqueConstraint(
            "conference_id",
            "organisation_id",
            name="uq_conferences_participants_conference_id",
        ),
    )
    op.create_index(
        "ix_conferences_participants_organisation_id",
        "conferences_participants",
        ["organisation_id"],
    )
    op.create_table(
        "conferences_meeting_requests",
        sa.Column("conference_id", sa.String(64), nullable=False),
        sa.Column("requester_id", sa.String(64), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("made_at", UtcDateTime(), nullable=False),
        _belongs_to_conference("conferences_meeting_requests"),
        sa.PrimaryKeyConstraint(
            "conference_id", "requester_id", "target_id", name="pk_conferences_meeting_requests"
        ),
    )
    op.create_table(
        "conferences_pins",
        sa.Column("conference_id", sa.String(64), nullable=False),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("counterpart_id", sa.String(64), nullable=False),
        sa.Column("slot_id", sa.String(64), nullable=True),
        sa.Column("decided_at", UtcDateTime(), nullable=False),
        _belongs_to_conference("conferences_pins"),
        sa.PrimaryKeyConstraint(
            "conference_id", "cooperative_id", "counterpart_id", name="pk_conferences_pins"
        ),
    )
    op.create_table(
        "conferences_forbids",
        sa.Column("conference_id", sa.String(64), nullable=False),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("counterpart_id", sa.String(64), nullable=False),
        sa.Column("decided_at", UtcDateTime(), nullable=False),
        _belongs_to_conference("conferences_forbids"),
        sa.PrimaryKeyConstraint(
            "conference_id", "cooperative_id", "counterpart_id", name="pk_conferences_forbids"
        ),
    )
    op.create_table(
        "conferences_revisions",
        sa.Column("conference_id", sa.String(64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(64), nullable=False),
        sa.Column("made_by", sa.String(16), nullable=False, comment="generate or reoptimise"),
        sa.Column("solver", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total_score", sa.Float(), nullable=False),
        sa.Column("objective", sa.Float(), nullable=False),
        sa.Column("upper_bound", sa.Float(), nullable=False),
        sa.Column("bound_method", sa.String(32), nullable=False),
        sa.Column("gap", sa.Float(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("fairness_floor", sa.Integer(), nullable=False),
        sa.Column("fairness_mode", sa.String(8), nullable=False),
        sa.Column("capacity", Json, nullable=False),
        sa.Column("fairness", Json, nullable=False),
        sa.Column("change", Json, nullable=True, comment="re-optimisation input"),
        sa.Column("dropped", Json, nullable=False, comment="meeting ids taken out"),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        _belongs_to_conference("conferences_revisions"),
        sa.PrimaryKeyConstraint("conference_id", "revision", name="pk_conferences_revisions"),
    )
    op.create_table(
        "conferences_meetings",
        sa.Column("conference_id", sa.String(64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.String(64), nullable=False),
        sa.Column("slot_id", sa.String(64), nullable=False),
        sa.Column("table_number", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("counterpart_id", sa.String(64), nullable=False),
        sa.Column("match_score", sa.Float(), nullable=False),
        sa.Column("why", Json, nullable=False),
        sa.ForeignKeyConstraint(
            ["conference_id", "revision"],
            ["conferences_revisions.conference_id", "conferences_revisions.revision"],
            name="fk_conferences_meetings_conference_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "conference_id", "revision", "meeting_id", name="pk_conferences_meetings"
        ),
    )
    op.create_table(
        "conferences_outcomes",
        sa.Column("id", AutoId, autoincrement=True, nullable=False),
        sa.Column("conference_id", sa.String(64), nullable=False),
        sa.Column("meeting_id", sa.String(64), nullable=False),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("counterpart_id", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        _belongs_to_conference("conferences_outcomes"),
        sa.PrimaryKeyConstraint("id", name="pk_conferences_outcomes"),
    )
    op.create_index(
        "ix_conferences_outcomes_conference_id", "conferences_outcomes", ["conference_id"]
    )
    op.create_table(
        "conferences_pairing_jobs",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("conference_id", sa.String(64), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False, comment="generate or reoptimise"),
        sa.Column("parameters", Json, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("progressed_at", UtcDateTime(), nullable=True),
        sa.Column("elapsed_seconds", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("objective", sa.Float(), nullable=True),
        sa.Column("bound", sa.Float(), nullable=True),
        sa.Column("solutions", sa.Integer(), nullable=False),
        sa.Column("floor_missing", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("error", Json, nullable=True),
        _belongs_to_conference("conferences_pairing_jobs"),
        sa.PrimaryKeyConstraint("id", name="pk_conferences_pairing_jobs"),
    )
    op.create_index(
        "ix_conferences_pairing_jobs_conference_id", "conferences_pairing_jobs", ["conference_id"]
    )
    op.create_table(
        "conferences_candidate_pairs",
        sa.Column("match_id", sa.String(64), nullable=False),
        sa.Column("match_kind", sa.String(16), nullable=False, comment="sourcing or lead"),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("counterpart_id", sa.String(64), nullable=False, comment="business or bank org"),
        sa.Column("counterpart_kind", sa.String(16), nullable=False, comment="business or bank"),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", Json, nullable=False),
        sa.Column("retracted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("match_id", name="pk_conferences_candidate_pairs"),
    )
    op.create_index(
        "ix_conferences_candidate_pairs_cooperative_id",
        "conferences_candidate_pairs",
        ["cooperative_id", "counterpart_id"],
    )
    kit.create_outbox_v1("conferences")
    kit.create_idempotency_keys_v1("conferences")
    kit.create_directory_v1("conferences_known_cooperatives")


def downgrade() -> None:
    kit.drop_tables(
        "conferences_known_cooperatives",
        "conferences_idempotency_keys",
        "conferences_outbox",
        "conferences_candidate_pairs",
        "conferences_pairing_jobs",
        "conferences_outcomes",
        "conferences_meetings",
        "conferences_revisions",
        "conferences_forbids",
        "conferences_pins",
        "conferences_meeting_requests",
        "conferences_participants",
        "conferences_slots",
        CONFERENCE,
    )
