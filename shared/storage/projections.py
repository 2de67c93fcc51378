"""Consumers that keep read models: every projection sees each event, in one transaction.

A projection ignores the events it does not care about and stores the others by id, so a
replayed event (at-least-once delivery) changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy.orm import Session

from shared.contract.envelope import Envelope
from shared.contract.events import EventPayload
from shared.kafka.consumer import Handler
from shared.storage.database import Database


class Projection(Protocol):
    def apply(self, session: Session, envelope: Envelope[Any]) -> None: ...


def projecting_handler(database: Database, projections: Sequence[Projection]) -> Handler:
    def handle(_topic: str, envelope: Envelope[EventPayload]) -> None:
        with database.sessions.begin() as session:
            for projection in projections:
                projection.apply(session, envelope)

    return handle
