"""Relational storage every service shares: engines from a URL, migrations, read models.

Each service keeps its own tables, named ``<service>_…``, in its own ``MetaData`` and records its
schema version in its own Alembic table, so the three services can share one PostgreSQL
database or each have a SQLite file of its own.
"""
