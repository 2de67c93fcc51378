"""Alembic environment of the conferences service (its tables only)."""

from services.conferences.orm import Base
from shared.storage.migrations import run_migrations

run_migrations(Base.metadata)
