"""Consumers that keep read models: every projection sees each event.

A projection ignores the events it does not care about and stores the others by id, so a
replayed event (at-least-once delivery) changes nothing. The consumer hands over a poll's
events at once and they are applied in one transaction, in order: a later event for the same
id (a match found, then retracted) sees what the earlier one wrote, since projections read
through the same session.

A projection may also take a poll's events at once (``apply_all``): the hot ones (matches,
leads, candidate pairs) store a batch set-based, a few statements instead of two per record,
with the same result as ``apply`` on each event in order. The handler gives each projection
the whole batch in turn, so projections must not read each other's tables (none does).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.orm import Session

from shared.contract.envelope import Envelope
from shared.contract.events import EventPayload
from shared.kafka.consumer import Event
from shared.storage.database import Database


class Projection(Protocol):
    def apply(self, session: Session, envelope: Envelope[Any]) -> None: ...


@runtime_checkable
class BatchProjection(Protocol):
    """A projection that also stores a batch of events at once, as ``apply`` on each would."""

    def apply(self, session: Session, envelope: Envelope[Any]) -> None: ...

    def apply_all(self, session: Session, envelopes: Sequence[Envelope[Any]]) -> None: ...


class ProjectingHandler:
    """Both a ``Handler`` (one event, one transaction) and a ``BatchHandler`` (a poll's events,
    one transaction; a ``RejectedEvent`` from a projection rolls all of them back)."""

    def __init__(self, database: Database, projections: Sequence[Projection]) -> None:
        self._database = database
        self._projections = tuple(projections)

    def __call__(self, topic: str, envelope: Envelope[EventPayload]) -> None:
        self.handle_batch([(topic, envelope)])

    def handle_batch(self, events: Sequence[Event]) -> None:
        envelopes = [envelope for _topic, envelope in events]
        with self._database.sessions.begin() as session:
            for projection in self._projections:
                if isinstance(projection, BatchProjection):
                    projection.apply_all(session, envelopes)
                else:
                    for envelope in envelopes:
                        projection.apply(session, envelope)


def projecting_handler(database: Database, projections: Sequence[Projection]) -> ProjectingHandler:
    return ProjectingHandler(database, projections)
