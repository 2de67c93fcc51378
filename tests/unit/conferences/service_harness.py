"""The conferences service on a SQLite file of its own, with organisations and tokens: what
the service-layer, API and CLI tests share."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from services.conferences.service import SPEC, create_app
from services.conferences.settings import ConferencesSettings
from shared.contract.envelope import Envelope, decode
from shared.contract.events import (
    CooperativeRegistered,
    CooperativeUpdated,
    EventPayload,
    LoanLeadScored,
    MatchRetracted,
)
from shared.identity.keys import create_key_pair, load_private_key
from shared.identity.model import Caller, Role
from shared.identity.settings import IdentitySettings
from shared.identity.tokens import TokenIssuer
from shared.storage import migrations
from shared.storage.database import Database, open_database
from shared.topics import COOPERATIVES, LOAN_LEADS, SOURCING_MATCHES, Topic

CONFERENCE: dict[str, Any] = {
    "name": "Hội nghị kết nối cung cầu Lệ Thủy",
    "day": "2026-04-16",
    "venue": "Nhà văn hóa huyện Lệ Thủy",
    "table_count": 2,
    "meeting_minutes": 20,
    "slots": [
        {"slot_id": "s1", "start": "08:00", "end": "08:20"},
        {"slot_id": "s2", "start": "08:20", "end": "08:40"},
        {"slot_id": "tea", "start": "08:40", "end": "09:00", "is_break": True},
        {"slot_id": "s3", "start": "09:00", "end": "09:20"},
    ],
}


def topic_of(envelope: Envelope[EventPayload]) -> Topic:
    payload = envelope.payload
    if isinstance(payload, CooperativeRegistered | CooperativeUpdated):
        return COOPERATIVES
    if isinstance(payload, LoanLeadScored) or (
        isinstance(payload, MatchRetracted) and payload.match_kind == "lead"
    ):
        return LOAN_LEADS
    return SOURCING_MATCHES


def identity(folder: Path) -> IdentitySettings:
    settings = IdentitySettings(
        public_key_file=folder / "organiser.pub.pem", private_key_file=folder / "organiser.pem"
    )
    create_key_pair(settings.private_key_file, settings.public_key_file)
    return settings


@dataclass
class Organisations:
    issuer: TokenIssuer

    @classmethod
    def of(cls, settings: IdentitySettings) -> Organisations:
        key = load_private_key(settings.private_key_file)
        return cls(TokenIssuer(key, settings.issuer, settings.audience))

    def new(self, role: Role, organisation_id: str | None = None) -> Caller:
        return Caller(
            organisation_id or f"org-{role.value}-{uuid.uuid4().hex[:10]}", role, f"Test {role}"
        )

    def token(self, caller: Caller) -> str:
        return self.issuer.issue(caller, timedelta(hours=2))

    def headers(self, caller: Caller, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(caller)}", **extra}


@dataclass
class Running:
    database: Database
    client: TestClient
    settings: ConferencesSettings

    def feed(self, *envelopes: Envelope[EventPayload]) -> None:
        """Hand events to the service's consumer handler, as the Kafka consumer would."""
        assert SPEC.consumer is not None
        handle = SPEC.consumer.handler(self.database)
        for envelope in envelopes:
            handle(topic_of(envelope).name, envelope)

    def outbox(self, event_type: str | None = None) -> list[Envelope[EventPayload]]:
        table = SPEC.outbox
        with self.database.engine.connect() as connection:
            rows = connection.execute(table.select().order_by(table.c.id)).all()
        found = [decode(row.topic, row.envelope.encode()) for row in rows]
        return [e for e in found if event_type is None or e.type == event_type]


def running_service(
    folder: Path, identity_settings: IdentitySettings, url: str | None = None, **limits: Any
) -> Running:
    """The service on ``url``, else on a SQLite file in ``folder``."""
    url = url or f"sqlite:///{folder / 'conferences.sqlite3'}"
    migrations.upgrade(SPEC.name, SPEC.migrations, url)
    settings = ConferencesSettings(database_url=url, identity=identity_settings, **limits)
    database = open_database(settings.resolved_database_url())
    return Running(database, TestClient(create_app(settings, database)), settings)


def serve(
    folder: Path, identity_settings: IdentitySettings, url: str | None = None, **limits: Any
) -> Iterator[Running]:
    running = running_service(folder, identity_settings, url, **limits)
    try:
        yield running
    finally:
        running.client.close()
        running.database.dispose()


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll until ``condition`` holds; fail naming ``what`` when the time is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")


def finished_job(
    client: TestClient, url: str, headers: dict[str, str], timeout: float = 90.0
) -> list[dict[str, Any]]:
    """Every state the job showed while polled, the last one finished."""
    seen: list[dict[str, Any]] = []

    def done() -> bool:
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, answer.text
        seen.append(answer.json())
        return seen[-1]["state"] in ("succeeded", "failed")

    wait_until(done, timeout, f"job {url} to finish")
    return seen
