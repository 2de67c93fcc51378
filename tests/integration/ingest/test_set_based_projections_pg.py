"""The set-based projections on PostgreSQL: a batch stores what its events one by one store
(the property of tests/unit/ingest/test_set_based_projections.py, on the production database)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.storage import migrations
from shared.storage.database import open_database
from tests.fixtures.postgres import PostgresServer
from tests.unit.ingest.test_set_based_projections import (
    CASES,
    Pair,
    assert_batches_store_what_events_one_by_one_store,
    steps,
)


@pytest.fixture(scope="module", params=list(CASES))
def pair(request: pytest.FixtureRequest, postgres_server: PostgresServer) -> Iterator[Pair]:
    case = CASES[request.param]
    urls = [postgres_server.create_database(), postgres_server.create_database()]
    for url in urls:
        migrations.upgrade(case.spec.name, case.spec.migrations, url)
    databases = Pair(case, open_database(urls[0]), open_database(urls[1]))
    assert databases.batched.engine.dialect.name == "postgresql"
    try:
        yield databases
    finally:
        databases.one_by_one.dispose()
        databases.batched.dispose()
        for url in urls:
            postgres_server.drop_database(url)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=steps, cuts=st.lists(st.integers(min_value=0, max_value=30), max_size=6))
def test_batches_store_what_events_one_by_one_store_on_postgresql(
    pair: Pair, steps: list[tuple[str, str, int, float]], cuts: list[int]
) -> None:
    assert_batches_store_what_events_one_by_one_store(pair, steps, cuts)
