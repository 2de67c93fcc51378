"""One transaction's worth of work: the session that changes rows and the outbox that records
their events. Handlers get one; the caller commits it (or not) as a whole."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from shared.outbox.writer import Outbox


@dataclass(frozen=True)
class UnitOfWork:
    session: Session
    outbox: Outbox
