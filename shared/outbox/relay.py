"""The relay: publishes a service's unsent outbox rows to Kafka, then marks them sent.

Guarantees and their limits:

- **Nothing lost.** A row is marked sent only after the broker acknowledged it (the producer is
  idempotent with acks=all). While the broker is down the relay backs off and retries; the rows
  wait in the database.
- **At least once.** A crash between the ack and the commit that marks the row publishes it again
  on restart, with the same ``event_id``: consumers store by id, so a repeat changes nothing.
- **In order per key.** Rows are published in id order. When a row fails, later rows of the same
  key in that batch are not marked sent even if they were acknowledged: they are published again
  after it, so the last event a consumer sees for a key is the newest.
- **Two relays on PostgreSQL.** Each locks a batch with ``SELECT … FOR UPDATE SKIP LOCKED`` and
  drops the rows of any key with an earlier unsent row it does not hold, so two relays never
  publish one key's events out of order, and never publish a row twice in normal operation.
- **One relay on SQLite.** SQLite has no row locks: run a single relay per SQLite file. (A second
  one would publish some rows twice, never lose or reorder-for-good one.)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from kafka.errors import KafkaError
from sqlalchemy import Connection, Row, Table, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from shared.contract.envelope import ContractError, Envelope, decode
from shared.kafka.producer import EventPublisher, make_producer
from shared.settings import KafkaSettings
from shared.storage.database import Database
from shared.storage.types import utc_now

log = logging.getLogger(__name__)


class PublishFuture(Protocol):
    """What kafka-python's ``send`` returns, as far as the relay looks at it."""

    @property
    def is_done(self) -> bool: ...
    def succeeded(self) -> bool: ...
    @property
    def exception(self) -> BaseException | None: ...


class Publisher(Protocol):
    def publish(self, topic: str, envelope: Envelope[Any]) -> Any: ...
    def flush(self, timeout: float | None = None) -> None: ...
    def close(self, timeout: float | None = None) -> None: ...


class RelayFailed(Exception):
    """Some rows of a batch were not acknowledged; they stay unsent and are retried."""


@dataclass
class _Outcome:
    sent: list[int] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)


class OutboxRelay:
    def __init__(
        self,
        database: Database,
        table: Table,
        publisher_factory: Callable[[], Publisher],
        *,
        batch_size: int = 200,
        ack_timeout: float = 30.0,
    ) -> None:
        self._database = database
        self._table = table
        self._publisher_factory = publisher_factory
        self._publisher: Publisher | None = None
        self._batch_size = batch_size
        self._ack_timeout = ack_timeout

    def relay_once(self) -> int:
        """Publish one batch; returns how many rows were marked sent.

        Raises RelayFailed (after recording what did go out) when some row was not acknowledged.
        """
        table = self._table
        with self._database.engine.connect() as connection, connection.begin():
            query = select(table).where(table.c.sent_at.is_(None)).order_by(table.c.id)
            query = query.limit(self._batch_size)
            if self._database.is_postgresql:
                query = query.with_for_update(skip_locked=True)
            rows = list(connection.execute(query).all())
            if self._database.is_postgresql and rows:
                rows = self._drop_keys_held_elsewhere(connection, rows)
            if not rows:
                return 0
            outcome = self._publish(rows)
            now = utc_now()
            if outcome.sent:
                connection.execute(
                    update(table).where(table.c.id.in_(outcome.sent)).values(sent_at=now)
                )
            for row_id, error in outcome.errors.items():
                connection.execute(
                    update(table)
                    .where(table.c.id == row_id)
                    .values(attempts=table.c.attempts + 1, last_error=error[:2000])
                )
        if outcome.errors:
            self.drop_publisher()
            first = next(iter(outcome.errors.values()))
            raise RelayFailed(f"{len(outcome.errors)} event(s) not acknowledged: {first}")
        return len(outcome.sent)

    def _drop_keys_held_elsewhere(
        self, connection: Connection, rows: list[Row[Any]]
    ) -> list[Row[Any]]:
        """Keep, for each key, only the rows before the first unsent row this batch lacks.

        A row this batch lacks is locked by another relay (or was skipped by the limit); what
        follows it must wait until it is sent.
        """
        table = self._table
        ids = [row.id for row in rows]
        first_outside = dict(
            connection.execute(
                select(table.c.key, func.min(table.c.id))
                .where(
                    table.c.sent_at.is_(None),
                    table.c.key.in_({row.key for row in rows}),
                    table.c.id.not_in(ids),
                )
                .group_by(table.c.key)
            ).all()
        )
        return [row for row in rows if row.id < first_outside.get(row.key, row.id + 1)]

    def _publish(self, rows: Sequence[Row[Any]]) -> _Outcome:
        outcome = _Outcome()
        blocked_keys: set[str] = set()
        pending: list[tuple[Row[Any], PublishFuture]] = []
        publisher = self._publisher or self._publisher_factory()
        self._publisher = publisher
        for position, row in enumerate(rows):
            try:
                envelope = decode(row.topic, row.envelope.encode("utf-8"))
                pending.append((row, publisher.publish(row.topic, envelope)))
            except ContractError as error:
                # Cannot happen for rows this code wrote; kept visible for an operator.
                log.error("outbox row %s breaks the contract: %s", row.id, error)
                outcome.errors[row.id] = f"ContractError: {error}"
                blocked_keys.add(row.key)
            except KafkaError as error:
                # Typically no metadata because the broker is down: stop sending this batch.
                for rest in rows[position:]:
                    outcome.errors.setdefault(rest.id, f"{type(error).__name__}: {error}")
                break
        try:
            publisher.flush(timeout=self._ack_timeout)
        except KafkaError as error:
            log.warning("flush did not complete: %s", error)
        for row, future in pending:
            if row.key in blocked_keys:
                continue  # an earlier event of this key failed: resend this one after it
            if future.is_done and future.succeeded():
                outcome.sent.append(row.id)
            else:
                error_text = repr(future.exception) if future.is_done else "no ack in time"
                outcome.errors[row.id] = error_text
                blocked_keys.add(row.key)
        return outcome

    def drop_publisher(self) -> None:
        """Close the producer; the next batch gets a fresh one (a new idempotent session)."""
        if self._publisher is not None:
            try:
                self._publisher.close(timeout=0)
            except KafkaError as error:
                log.warning("closing the producer: %s", error)
            self._publisher = None

    def run(
        self, stop: threading.Event, *, idle_wait: float = 0.05, max_backoff: float = 5.0
    ) -> None:
        """Relay until ``stop`` is set, backing off while Kafka or the database is down.

        An idle relay looks at its outbox every ``idle_wait`` seconds: that wait is part of
        every event's way from the request to the broker, and an indexed look costs little."""
        backoff = idle_wait
        while not stop.is_set():
            try:
                sent = self.relay_once()
            except (RelayFailed, KafkaError, SQLAlchemyError) as error:
                log.warning("relay: %s; retrying in %.1f s", error, backoff)
                self.drop_publisher()
                stop.wait(backoff)
                backoff = min(backoff * 2, max_backoff)
                continue
            backoff = idle_wait
            if sent:
                log.debug("relay: published %d event(s)", sent)
            if sent < self._batch_size:
                stop.wait(idle_wait)
        self.close()

    def close(self) -> None:
        if self._publisher is not None:
            self._publisher.close(timeout=self._ack_timeout)
            self._publisher = None


def relay_publisher_factory(client_id: str, settings: KafkaSettings) -> Callable[[], Publisher]:
    """Producers for a relay: idempotent, acks=all, and quick to say the broker is down, so the
    relay backs off and retries instead of blocking for minutes."""

    def make() -> Publisher:
        producer = make_producer(
            client_id,
            settings,
            max_block_ms=10_000,
            request_timeout_ms=10_000,
            delivery_timeout_ms=30_000,
        )
        return EventPublisher(producer)

    return make
