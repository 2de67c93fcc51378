"""banks: loan products, leads, outbox, idempotency keys, read models

Revision ID: banks_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.storage import kit_migrations as kit
from shared.storage.types import Json, UtcDateTime

revision: str = "banks_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "banks_loan_products",
        *kit.owned_record_columns_v1(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("amount_min_vnd", sa.BigInteger(), nullable=False),
        sa.Column("amount_max_vnd", sa.BigInteger(), nullable=False),
        sa.Column("max_term_months", sa.Integer(), nullable=False),
        sa.Column("interest_rate_pct_per_year", sa.Float(), nullable=False),
        sa.Column("eligible_sectors", Json, nullable=False),
        sa.Column("eligible_kinds", Json, nullable=False),
        sa.Column("min_years_operating", sa.Integer(), nullable=False),
        sa.Column("min_members", sa.Integer(), nullable=False),
        sa.Column("collateral_required", sa.Boolean(), nullable=False),
        sa.Column("eligible_districts", Json, nullable=False),
        sa.Column("purposes", Json, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_banks_loan_products"),
    )
    op.create_index(
        "ix_banks_loan_products_organisation_id", "banks_loan_products", ["organisation_id"]
    )
    op.create_table(
        "banks_leads",
        sa.Column("lead_id", sa.String(64), nullable=False),
        sa.Column("bank_id", sa.String(64), nullable=False),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("credit_need_id", sa.String(64), nullable=False),
        sa.Column("loan_product_id", sa.String(64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("scored", Json, nullable=False, comment="the LoanLeadScored payload"),
        sa.Column("retracted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("lead_id", name="pk_banks_leads"),
    )
    op.create_index("ix_banks_leads_bank_id", "banks_leads", ["bank_id"])
    kit.create_outbox_v1("banks")
    kit.create_idempotency_keys_v1("banks")
    kit.create_directory_v1("banks_known_cooperatives")
    kit.create_directory_v1("banks_known_credit_needs")


def downgrade() -> None:
    kit.drop_tables(
        "banks_known_credit_needs",
        "banks_known_cooperatives",
        "banks_idempotency_keys",
        "banks_outbox",
        "banks_leads",
        "banks_loan_products",
    )
