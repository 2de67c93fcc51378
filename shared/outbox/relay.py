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

A row is published as it is stored: the value is the envelope's bytes exactly as the writer
encoded them (``shared.outbox.writer`` checked them against the contract in the request that
made them), the key the row's key (the envelope's), no headers. The relay decodes nothing; it
only refuses a row whose topic or event type the contract does not know (cannot happen for rows
this code wrote), so a damaged row never creates a topic or reaches a consumer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from kafka.errors import KafkaError
from sqlalchemy import Connection, Row, Select, Table, bindparam, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from shared.contract.envelope import Envelope
from shared.kafka.producer import EventPublisher, make_producer
from shared.settings import KafkaSettings
from shared.storage.database import Database
from shared.storage.types import utc_now
from shared.topics import BY_NAME

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
    def publish_encoded(self, topic: str, key: bytes, value: bytes) -> Any: ...
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
        # Statements built once: building one costs more than SQLite takes to run it, and an
        # idle relay runs the select twenty times a second. Only the columns it publishes.
        unsent = (
            select(table.c.id, table.c.topic, table.c.key, table.c.event_type, table.c.envelope)
            .where(table.c.sent_at.is_(None))
            .order_by(table.c.id)
            .limit(batch_size)
        )
        if database.is_postgresql:
            unsent = unsent.with_for_update(skip_locked=True)
        self._select_unsent: Select[Any] = unsent
        # The idle look (``_nothing_unsent``): one plain query on a connection of its own,
        # through the driver alone. An idle relay looks twenty times a second, each time with
        # caches gone cold, so the less code a look runs the less it costs (about a fifth of a
        # look through the pool and a transaction, on SQLite).
        probe = select(table.c.id).where(table.c.sent_at.is_(None)).limit(1)
        self._probe_sql = str(
            probe.compile(dialect=database.engine.dialect, compile_kwargs={"literal_binds": True})
        )
        self._probe: Any = None  # a DBAPI cursor on a connection outside the pool
        self._mark_sent = (
            update(table)
            .where(table.c.id.in_(bindparam("ids", expanding=True)))
            .values(sent_at=bindparam("now", type_=table.c.sent_at.type))
        )

    def relay_once(self) -> int:
        """Publish one batch; returns how many rows were marked sent.

        Raises RelayFailed (after recording what did go out) when some row was not acknowledged.
        """
        table = self._table
        with self._database.engine.connect() as connection, connection.begin():
            rows = list(connection.execute(self._select_unsent).all())
            if self._database.is_postgresql and rows:
                rows = self._drop_keys_held_elsewhere(connection, rows)
            if not rows:
                return 0
            outcome = self._publish(rows)
            if outcome.sent:
                connection.execute(self._mark_sent, {"ids": outcome.sent, "now": utc_now()})
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
            if row.key in blocked_keys:
                continue  # an earlier row of this key was refused: this one must wait for it
            topic = BY_NAME.get(row.topic)
            if topic is None or row.event_type not in topic.event_types:
                # Cannot happen for rows this code wrote; kept visible for an operator.
                error = f"event type {row.event_type!r} is not allowed on topic {row.topic!r}"
                log.error("outbox row %s breaks the contract: %s", row.id, error)
                outcome.errors[row.id] = f"ContractError: {error}"
                blocked_keys.add(row.key)
                continue
            try:
                # The stored bytes as they are: the writer encoded (and checked) them.
                future = publisher.publish_encoded(
                    row.topic, row.key.encode("utf-8"), row.envelope.encode("utf-8")
                )
                pending.append((row, future))
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

    def _nothing_unsent(self) -> bool:
        """True when a cheap look finds no unsent row; False when it finds one or cannot tell
        (then ``relay_once`` looks properly, and reports a database that is down)."""
        try:
            if self._probe is None:
                connection = self._database.engine.raw_connection()
                driver = connection.driver_connection
                connection.detach()  # held for good: not the pool's to reset or hand out
                if self._database.is_postgresql:
                    # No transaction around the look: it must not hold a snapshot while idle.
                    # (The pool's ping may have begun one: end it first.)
                    driver.rollback()  # type: ignore[union-attr]
                    driver.autocommit = True  # type: ignore[union-attr]
                self._probe = connection.cursor()
            self._probe.execute(self._probe_sql)
            # fetchall, not fetchone: the statement runs to its end, so SQLite's read
            # transaction ends with it.
            return not self._probe.fetchall()
        except Exception as error:  # any failure: look the proper way
            log.debug("relay: the idle look failed (%s); looking the proper way", error)
            self._close_probe()
            return False

    def _close_probe(self) -> None:
        probe, self._probe = self._probe, None
        if probe is not None:
            try:
                probe.connection.close()
            except Exception as error:  # it is being thrown away
                log.debug("relay: closing the idle look's connection: %s", error)

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
        every event's way from the request to the broker, and an indexed look costs little
        (``_nothing_unsent``: one query through the driver, no pool, no transaction)."""
        backoff = idle_wait
        while not stop.is_set():
            if self._nothing_unsent():
                stop.wait(idle_wait)
                continue
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
        self._close_probe()
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
            bootstrap_timeout_ms=10_000,  # a new producer waits for a broker away no longer
        )
        return EventPublisher(producer)

    return make
