"""Consuming events with kafka-python: at-least-once, poison messages to the dead-letter topic.

Offsets are committed only after a poll's records were handled (or dead-lettered), so a crash
replays what was not finished; handlers must therefore be idempotent (store by event or match
id). A record that breaks the contract, or that a handler rejects with ``RejectedEvent``, goes
to the dead-letter topic with its error and the consumer moves on. Any other exception (the
database is down, say) stops the consumer without committing: nothing is lost or skipped.

A handler is either a ``Handler``, called once per event, or a ``BatchHandler``, given all the
decodable events of a poll at once (a read model stores them in one transaction, which is what
makes thousands of records a second possible on SQLite). If a batch handler rejects one event
of a batch, it must have applied none of them (roll back); the consumer then hands it the
batch's events one at a time, so only the rejected one is dead-lettered.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

from kafka import KafkaConsumer, KafkaProducer, OffsetAndMetadata, TopicPartition

from shared.collector import collector_paused
from shared.contract.dead_letter import DeadLetter
from shared.contract.envelope import ContractError, Envelope, decode
from shared.contract.events import EventPayload
from shared.kafka.producer import make_producer
from shared.settings import KafkaSettings
from shared.topics import DEAD_LETTER

log = logging.getLogger(__name__)

Event = tuple[str, Envelope[EventPayload]]
"""A decoded event and the topic it came from."""

Handler = Callable[[str, Envelope[EventPayload]], None]
"""Handles one event; gets the topic it came from and the decoded envelope."""


@runtime_checkable
class BatchHandler(Protocol):
    """Handles a poll's events together, in order: all of them, or (by raising) none."""

    def handle_batch(self, events: Sequence[Event]) -> None: ...


class RejectedEvent(Exception):
    """A handler's verdict that an event, though well-formed, can never be processed."""


class EventConsumer:
    def __init__(
        self,
        topics: Iterable[str],
        group_id: str,
        handler: Handler | BatchHandler,
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
        self._handle_batch: Callable[[Sequence[Event]], None] | None = None
        self._handle_one: Handler
        if isinstance(handler, BatchHandler):
            batch_handler = handler
            self._handle_batch = batch_handler.handle_batch
            self._handle_one = lambda topic, envelope: batch_handler.handle_batch(
                [(topic, envelope)]
            )
        else:
            self._handle_one = handler
        self._consumer = KafkaConsumer(*topics, **options)
        self._dead_letters = dead_letter_producer or make_producer(
            f"{group_id}-dead-letter", settings
        )
        self._owns_producer = dead_letter_producer is None

    def poll_once(self, timeout_ms: int = 500) -> int:
        """Handle one poll's records and commit them; returns how many records there were."""
        # The collector is paused from the poll (which makes the records) on: an idle poll only
        # waits for the broker, in a process that does nothing else.
        with collector_paused():
            polled: dict[TopicPartition, list[Any]] = self._consumer.poll(timeout_ms=timeout_ms)
            if not polled:
                return 0
            return self._handle(polled)

    def _handle(self, polled: dict[TopicPartition, list[Any]]) -> int:
        # Per partition in offset order; a key lives on one partition, so its events stay in
        # the order they were published.
        records = [record for batch in polled.values() for record in batch]
        poison: list[tuple[Any, Exception]] = []
        events: list[tuple[Any, Envelope[EventPayload]]] = []
        for record in records:
            try:
                events.append((record, decode(record.topic, record.value)))
            except ContractError as error:
                poison.append((record, error))
        poison += self._apply(events)
        self._dead_letter(poison)
        # Only now: if applying failed, nothing is committed and the whole poll is replayed,
        # which idempotent handlers absorb.
        self._consumer.commit(
            {
                partition: OffsetAndMetadata(batch[-1].offset + 1, None, -1)
                for partition, batch in polled.items()
            }
        )
        return len(records)

    def _apply(
        self, events: list[tuple[Any, Envelope[EventPayload]]]
    ) -> list[tuple[Any, Exception]]:
        """Hand the events over; returns the rejected ones with their errors."""
        if self._handle_batch is not None and len(events) > 1:
            try:
                self._handle_batch([(record.topic, envelope) for record, envelope in events])
                return []
            except RejectedEvent as error:
                log.info(
                    "a batch of %d events held a rejected one (%s); one at a time now",
                    len(events),
                    error,
                )
        rejected: list[tuple[Any, Exception]] = []
        for record, envelope in events:
            try:
                self._handle_one(record.topic, envelope)
            except RejectedEvent as error:
                rejected.append((record, error))
        return rejected

    def _dead_letter(self, poison: list[tuple[Any, Exception]]) -> None:
        sent = []
        for record, error in poison:
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
            sent.append(
                self._dead_letters.send(DEAD_LETTER.name, key=record.key, value=letter.to_bytes())
            )
        # Wait for the acks: the records' offsets are committed right after, so the letters
        # must be safe first.
        for future in sent:
            future.get(timeout=30)

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
