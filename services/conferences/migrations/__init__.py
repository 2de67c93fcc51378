"""Alembic migrations of this service (see shared/storage/migrations.py)."""
