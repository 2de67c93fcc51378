"""shared.kafka.consumer against the real broker: at-least-once, poison to dead letters."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from kafka import KafkaConsumer, KafkaProducer

from shared.contract.dead_letter import DeadLetter
from shared.contract.envelope import Envelope, wrap
from shared.contract.events import EventPayload, SourcingDemandClosed
from shared.kafka.consumer import EventConsumer, RejectedEvent
from shared.kafka.producer import EventPublisher, make_producer
from shared.settings import KafkaSettings
from shared.topics import DEAD_LETTER, DEMANDS

pytestmark = pytest.mark.kafka


def publish_closures(settings: KafkaSettings, demand_ids: list[str]) -> None:
    publisher = EventPublisher(make_producer("consumer-test", settings))
    for demand_id in demand_ids:
        publisher.publish(
            DEMANDS.name, wrap(SourcingDemandClosed(demand_id=demand_id, business_id="b"), "t")
        )
    publisher.flush(timeout=30)
    publisher.close()


def drain(consumer: EventConsumer, until: int, seen: list[str], timeout: float = 60.0) -> None:
    """Poll until ``until`` events were handled and then until the partitions run dry: records
    of this test may sit on partitions that come after the handled ones (the poison, say)."""
    deadline = time.monotonic() + timeout
    quiet_polls = 0
    while time.monotonic() < deadline and (len(seen) < until or quiet_polls < 3):
        handled = consumer.poll_once(timeout_ms=300)
        quiet_polls = quiet_polls + 1 if handled == 0 else 0


def dead_letters_for(settings: KafkaSettings, run: str) -> list[DeadLetter]:
    reader = KafkaConsumer(
        DEAD_LETTER.name,
        bootstrap_servers=settings.bootstrap_servers,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
    )
    letters = [
        DeadLetter.model_validate(json.loads(r.value))
        for r in reader
        if r.key and r.key.decode().startswith(run)
    ]
    reader.close()
    return letters


def test_poison_and_rejected_events_are_dead_lettered_and_the_rest_handled(
    kafka_settings: KafkaSettings,
) -> None:
    run = uuid.uuid4().hex[:10]
    handled: list[str] = []

    def handle(topic: str, envelope: Envelope[EventPayload]) -> None:
        if not envelope.key.startswith(run):
            return  # other tests' events share the topic
        payload = envelope.payload
        assert isinstance(payload, SourcingDemandClosed)
        if payload.demand_id.endswith("refused"):
            raise RejectedEvent("demand unknown to this service")
        handled.append(payload.demand_id)

    raw = KafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers, acks="all")
    raw.send(DEMANDS.name, key=f"{run}-junk".encode(), value=b"[]").get(timeout=30)
    raw.close()
    publish_closures(kafka_settings, [f"{run}-a", f"{run}-refused", f"{run}-b"])

    consumer = EventConsumer([DEMANDS.name], f"test-{run}", handle, settings=kafka_settings)
    try:
        drain(consumer, until=2, seen=handled)
    finally:
        consumer.close()

    # Different keys may sit on different partitions: only per-key order is promised.
    assert sorted(d for d in handled if d.startswith(run)) == [f"{run}-a", f"{run}-b"]
    letters = dead_letters_for(kafka_settings, run)
    assert sorted(letter.key or "" for letter in letters) == [f"{run}-junk", f"{run}-refused"]
    assert all(letter.consumer == f"test-{run}" for letter in letters)


def test_a_failing_handler_commits_nothing_so_the_event_is_redelivered(
    kafka_settings: KafkaSettings,
) -> None:
    run = uuid.uuid4().hex[:10]
    publish_closures(kafka_settings, [f"{run}-x"])
    group = f"test-{run}"

    def crash(topic: str, envelope: Envelope[EventPayload]) -> None:
        if envelope.key.startswith(run):
            raise ConnectionError("database is down")

    first = EventConsumer([DEMANDS.name], group, crash, settings=kafka_settings)
    with pytest.raises(ConnectionError):
        for _ in range(100):
            first.poll_once(timeout_ms=300)
    first.close()

    handled: list[str] = []

    def remember(topic: str, envelope: Envelope[EventPayload]) -> None:
        if envelope.key.startswith(run):
            assert isinstance(envelope.payload, SourcingDemandClosed)
            handled.append(envelope.payload.demand_id)

    second = EventConsumer([DEMANDS.name], group, remember, settings=kafka_settings)
    try:
        drain(second, until=1, seen=handled)
    finally:
        second.close()
    assert handled == [f"{run}-x"]
