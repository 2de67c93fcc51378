"""``ketnoi smoke``: send pings through the broker and wait for the smoke worker's answers."""

from __future__ import annotations

import time
import uuid

from kafka import KafkaConsumer

from shared.contract.envelope import decode, wrap
from shared.contract.events import SmokePing, SmokePong
from shared.kafka.producer import EventPublisher, make_producer
from shared.settings import KafkaSettings
from shared.topics import SMOKE_PINGS, SMOKE_PONGS


def round_trip(count: int, timeout: float = 60.0) -> tuple[int, float]:
    """Publish ``count`` pings; return how many pongs came back and the seconds it took."""
    settings = KafkaSettings()
    run_id = uuid.uuid4().hex[:12]
    consumer = KafkaConsumer(
        SMOKE_PONGS.name,
        bootstrap_servers=settings.bootstrap_servers,
        group_id=f"ketnoi-smoke-check-{run_id}",
        auto_offset_reset="latest",
    )
    # Join the group and take partitions before sending, so "latest" misses nothing of ours.
    while not consumer.assignment():
        consumer.poll(timeout_ms=200)
    publisher = EventPublisher(make_producer("ketnoi-smoke-check", settings))
    started = time.monotonic()
    for sequence in range(count):
        ping = SmokePing(ping_id=f"{run_id}-{sequence % 8}", sequence=sequence, text="xin chào")
        publisher.publish(SMOKE_PINGS.name, wrap(ping, producer="ketnoi-cli"))
    publisher.flush(timeout=30)
    publisher.close()
    answered: set[int] = set()
    deadline = started + timeout
    while len(answered) < count and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            for record in records:
                envelope = decode(record.topic, record.value)
                pong = envelope.payload
                if isinstance(pong, SmokePong) and pong.ping_id.startswith(run_id):
                    answered.add(pong.sequence)
    consumer.close()
    return len(answered), time.monotonic() - started
