"""The consumer's offset commits (broker stand-in; tests/integration/test_event_consumer.py has
the real broker): asynchronous after each stored poll and naming only stored records, sent
again when one fails, synchronous on close, never for partitions the group took away."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from kafka import OffsetAndMetadata, TopicPartition
from kafka.errors import KafkaError
from sqlalchemy.orm import Session

from services.businesses import orm as businesses_orm
from shared.contract.envelope import Envelope
from shared.contract.events import SourcingMatchFound
from shared.kafka.consumer import EventConsumer
from shared.storage.database import Database
from shared.storage.projections import ProjectingHandler
from shared.storage.sourcing_matches import SourcingMatches
from tests.unit.ingest.kafka_stand_ins import (
    P0,
    P1,
    FakeKafkaConsumer,
    FakeProducer,
    record_of,
    stored_match_ids,
)
from tests.unit.ingest.read_models import found


class CrashOn:
    """A projection whose database goes down at the match ``match_id``."""

    def __init__(self, match_id: str) -> None:
        self._match_id = match_id

    def apply(self, session: Session, envelope: Envelope[Any]) -> None:
        payload = envelope.payload
        if isinstance(payload, SourcingMatchFound) and payload.match_id == self._match_id:
            raise ConnectionError("database is down")


def _consumer(database: Database, *projections: Any) -> EventConsumer:
    handler = ProjectingHandler(
        database, [SourcingMatches(businesses_orm.sourcing_matches), *projections]
    )
    return EventConsumer(["t"], "test-group", handler, dead_letter_producer=FakeProducer())


def _offset(offset: int) -> OffsetAndMetadata:
    return OffsetAndMetadata(offset, None, -1)


def _two_partitions(first: int = 0) -> dict[TopicPartition, list[Any]]:
    return {
        P0: [record_of(0, first, found(f"m-{first}", "d-1", "c-1", 0.5), 1)],
        P1: [record_of(1, first, found(f"m-{first}-b", "d-1", "c-2", 0.5), 1)],
    }


def test_an_async_commit_never_names_a_record_that_was_not_stored(
    database: Database, broker: FakeKafkaConsumer
) -> None:
    broker.answer_commits = False  # the broker has not answered yet
    broker.polls.append({P0: [record_of(0, 0, found("m-a", "d-1", "c-1", 0.5), 1)]})
    broker.polls.append({P0: [record_of(0, 1, found("m-down", "d-1", "c-1", 0.5), 1)]})
    consumer = _consumer(database, CrashOn("m-down"))

    assert consumer.poll_once() == 1
    assert broker.commits == [{P0: _offset(1)}]
    assert broker.sync_commits == []  # the poll did not wait for the broker
    with pytest.raises(ConnectionError):
        consumer.poll_once()
    consumer.close()

    # The stored record's offset, synchronously at the close; never the failed one's.
    assert broker.sync_commits == [{P0: _offset(1)}]
    assert all(offsets[P0].offset <= 1 for offsets in broker.commits)
    assert stored_match_ids(database) == {"m-a"}
    assert broker.closed


def test_what_an_answered_commit_covers_is_not_committed_again(
    database: Database, broker: FakeKafkaConsumer
) -> None:
    broker.polls.append(_two_partitions())
    consumer = _consumer(database)
    assert consumer.poll_once() == 2
    assert consumer.poll_once() == 0  # the answer comes in; nothing to send again
    consumer.close()
    assert broker.commits == [{P0: _offset(1), P1: _offset(1)}]
    assert broker.sync_commits == []


def test_a_failed_async_commit_is_sent_again(database: Database, broker: FakeKafkaConsumer) -> None:
    broker.commit_error = KafkaError("the coordinator moved")
    broker.polls.append(_two_partitions())
    consumer = _consumer(database)
    assert consumer.poll_once() == 2
    assert consumer.poll_once() == 0  # the failure comes in: sent again
    assert broker.commits == [{P0: _offset(1), P1: _offset(1)}] * 2

    assert consumer.poll_once() == 0  # failed again: sent once more
    broker.commit_error = None
    assert consumer.poll_once() == 0  # answered: nothing more to send
    assert consumer.poll_once() == 0
    consumer.close()
    assert len(broker.commits) == 3
    assert broker.sync_commits == []


def test_revoked_partitions_are_no_longer_committed_by_this_consumer(
    database: Database, broker: FakeKafkaConsumer
) -> None:
    broker.commit_error = KafkaError("the group is rebalancing")
    broker.polls.append(_two_partitions())
    consumer = _consumer(database)
    assert consumer.poll_once() == 2
    assert broker.commits == [{P0: _offset(1), P1: _offset(1)}]

    asyncio.run(broker.listener.on_partitions_revoked({P0}))
    assert consumer.poll_once() == 0  # the failed commit answered; sent again while idle
    assert broker.commits[-1] == {P1: _offset(1)}, "P0 is another consumer's now"
    consumer.close()
    assert broker.sync_commits == [{P1: _offset(1)}]


def test_lost_partitions_are_not_committed(database: Database, broker: FakeKafkaConsumer) -> None:
    broker.answer_commits = False
    broker.polls.append(_two_partitions())
    consumer = _consumer(database)
    assert consumer.poll_once() == 2

    asyncio.run(broker.listener.on_partitions_lost({P0}))
    consumer.close()
    assert broker.sync_commits == [{P1: _offset(1)}]


def test_a_later_poll_commits_the_newer_offsets_of_every_partition_not_yet_answered(
    database: Database, broker: FakeKafkaConsumer
) -> None:
    broker.answer_commits = False
    broker.polls.append(_two_partitions(0))
    broker.polls.append({P0: [record_of(0, 1, found("m-next", "d-1", "c-1", 0.5), 1)]})
    consumer = _consumer(database)
    consumer.poll_once()
    consumer.poll_once()
    assert broker.commits[-1] == {P0: _offset(2), P1: _offset(1)}
    consumer.close()
    assert broker.sync_commits == [{P0: _offset(2), P1: _offset(1)}]
