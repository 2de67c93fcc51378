"""businesses: sourcing matches rank when read (product_id column, no rank in stored payloads)

Revision ID: businesses_0002
Revises: businesses_0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.storage import kit_migrations as kit

revision: str = "businesses_0002"
down_revision: str | None = "businesses_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    kit.sourcing_matches_v2("businesses")


def downgrade() -> None:
    kit.sourcing_matches_v2_down("businesses")
