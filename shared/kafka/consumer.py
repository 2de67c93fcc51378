"""Consuming events with kafka-python: at-least-once, poison messages to the dead-letter topic.

Offsets are committed only after a record was handled (or dead-lettered), so a crash replays
what was not finished; handlers must therefore be idempotent (store by event or match id).
A record that breaks the contract, or that a handler rejects with ``RejectedEvent``, goes to
the dead-letter topic with its error and the consumer moves on. Any other exception (the
database is down, say) stops the consumer without committing: nothing is lost or skipped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, OffsetAndMetadata, TopicPartition

from shared.contract.dead_letter import DeadLetter
from shared.contract.envelope import ContractError, Envelope, decode
from shared.contract.events import EventPayload
from shared.kafka.producer import make_producer
from shared.settings import KafkaSettings
from shared.topics import DEAD_LETTER

log = logging.getLogger(__name__)

Handler = Callable[[str, Envelope[EventPayload]], None]
"""Handles one event; gets the topic it came from and the decoded envelope."""


class RejectedEvent(Exception):
    """A handler's verdict that an event, though well-formed, can never be processed."""


class EventConsumer:
    def __init__(
        self,
        topics: Iterable[str],
        group_id: str,
        handler: Handler,
        *,
        settings: KafkaSettings | None = None,
        dead_letter_producer: KafkaProducer | None = None,
        **overrides: Any,
    ) -> None:
        settings = settings or KafkaSettings()
        options: dict[str, Any] = {
            "bootstrap_servers": settings.bootstrap_servers,
            "group_id": group_id,
            "client_id": group_id,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
        }
        options.update(overrides)
        self._group_id = group_id
        self._handler = handler
        self._consumer = KafkaConsumer(*topics, **options)
        self._dead_letters = dead_letter_producer or make_producer(
            f"{group_id}-dead-letter", settings
        )
        self._owns_producer = dead_letter_producer is None

    def poll_once(self, timeout_ms: int = 500) -> int:
        """Handle one batch and commit it; returns how many records were handled."""
        batches = self._consumer.poll(timeout_ms=timeout_ms)
        handled = 0
        for partition, records in batches.items():
            for record in records:
                self._handle(record)
                handled += 1
            # One commit per partition batch: if a handler fails part-way, the batch is
            # replayed from its start, which idempotent handlers absorb.
            self._consumer.commit({partition: OffsetAndMetadata(records[-1].offset + 1, None, -1)})
        return handled

    def _handle(self, record: Any) -> None:
        try:
            envelope = decode(record.topic, record.value)
            self._handler(record.topic, envelope)
        except (ContractError, RejectedEvent) as error:
            log.warning(
                "dead-lettering %s[%s]@%s: %s", record.topic, record.partition, record.offset, error
            )
            letter = DeadLetter.of(
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                key=record.key,
                value=record.value,
                error=f"{type(error).__name__}: {error}",
                consumer=self._group_id,
            )
            # Wait for the ack: the record's offset is committed right after, so the letter
            # must be safe first.
            self._dead_letters.send(DEAD_LETTER.name, key=record.key, value=letter.to_bytes()).get(
                timeout=30
            )

    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set."""
        while not stop.is_set():
            self.poll_once()

    def assignment(self) -> set[TopicPartition]:
        return set(self._consumer.assignment())

    def close(self) -> None:
        self._consumer.close()
        if self._owns_producer:
            self._dead_letters.close()
