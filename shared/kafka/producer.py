"""Publishing events with kafka-python: idempotent, acks=all, in order per key."""

from __future__ import annotations

from typing import Any

from kafka import KafkaProducer

from shared.contract.envelope import Envelope, encode
from shared.settings import KafkaSettings

RECONNECT_BACKOFF_MAX_MS = 2_000


def make_producer(
    client_id: str, settings: KafkaSettings | None = None, **overrides: Any
) -> KafkaProducer:
    """A producer that neither loses nor duplicates nor reorders a key's records.

    acks=all waits for every in-sync replica; idempotence lets the broker drop retried
    duplicates and keeps order with up to five requests in flight.
    """
    settings = settings or KafkaSettings()
    options: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "client_id": client_id,
        "acks": "all",
        "enable_idempotence": True,
        "max_in_flight_requests_per_connection": 5,
        "linger_ms": 5,
        # Back within 2 s of a broker's return: kafka-python backs off reconnecting up to 30 s,
        # so after a restart of the broker a producer sat idle for up to 20 s more.
        "reconnect_backoff_max_ms": RECONNECT_BACKOFF_MAX_MS,
    }
    options.update(overrides)
    return KafkaProducer(**options)


class EventPublisher:
    """Checks each event against the contract, then sends it under its key."""

    def __init__(self, producer: KafkaProducer) -> None:
        self._producer = producer

    def publish(self, topic: str, envelope: Envelope[Any]) -> Any:
        """Send one event; returns kafka-python's future (``.get(timeout)`` waits for the ack)."""
        return self._producer.send(
            topic, key=envelope.key.encode("utf-8"), value=encode(topic, envelope)
        )

    def publish_encoded(self, topic: str, key: bytes, value: bytes) -> Any:
        """Send a record encoded (and checked against the contract) earlier, as it is: the
        outbox relay publishes the bytes the writer stored."""
        return self._producer.send(topic, key=key, value=value)

    def flush(self, timeout: float | None = None) -> None:
        self._producer.flush(timeout=timeout)

    def close(self, timeout: float | None = None) -> None:
        self._producer.close(timeout=timeout)
