"""businesses: demands, outbox, idempotency keys, read models

Revision ID: businesses_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.storage import kit_migrations as kit
from shared.storage.types import Json

revision: str = "businesses_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "businesses_demands",
        *kit.owned_record_columns_v1(),
        sa.Column("product", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity_amount", sa.Float(), nullable=False),
        sa.Column("quantity_unit", sa.String(16), nullable=False),
        sa.Column("recurrence", sa.String(16), nullable=False),
        sa.Column("required_certifications", Json, nullable=False),
        sa.Column("delivery_place", sa.String(64), nullable=False),
        sa.Column("delivery_from", sa.Date(), nullable=False),
        sa.Column("delivery_until", sa.Date(), nullable=False),
        sa.Column("price_min_vnd", sa.BigInteger(), nullable=True),
        sa.Column("price_max_vnd", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("closed_reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_businesses_demands"),
    )
    op.create_index(
        "ix_businesses_demands_organisation_id", "businesses_demands", ["organisation_id"]
    )
    kit.create_outbox_v1("businesses")
    kit.create_idempotency_keys_v1("businesses")
    kit.create_sourcing_matches_v1("businesses")
    kit.create_directory_v1("businesses_known_cooperatives")


def downgrade() -> None:
    kit.drop_tables(
        "businesses_known_cooperatives",
        "businesses_sourcing_matches",
        "businesses_idempotency_keys",
        "businesses_outbox",
        "businesses_demands",
    )
