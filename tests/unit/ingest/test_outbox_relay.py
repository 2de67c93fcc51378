"""The relay's rules, with a publisher that fails on command (the real broker is in the
integration tests): what is marked sent, what waits, and in which order it goes."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kafka.errors import KafkaTimeoutError
from sqlalchemy import MetaData, func, select, update

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

    records: list[tuple[str, bytes, bytes]] = field(default_factory=list)

    def publish(self, topic: str, envelope: Envelope[Any]) -> Sent:
        raise AssertionError("the relay publishes the stored bytes, it encodes nothing")

    def publish_encoded(self, topic: str, key: bytes, value: bytes) -> Sent:
        if self.down:
            raise KafkaTimeoutError("Failed to update metadata")
        text = Envelope[SmokePing].model_validate_json(value).payload.text
        if text in self.failing:
            return Sent(ok=False)
        self.published.append(text)
        self.records.append((topic, key, value))
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


def test_the_stored_bytes_go_out_as_they_are_under_the_rows_key(
    outbox: tuple[Database, Any],
) -> None:
    database, table = outbox
    _write(database, table, ("a", "a1"), ("b", "b1"))
    with database.engine.connect() as connection:
        stored = connection.execute(
            select(table.c.topic, table.c.key, table.c.envelope).order_by(table.c.id)
        ).all()
    publisher = ScriptedPublisher()
    relay = OutboxRelay(database, table, lambda: publisher)

    assert relay.relay_once() == 2
    assert publisher.records == [
        (row.topic, row.key.encode("utf-8"), row.envelope.encode("utf-8")) for row in stored
    ]


def test_a_row_the_contract_does_not_allow_is_held_back_with_its_key(
    outbox: tuple[Database, Any],
) -> None:
    database, table = outbox
    _write(database, table, ("a", "a1"), ("a", "a2"), ("b", "b1"))
    with database.engine.begin() as connection:
        first = connection.execute(select(func.min(table.c.id))).scalar_one()
        connection.execute(
            update(table).where(table.c.id == first).values(topic="ketnoi.nowhere.v1")
        )
    publisher = ScriptedPublisher()
    relay = OutboxRelay(database, table, lambda: publisher)

    with pytest.raises(RelayFailed, match="not allowed on topic"):
        relay.relay_once()
    # a2 must not overtake a1; b1 is another key and goes.
    assert publisher.published == ["b1"]
    assert _unsent(database, table) == ["a1", "a2"]
    with database.engine.connect() as connection:
        error = connection.execute(select(table.c.last_error).where(table.c.id == first))
        assert "ContractError" in (error.scalar_one() or "")


def test_the_idle_look_sees_new_rows_and_says_unsure_when_it_cannot_look(
    outbox: tuple[Database, Any],
) -> None:
    database, table = outbox
    relay = OutboxRelay(database, table, ScriptedPublisher)
    assert relay._nothing_unsent()
    _write(database, table, ("a", "a1"))
    assert not relay._nothing_unsent()
    assert relay.relay_once() == 1
    assert relay._nothing_unsent()

    relay._probe_sql = "SELECT nothing FROM nowhere"  # a look that fails
    assert not relay._nothing_unsent()  # unsure: the relay looks the proper way
    assert relay._probe is None
    relay.close()


def test_a_running_relay_publishes_what_is_written_while_it_idles(
    outbox: tuple[Database, Any],
) -> None:
    database, table = outbox
    publisher = ScriptedPublisher()
    relay = OutboxRelay(database, table, lambda: publisher)
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,), kwargs={"idle_wait": 0.01})
    thread.start()
    try:
        time.sleep(0.1)  # idle looks
        _write(database, table, ("a", "a1"), ("b", "b1"))
        deadline = time.monotonic() + 10
        while _unsent(database, table):
            assert time.monotonic() < deadline, "the relay did not publish"
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert publisher.published == ["a1", "b1"]
    assert relay._probe is None  # closed with the relay
