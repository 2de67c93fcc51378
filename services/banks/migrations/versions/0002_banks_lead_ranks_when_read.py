"""banks: leads rank when read (no rank in the stored LoanLeadScored payloads)

Revision ID: banks_0002
Revises: banks_0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.storage import kit_migrations as kit

revision: str = "banks_0002"
down_revision: str | None = "banks_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    kit.remove_json_key("banks_leads", "scored", "rank")


def downgrade() -> None:
    pass  # the ranks removed do not come back
