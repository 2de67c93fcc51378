"""The relay's rules, with a publisher that fails on command (the real broker is in the
integration tests): what is marked sent, what waits, and in which order it goes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kafka.errors import KafkaTimeoutError
from sqlalchemy import MetaData, select

from shared.contract.envelope import Envelope
from shared.contract.events import SmokePing
from shared.outbox.relay import OutboxRelay, RelayFailed
from shared.outbox.table import outbox_table
from shared.outbox.writer import Outbox
from shared.storage.database import Database, open_database
from shared.topics import SMOKE_PINGS


@dataclass
class Sent:
    ok: bool
    is_done: bool = True

    def succeeded(self) -> bool:
        return self.ok

    @property
    def exception(self) -> BaseException | None:
        return None if self.ok else KafkaTimeoutError("no ack")


@dataclass
class ScriptedPublisher:
    """Fails the sends whose ping text is in ``failing``; records the rest, in order."""

    failing: set[str] = field(default_factory=set)
    down: bool = False
    published: list[str] = field(default_factory=list)
    closed: int = 0

    def publish(self, topic: str, envelope: Envelope[Any]) -> Sent:
        if self.down:
            raise KafkaTimeoutError("Failed to update metadata")
        text = envelope.payload.text
        if text in self.failing:
            return Sent(ok=False)
        self.published.append(text)
        return Sent(ok=True)

    def flush(self, timeout: float | None = None) -> None:
        return None

    def close(self, timeout: float | None = None) -> None:
        self.closed += 1


@pytest.fixture
def outbox(tmp_path: Path) -> tuple[Database, Any]:
    metadata = MetaData()
    table = outbox_table(metadata, "test")
    database = open_database(f"sqlite:///{tmp_path / 'outbox.sqlite3'}")
    metadata.create_all(database.engine)
    return database, table


def _write(database: Database, table: Any, *pings: tuple[str, str]) -> None:
    for key, text in pings:
        with database.sessions.begin() as session:
            Outbox(session, table, "test").add(
                SMOKE_PINGS, SmokePing(ping_id=key, sequence=0, text=text)
            )


def _unsent(database: Database, table: Any) -> list[str]:
    with database.engine.connect() as connection:
        rows = connection.execute(
            select(table.c.envelope).where(table.c.sent_at.is_(None)).order_by(table.c.id)
        ).scalars()
        return [Envelope[SmokePing].model_validate_json(row).payload.text for row in rows]


def test_everything_goes_out_in_write_order_and_is_marked_sent(
    outbox: tuple[Database, Any],
) -> None:
    database, table = outbox
    _write(database, table, ("a", "a1"), ("b", "b1"), ("a", "a2"), ("b", "b2"))
    publisher = ScriptedPublisher()
    relay = OutboxRelay(database, table, lambda: publisher)

    assert relay.relay_once() == 4
    assert publisher.published == ["a1", "b1", "a2", "b2"]
    assert _unsent(database, table) == []
    assert relay.relay_once() == 0


def test_a_failed_event_holds_back_its_keys_later_events_but_not_other_keys(
    outbox: tuple[Database, Any],
) -> None:
    database, table = outbox
    _write(database, table, ("a", "a1"), ("a", "a2"), ("b", "b1"), ("a", "a3"), ("b", "b2"))
    publisher = ScriptedPublisher(failing={"a2"})
    relay = OutboxRelay(database, table, lambda: publisher)

    with pytest.raises(RelayFailed):
        relay.relay_once()

    # a3 was acknowledged, yet it waits: it must not stay ahead of a2 for consumers.
    assert _unsent(database, table) == ["a2", "a3"]
    publisher.failing.clear()
    assert relay.relay_once() == 2
    assert publisher.published[-2:] == ["a2", "a3"]
    with database.engine.connect() as connection:
        attempts = connection.execute(select(table.c.attempts).order_by(table.c.id)).scalars()
        assert list(attempts) == [0, 1, 0, 0, 0]  # only a2 failed; a3 merely waited


def test_a_broker_that_is_down_leaves_everything_unsent_and_the_producer_is_renewed(
    outbox: tuple[Database, Any],
) -> None:
    database, table = outbox
    _write(database, table, ("a", "a1"), ("b", "b1"))
    publishers: list[ScriptedPublisher] = []

    def fresh() -> ScriptedPublisher:
        publishers.append(ScriptedPublisher(down=len(publishers) == 0))
        return publishers[-1]

    relay = OutboxRelay(database, table, fresh)
    with pytest.raises(RelayFailed, match="Failed to update metadata"):
        relay.relay_once()
    assert _unsent(database, table) == ["a1", "b1"]
    assert publishers[0].closed == 1

    assert relay.relay_once() == 2
    assert publishers[1].published == ["a1", "b1"]
