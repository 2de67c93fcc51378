"""The conferences service's Alembic migration builds exactly its models' tables, on SQLite and
on PostgreSQL, and takes them away again."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from services.conferences.service import SPEC
from shared.storage import migrations
from shared.storage.database import normalise_url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'conferences.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def test_the_migration_builds_the_models_tables_and_removes_them(database_url: str) -> None:
    own = set(SPEC.metadata.tables)
    migrations.upgrade(SPEC.name, SPEC.migrations, database_url)
    engine = create_engine(normalise_url(database_url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "include_name": lambda name, kind, _parents: kind != "table" or name in own,
                },
            )
            assert compare_metadata(context, SPEC.metadata) == []
        migrations.downgrade(SPEC.name, SPEC.migrations, database_url)
        left = set(inspect(engine).get_table_names())
        assert not own & left
        assert migrations.version_table(SPEC.name) in left
    finally:
        engine.dispose()
