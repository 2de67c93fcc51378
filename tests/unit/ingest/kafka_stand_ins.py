"""Stand-ins for kafka-python in the read-model consumer's unit tests (the real broker is in
tests/integration/test_event_consumer.py): a consumer handing out given polls and remembering
commits, a dead-letter producer, and records of ``SourcingMatchFound`` events."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from kafka import OffsetAndMetadata, TopicPartition
from sqlalchemy import select

from services.businesses import orm as businesses_orm
from shared.contract.dead_letter import DeadLetter
from shared.contract.envelope import encode
from shared.contract.events import EventPayload
from shared.storage.database import Database
from shared.topics import SOURCING_MATCHES
from tests.unit.ingest.read_models import event

TOPIC = SOURCING_MATCHES.name


@dataclass
class Record:
    """What kafka-python's poll hands out, as far as the consumer reads it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


Offsets = dict[TopicPartition, OffsetAndMetadata]


@dataclass
class FakeKafkaConsumer:
    """Hands out the polls it was given, then nothing; remembers the commits (``commits``: all
    of them in order, ``sync_commits``: the blocking ones). An asynchronous commit is answered
    as kafka-python answers it: its callback runs during the next poll (or commit), with
    ``commit_error`` if set; ``answer_commits`` False leaves them unanswered."""

    polls: list[dict[TopicPartition, list[Record]]] = field(default_factory=list)
    commits: list[Offsets] = field(default_factory=list)
    sync_commits: list[Offsets] = field(default_factory=list)
    answer_commits: bool = True
    commit_error: Exception | None = None
    listener: Any = None
    closed: bool = False
    _unanswered: list[tuple[Offsets, Any]] = field(default_factory=list)

    def subscribe(self, topics: list[str], listener: Any = None) -> None:
        self.listener = listener

    def poll(self, timeout_ms: int = 0) -> dict[TopicPartition, list[Record]]:
        self._answer()
        return self.polls.pop(0) if self.polls else {}

    def commit_async(self, offsets: Offsets, callback: Any) -> None:
        self._answer()
        self.commits.append(offsets)
        self._unanswered.append((offsets, callback))

    def commit(self, offsets: Offsets) -> None:
        self._answer()
        self.commits.append(offsets)
        self.sync_commits.append(offsets)

    def _answer(self) -> None:
        if not self.answer_commits:
            return
        answered, self._unanswered = self._unanswered, []
        for offsets, callback in answered:
            callback(offsets, self.commit_error or object())

    def close(self) -> None:
        self.closed = True


@dataclass
class Acked:
    def get(self, timeout: float) -> None:
        return None


@dataclass
class FakeProducer:
    letters: list[DeadLetter] = field(default_factory=list)

    def send(self, topic: str, key: bytes | None, value: bytes) -> Acked:
        self.letters.append(DeadLetter.model_validate(json.loads(value)))
        return Acked()


def record_of(
    partition: int, offset: int, payload: EventPayload | bytes, minute: int = 0
) -> Record:
    if isinstance(payload, bytes):
        return Record(TOPIC, partition, offset, b"junk", payload)
    _topic, envelope = event(payload, minute)
    return Record(TOPIC, partition, offset, envelope.key.encode(), encode(TOPIC, envelope))


def stored_match_ids(database: Database) -> set[str]:
    table = businesses_orm.sourcing_matches
    with database.sessions() as session:
        return set(session.execute(select(table.c.match_id)).scalars())


P0, P1 = TopicPartition(TOPIC, 0), TopicPartition(TOPIC, 1)
