"""Alembic environment of the banks service (its tables only)."""

from services.banks.orm import Base
from shared.storage.migrations import run_migrations

run_migrations(Base.metadata)
