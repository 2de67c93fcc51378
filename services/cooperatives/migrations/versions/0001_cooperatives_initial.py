"""cooperatives: profiles, products, credit needs, outbox, idempotency keys, read models

Revision ID: cooperatives_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.storage import kit_migrations as kit
from shared.storage.types import Json, UtcDateTime

revision: str = "cooperatives_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cooperatives_profiles",
        *kit.owned_record_columns_v1(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("sector", sa.String(64), nullable=False),
        sa.Column("district", sa.String(64), nullable=False),
        sa.Column("commune", sa.String(200), nullable=False),
        sa.Column("founded_year", sa.Integer(), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("annual_revenue_vnd", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_cooperatives_profiles"),
        sa.UniqueConstraint("organisation_id", name="uq_cooperatives_profiles_organisation_id"),
    )
    op.create_index("ix_cooperatives_profiles_district", "cooperatives_profiles", ["district"])
    op.create_table(
        "cooperatives_products",
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("product_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("capacity_amount", sa.Float(), nullable=False),
        sa.Column("capacity_unit", sa.String(16), nullable=False),
        sa.Column("certifications", Json, nullable=False),
        sa.Column("harvest_months", Json, nullable=False),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives_profiles.id"],
            name="fk_cooperatives_products_cooperative_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cooperative_id", "product_id", name="pk_cooperatives_products"),
    )
    op.create_table(
        "cooperatives_credit_needs",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("purpose_detail", sa.Text(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("collateral_offered", sa.Boolean(), nullable=False),
        sa.Column("collateral_description", sa.Text(), nullable=False),
        sa.Column("submitted_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives_profiles.id"],
            name="fk_cooperatives_credit_needs_cooperative_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cooperatives_credit_needs"),
    )
    op.create_index(
        "ix_cooperatives_credit_needs_cooperative_id",
        "cooperatives_credit_needs",
        ["cooperative_id"],
    )
    kit.create_outbox_v1("cooperatives")
    kit.create_idempotency_keys_v1("cooperatives")
    kit.create_sourcing_matches_v1("cooperatives")
    kit.create_directory_v1("cooperatives_known_demands")


def downgrade() -> None:
    kit.drop_tables(
        "cooperatives_known_demands",
        "cooperatives_sourcing_matches",
        "cooperatives_idempotency_keys",
        "cooperatives_outbox",
        "cooperatives_credit_needs",
        "cooperatives_products",
        "cooperatives_profiles",
    )
