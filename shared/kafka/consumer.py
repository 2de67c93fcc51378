"""Consuming events with kafka-python: at-least-once, poison messages to the dead-letter topic.

Offsets are committed only after a poll's records were handled (or dead-lettered), so a crash
replays what was not finished; handlers must therefore be idempotent (store by event or match
id). The commit after a poll is asynchronous: the consumer goes on with the next poll while the
broker takes it, and it names only offsets of records already stored. What is not known to be
committed is committed synchronously when the consumer closes; a commit lost otherwise (a
crash, a failed request, partitions moving to another consumer in a rebalance) only means the
last poll's records are stored again on replay, which changes nothing.

A record that breaks the contract, or that a handler rejects with ``RejectedEvent``, goes to
the dead-letter topic with its error and the consumer moves on. Any other exception (the
database is down, say) stops the consumer without committing that poll: nothing is lost or
skipped.

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

from kafka import (
    AsyncConsumerRebalanceListener,
    KafkaConsumer,
    KafkaProducer,
    OffsetAndMetadata,
    TopicPartition,
)
from kafka.errors import KafkaError

from shared.collector import collector_paused
from shared.contract.dead_letter import DeadLetter
from shared.contract.envelope import ContractError, Envelope, decode
from shared.contract.events import EventPayload
from shared.kafka.producer import RECONNECT_BACKOFF_MAX_MS, make_producer
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
            "reconnect_backoff_max_ms": RECONNECT_BACKOFF_MAX_MS,  # see make_producer
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
        # Offsets of stored records not yet known to be committed, by partition.
        self._uncommitted: dict[TopicPartition, OffsetAndMetadata] = {}
        self._commits_in_flight = 0
        self._lock = threading.Lock()  # the rebalance listener runs on kafka-python's IO thread
        self._consumer = KafkaConsumer(**options)
        self._consumer.subscribe(list(topics), listener=_ForgetRevoked(self))
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
                if self._uncommitted and not self._commits_in_flight:
                    self._commit_async()  # an earlier commit failed: try again while idle
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
        with self._lock:
            for partition, batch in polled.items():
                self._uncommitted[partition] = OffsetAndMetadata(batch[-1].offset + 1, None, -1)
        self._commit_async()
        return len(records)

    def _commit_async(self) -> None:
        """Send every stored offset not yet known to be committed; the answer comes back (to
        ``_committed``) during a later poll."""
        with self._lock:
            offsets = dict(self._uncommitted)
        if not offsets:
            return
        self._consumer.commit_async(offsets, callback=self._committed)
        self._commits_in_flight += 1  # its callback runs in a later poll, on this thread

    def _committed(self, offsets: dict[TopicPartition, OffsetAndMetadata], result: object) -> None:
        self._commits_in_flight -= 1
        if isinstance(result, BaseException):
            # Kept as uncommitted: the next commit sends them again, or the close commits them
            # synchronously (a revocation drops them: the next owner stores them again).
            log.warning("offset commit failed (will retry): %s", result)
            return
        self._forget(offsets)

    def commit(self) -> None:
        """Commit synchronously what was stored and is not known to be committed."""
        with self._lock:
            offsets = dict(self._uncommitted)
        if offsets:
            self._consumer.commit(offsets)
            self._forget(offsets)

    def _drop(self, partitions: set[TopicPartition]) -> None:
        """No longer this consumer's: their offsets are not committed from here."""
        with self._lock:
            for partition in partitions:
                self._uncommitted.pop(partition, None)

    def _forget(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        with self._lock:
            for partition, offset in offsets.items():
                if self._uncommitted.get(partition) == offset:
                    del self._uncommitted[partition]

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
        """Commit what was stored (synchronously), then leave the group."""
        try:
            self.commit()
        except KafkaError as error:
            log.warning("final offset commit failed; the last records will be replayed: %s", error)
        finally:
            self._consumer.close()
            if self._owns_producer:
                self._dead_letters.close()


class _ForgetRevoked(AsyncConsumerRebalanceListener):
    """Drops the offsets of partitions the group takes away that are not known to be
    committed: the next owner starts from the last commit that landed and stores those records
    again, which changes nothing (handlers are idempotent); at most the last poll's. (Committing
    them here would need kafka-python's private coordinator API: the listener runs on its IO
    thread, where a blocking ``commit`` would wait for itself.) Without this, the consumer would
    go on sending commits for partitions it no longer has."""

    def __init__(self, consumer: EventConsumer) -> None:
        self._owner = consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self._owner._drop(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        return None

    async def on_partitions_lost(self, lost: set[TopicPartition]) -> None:
        self._owner._drop(lost)
