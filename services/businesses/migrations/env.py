"""Alembic environment of the businesses service (its tables only)."""

from services.businesses.orm import Base
from shared.storage.migrations import run_migrations

run_migrations(Base.metadata)
