"""banks: a retracted lead keeps the reason of its retraction

Revision ID: banks_0003
Revises: banks_0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.storage import kit_migrations as kit

revision: str = "banks_0003"
down_revision: str | None = "banks_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    kit.add_retraction_reason_v1("banks_leads")


def downgrade() -> None:
    kit.drop_retraction_reason_v1("banks_leads")
