"""What the ingest tests share: organisations with tokens, the three services on one backend,
and a reader that finds events on a topic."""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import func, select

from services.banks.service import SPEC as BANKS
from services.banks.service import create_app as create_banks_app
from services.businesses.service import SPEC as BUSINESSES
from services.businesses.service import create_app as create_businesses_app
from services.cooperatives.service import SPEC as COOPERATIVES
from services.cooperatives.service import create_app as create_cooperatives_app
from shared.contract.envelope import Envelope, decode
from shared.contract.events import EventPayload
from shared.identity.model import Caller, Role
from shared.identity.settings import IdentitySettings
from shared.identity.tokens import TokenIssuer
from shared.settings import KafkaSettings
from shared.storage import migrations
from shared.storage.database import Database, open_database
from shared.web.service import ServiceSpec

FACTORIES = {
    COOPERATIVES.name: (COOPERATIVES, create_cooperatives_app),
    BUSINESSES.name: (BUSINESSES, create_businesses_app),
    BANKS.name: (BANKS, create_banks_app),
}


@dataclass
class Organisations:
    """Mints organisations and their tokens, as ``ketnoi org create`` does."""

    settings: IdentitySettings
    issuer: TokenIssuer

    def new(self, role: Role, name: str = "") -> Caller:
        return Caller(f"org-{role.value}-{uuid.uuid4().hex[:10]}", role, name or f"Test {role}")

    def token(self, caller: Caller) -> str:
        return self.issuer.issue(caller, timedelta(hours=2))

    def headers(self, caller: Caller, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(caller)}", **extra}


@dataclass
class RunningService:
    spec: ServiceSpec
    database: Database
    client: TestClient


@dataclass
class Deployment:
    backend: str
    services: dict[str, RunningService] = field(default_factory=dict)

    @property
    def cooperatives(self) -> RunningService:
        return self.services[COOPERATIVES.name]

    @property
    def businesses(self) -> RunningService:
        return self.services[BUSINESSES.name]

    @property
    def banks(self) -> RunningService:
        return self.services[BANKS.name]

    def close(self) -> None:
        for service in self.services.values():
            service.client.close()
            service.database.dispose()


def deploy(backend: str, urls: dict[str, str], identity: IdentitySettings) -> Deployment:
    deployment = Deployment(backend)
    for name, (spec, create_app) in FACTORIES.items():
        migrations.upgrade(name, spec.migrations, urls[name])
        settings = spec.settings_class(
            service_name=name, database_url=urls[name], identity=identity
        )
        database = open_database(settings.resolved_database_url())
        app = create_app(settings, database)
        deployment.services[name] = RunningService(spec, database, TestClient(app))
    return deployment


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll until ``condition`` holds; fail naming ``what`` when the time is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")


class TopicReader:
    """Reads a topic from where it ended when the reader was made (the broker must be up then)."""

    def __init__(self, topic: str, settings: KafkaSettings) -> None:
        self.topic = topic
        self._settings = settings
        consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers)
        try:
            partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
            self._start = consumer.end_offsets(partitions)
        finally:
            consumer.close()
        self.seen: list[Envelope[EventPayload]] = []
        self._consumer: KafkaConsumer | None = None

    def _open(self) -> KafkaConsumer:
        if self._consumer is None:
            consumer = KafkaConsumer(
                bootstrap_servers=self._settings.bootstrap_servers, enable_auto_commit=False
            )
            consumer.assign(list(self._start))
            for partition, offset in self._start.items():
                consumer.seek(partition, offset)
            self._consumer = consumer
        return self._consumer

    def read(self) -> list[Envelope[EventPayload]]:
        for records in self._open().poll(timeout_ms=500).values():
            self.seen.extend(decode(record.topic, record.value) for record in records)
        return self.seen

    def wait_for(
        self,
        matches: Callable[[Envelope[EventPayload]], bool],
        timeout: float = 60.0,
        count: int = 1,
    ) -> list[Envelope[EventPayload]]:
        def enough() -> bool:
            return len([e for e in self.read() if matches(e)]) >= count

        wait_until(enough, timeout, f"{count} matching event(s) on {self.topic}")
        return [e for e in self.seen if matches(e)]

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close()


def json_of(response: Any) -> Any:
    """The body, with the status in the failure message when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        raise AssertionError(f"{response.status_code}: {response.text[:500]}") from None


def outbox_events(service: RunningService, key: str | None = None) -> list[Envelope[EventPayload]]:
    """The events a service has written to its outbox (for one key), oldest first."""
    table = service.spec.outbox
    query = select(table.c.topic, table.c.envelope).order_by(table.c.id)
    if key is not None:
        query = query.where(table.c.key == key)
    with service.database.engine.connect() as connection:
        rows = connection.execute(query).all()
    return [decode(row.topic, row.envelope.encode()) for row in rows]


def count_rows(service: RunningService, table_name: str, **where: Any) -> int:
    table = service.spec.metadata.tables[table_name]
    query = select(func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    with service.database.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an error in the one format, with this status (and code)."""
    body = json_of(response)
    assert response.status_code == status, f"{response.status_code}: {response.text[:500]}"
    assert set(body) == {"error"}, body
    assert {"code", "message", "fields"} <= set(body["error"]), body
    if code is not None:
        assert body["error"]["code"] == code, body
    error: dict[str, Any] = body["error"]
    return error


def changed(example: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A request body: a documented example with some fields changed."""
    body = copy.deepcopy(example)
    body.update(changes)
    return body


def created_body(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_refused(response: Any, field: str, reason: str) -> None:
    """A 422 in the one error format, naming ``field`` and saying ``reason``."""
    error = assert_error(response, 422, "validation_failed")
    problems = {problem["field"]: problem["reason"] for problem in error["fields"]}
    assert field in problems, problems
    assert reason in problems[field]
