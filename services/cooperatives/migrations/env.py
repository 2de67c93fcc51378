"""Alembic environment of the cooperatives service (its tables only)."""

from services.cooperatives.orm import Base
from shared.storage.migrations import run_migrations

run_migrations(Base.metadata)
