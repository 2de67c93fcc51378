"""Each service's Alembic migrations build exactly its models' tables, next to the others'."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from shared.storage import migrations
from shared.storage.migrations import version_table
from tests.integration.ingest.harness import FACTORIES, Deployment


@pytest.mark.parametrize("service", sorted(FACTORIES))
def test_migrations_match_the_models(deployment: Deployment, service: str) -> None:
    running = deployment.services[service]
    own = set(running.spec.metadata.tables)
    with running.database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, _parents: kind != "table" or name in own,
            },
        )
        assert compare_metadata(context, running.spec.metadata) == []


def test_services_keep_their_own_tables_and_versions(deployment: Deployment) -> None:
    for name, running in deployment.services.items():
        tables = set(inspect(running.database.engine).get_table_names())
        assert version_table(name) in tables
        assert all(table.startswith(f"{name}_") for table in running.spec.metadata.tables)


@pytest.mark.parametrize("service", sorted(FACTORIES))
def test_a_service_migrates_down_to_nothing_and_up_again(tmp_path: Path, service: str) -> None:
    spec = FACTORIES[service][0]
    url = f"sqlite:///{tmp_path / service}.sqlite3"
    migrations.upgrade(service, spec.migrations, url)
    migrations.downgrade(service, spec.migrations, url)
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) == {version_table(service)}
    migrations.upgrade(service, spec.migrations, url)
    assert set(spec.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()
