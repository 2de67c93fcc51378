"""Fixtures of the matching worker's tests: workers run as their own processes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shared.settings import KafkaSettings
from tests.fixtures.kafka import Broker
from tests.integration.matching.harness import Worker, run_id

# A killed worker leaves its group after this; the broker's minimum is 6 s.
SESSION_TIMEOUT = {"KETNOI_MATCHING_SESSION_TIMEOUT_SECONDS": "8"}

WorkerFactory = Callable[..., Worker]


@pytest.fixture
def workers(
    kafka_broker: Broker, kafka_settings: KafkaSettings, tmp_path: Path
) -> Iterator[WorkerFactory]:
    """Makes workers; every one still running at the end of the test is stopped."""
    made: list[Worker] = []

    def make(name: str, app_id: str) -> Worker:
        worker = Worker(name, app_id, tmp_path / name, kafka_settings, env=dict(SESSION_TIMEOUT))
        made.append(worker)
        return worker

    yield make
    for worker in made:
        worker.stop()


@pytest.fixture(scope="module")
def module_worker(
    kafka_broker: Broker, kafka_settings: KafkaSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Worker]:
    """One worker for a module's tests, in a group of its own."""
    worker = Worker(
        "worker",
        f"ketnoi-matching-test-{run_id()}",
        tmp_path_factory.mktemp("matching-worker"),
        kafka_settings,
        env=dict(SESSION_TIMEOUT),
    ).start()
    try:
        worker.wait_serving()
        yield worker
    finally:
        worker.stop()
