"""Alembic, driven from code: each service has its own script folder and version table.

A service's ``migrations/env.py`` is one call to :func:`run_migrations`; ``upgrade`` is what the
service's ``migrate`` command (and ``serve``, before it listens) runs. New revisions are written
with :func:`revision` (``python -m services.<name> revision -m "…"``).
"""

from __future__ import annotations

import zlib
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, pool

from shared.storage.database import normalise_url


def version_table(service: str) -> str:
    return f"{service}_alembic_version"


def _config(service: str, script_location: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["database_url"] = normalise_url(database_url)
    config.attributes["service"] = service
    return config


def upgrade(service: str, script_location: Path, database_url: str, target: str = "head") -> None:
    command.upgrade(_config(service, script_location, database_url), target)


def revision(service: str, script_location: Path, database_url: str, message: str) -> None:
    """Autogenerate a revision from the difference between the models and the database."""
    command.revision(
        _config(service, script_location, database_url), message=message, autogenerate=True
    )


def run_migrations(target_metadata: MetaData) -> None:
    """The body of a service's ``env.py``: migrate its own tables and nothing else."""
    config = context.config
    url: str = config.attributes["database_url"]
    service: str = config.attributes["service"]
    own_tables = set(target_metadata.tables)

    def include_name(name: str | None, type_: str, _parents: object) -> bool:
        # Another service's tables may share the database: leave them alone.
        return type_ != "table" or name in own_tables

    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        is_postgresql = connection.dialect.name == "postgresql"
        if is_postgresql:
            # Two processes of one service may start together: one migrates, the other waits.
            lock_id = zlib.crc32(version_table(service).encode())
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({lock_id})")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table=version_table(service),
            include_name=include_name,
            render_as_batch=not is_postgresql,  # SQLite alters tables by copying them
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        if is_postgresql:
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({lock_id})")
            connection.commit()
    engine.dispose()


def downgrade(service: str, script_location: Path, database_url: str, target: str = "base") -> None:
    command.downgrade(_config(service, script_location, database_url), target)
