"""Writing events into the outbox, inside the transaction that changes the rows."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Insert, Table, insert
from sqlalchemy.orm import Session

from shared.contract.envelope import Envelope, encode, wrap
from shared.contract.events import EventPayload
from shared.storage.types import utc_now
from shared.topics import Topic


class Outbox:
    """Adds events to a service's outbox in the session's current transaction.

    The event is checked against the contract here, so a bad event fails the request that
    made it instead of blocking the relay later.
    """

    def __init__(self, session: Session, table: Table, producer: str) -> None:
        self._session = session
        self._table = table
        self._producer = producer

    def add(self, topic: Topic, payload: EventPayload) -> Envelope[Any]:
        envelope = wrap(payload, producer=self._producer)
        raw = encode(topic.name, envelope)
        # On the session's connection, in its transaction: ``Session.execute`` would first take
        # a Core insert through the ORM's execution path, which costs more than the insert.
        self._session.connection().execute(
            _insert(self._table),
            {
                "event_id": str(envelope.event_id),
                "topic": topic.name,
                "key": envelope.key,
                "event_type": envelope.type,
                "envelope": raw.decode("utf-8"),
                "created_at": utc_now(),
            },
        )
        return envelope


@functools.cache
def _insert(table: Table) -> Insert:
    # Built once per table: building a statement costs more than SQLite takes to run it.
    return insert(table)
