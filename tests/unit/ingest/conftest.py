"""Fixtures of the ingest unit tests: the businesses service's tables on SQLite, and the
kafka-python stand-in the read-model consumer gets instead of a broker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.businesses.service import SPEC as BUSINESSES
from shared.kafka import consumer as consumer_module
from shared.storage.database import Database
from tests.unit.ingest.kafka_stand_ins import FakeKafkaConsumer
from tests.unit.ingest.read_models import migrated


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    database = migrated(BUSINESSES, tmp_path)
    yield database
    database.dispose()


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> FakeKafkaConsumer:
    fake = FakeKafkaConsumer()
    monkeypatch.setattr(consumer_module, "KafkaConsumer", lambda *topics, **options: fake)
    return fake
