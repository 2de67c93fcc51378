"""Read models store a poll's events in one transaction: the consumer's batch path with a broker
stand-in (the real broker is in tests/integration/test_event_consumer.py), and the projections'
handling of several events for one id within a batch."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from kafka import OffsetAndMetadata
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.banks.repository import Leads
from services.banks.service import SPEC as BANKS
from services.businesses import orm as businesses_orm
from services.businesses.service import SPEC as BUSINESSES
from services.conferences.orm import CandidatePairRow
from services.conferences.service import SPEC as CONFERENCES
from shared.contract.envelope import Envelope
from shared.contract.events import EventPayload, SourcingMatchFound
from shared.kafka.consumer import Event, EventConsumer, RejectedEvent
from shared.storage.database import Database
from shared.storage.projections import ProjectingHandler
from shared.storage.sourcing_matches import SourcingMatches
from tests.unit.ingest.kafka_stand_ins import (
    P0,
    P1,
    TOPIC,
    FakeKafkaConsumer,
    FakeProducer,
    record_of,
    stored_match_ids,
)
from tests.unit.ingest.read_models import event, found, migrated, retracted, scored


class Refuser:
    """A projection that rejects the matches whose id says so, after the others wrote theirs."""

    def apply(self, session: Session, envelope: Envelope[Any]) -> None:
        payload = envelope.payload
        if isinstance(payload, SourcingMatchFound) and payload.match_id.endswith("refused"):
            raise RejectedEvent(f"{payload.match_id} can never be stored")


class Crasher:
    def apply(self, session: Session, envelope: Envelope[Any]) -> None:
        raise ConnectionError("database is down")


class CountingHandler(ProjectingHandler):
    """Remembers how many events each transaction was given."""

    def __init__(self, database: Database, projections: Sequence[Any]) -> None:
        super().__init__(database, projections)
        self.transactions: list[int] = []

    def handle_batch(self, events: Sequence[Event]) -> None:
        self.transactions.append(len(events))
        super().handle_batch(events)


def _consumer(handler: Any, letters: FakeProducer) -> EventConsumer:
    return EventConsumer([TOPIC], "test-group", handler, dead_letter_producer=letters)


def _live(database: Database) -> dict[str, float]:
    table = businesses_orm.sourcing_matches
    with database.sessions() as session:
        rows = session.execute(
            select(table.c.match_id, table.c.score).where(table.c.retracted.is_(False))
        )
        return {row.match_id: row.score for row in rows}


def test_a_clean_poll_is_stored_in_one_transaction_then_committed(
    database: Database, broker: FakeKafkaConsumer
) -> None:
    handler = CountingHandler(database, [SourcingMatches(businesses_orm.sourcing_matches)])
    broker.polls.append(
        {
            P0: [
                record_of(0, 3, found("m-a", "d-1", "coop-a", 0.4), 1),
                record_of(0, 4, found("m-b", "d-1", "coop-b", 0.6), 1),
            ],
            P1: [record_of(1, 9, found("m-c", "d-1", "coop-c", 0.8), 1)],
        }
    )
    letters = FakeProducer()
    consumer = _consumer(handler, letters)
    assert consumer.poll_once() == 3
    assert handler.transactions == [3]
    assert _live(database) == {"m-a": 0.4, "m-b": 0.6, "m-c": 0.8}
    assert broker.commits == [
        {P0: OffsetAndMetadata(5, None, -1), P1: OffsetAndMetadata(10, None, -1)}
    ]
    assert letters.letters == []
    assert consumer.poll_once() == 0
    assert len(broker.commits) == 1


def test_a_poison_record_in_a_batch_is_the_only_one_dead_lettered(
    database: Database, broker: FakeKafkaConsumer
) -> None:
    handler = CountingHandler(
        database, [SourcingMatches(businesses_orm.sourcing_matches), Refuser()]
    )
    broker.polls.append(
        {
            P0: [
                record_of(0, 10, found("m-a", "d-1", "coop-a", 0.4), 1),
                record_of(0, 11, b"[]"),  # breaks the contract
                record_of(0, 12, found("m-refused", "d-1", "coop-r", 0.9), 1),  # rejected
                record_of(0, 13, found("m-b", "d-1", "coop-b", 0.6), 1),
                record_of(0, 14, retracted("m-b"), 2),
            ],
            P1: [record_of(1, 7, found("m-c", "d-1", "coop-c", 0.8), 1)],
        }
    )
    letters = FakeProducer()
    consumer = _consumer(handler, letters)
    assert consumer.poll_once() == 6

    # The batch of the five decodable events was tried, rolled back, then applied one by one.
    assert handler.transactions == [5, 1, 1, 1, 1, 1]
    assert sorted((letter.partition, letter.offset) for letter in letters.letters) == [
        (0, 11),
        (0, 12),
    ]
    assert {letter.error.split(":")[0] for letter in letters.letters} == {
        "ContractError",
        "RejectedEvent",
    }
    assert stored_match_ids(database) == {"m-a", "m-b", "m-c"}  # m-b stored, then retracted
    assert _live(database) == {"m-a": 0.4, "m-c": 0.8}
    assert broker.commits == [
        {P0: OffsetAndMetadata(15, None, -1), P1: OffsetAndMetadata(8, None, -1)}
    ]


def test_any_other_failure_stores_nothing_dead_letters_nothing_and_commits_nothing(
    database: Database, broker: FakeKafkaConsumer
) -> None:
    handler = ProjectingHandler(
        database, [SourcingMatches(businesses_orm.sourcing_matches), Crasher()]
    )
    broker.polls.append(
        {
            P0: [
                record_of(0, 0, found("m-a", "d-1", "coop-a", 0.4), 1),
                record_of(0, 1, b"not json"),
            ]
        }
    )
    letters = FakeProducer()
    consumer = _consumer(handler, letters)
    with pytest.raises(ConnectionError):
        consumer.poll_once()
    assert stored_match_ids(database) == set()
    assert letters.letters == []  # the poll is replayed whole, letters included
    assert broker.commits == []


def test_a_plain_handler_still_gets_one_event_at_a_time(broker: FakeKafkaConsumer) -> None:
    seen: list[str] = []

    def handle(topic: str, envelope: Envelope[EventPayload]) -> None:
        payload = envelope.payload
        assert isinstance(payload, SourcingMatchFound)
        if payload.match_id.endswith("refused"):
            raise RejectedEvent("no")
        seen.append(payload.match_id)

    broker.polls.append(
        {
            P0: [
                record_of(0, 0, found("m-a", "d-1", "coop-a", 0.4), 1),
                record_of(0, 1, found("m-refused", "d-1", "coop-r", 0.4), 1),
                record_of(0, 2, found("m-b", "d-1", "coop-b", 0.4), 1),
            ]
        }
    )
    letters = FakeProducer()
    assert _consumer(handle, letters).poll_once() == 3
    assert seen == ["m-a", "m-b"]
    assert [letter.offset for letter in letters.letters] == [1]
    assert broker.commits == [{P0: OffsetAndMetadata(3, None, -1)}]


# --- several events for one id in one batch ------------------------------------------------


def test_matches_found_rescored_and_retracted_in_one_batch_end_as_the_last_says(
    database: Database,
) -> None:
    assert BUSINESSES.consumer is not None
    handler = BUSINESSES.consumer.handler(database)
    assert isinstance(handler, ProjectingHandler)
    batch = [
        event(found("m-1", "d-1", "coop-a", 0.4), 1),
        event(found("m-1", "d-1", "coop-a", 0.7), 2),  # re-scored
        event(found("m-2", "d-1", "coop-b", 0.5), 1),
        event(retracted("m-2"), 2),
        event(found("m-3", "d-1", "coop-c", 0.5), 1),
        event(retracted("m-3"), 2),
        event(found("m-3", "d-1", "coop-c", 0.6), 3),  # found again after the retraction
    ]
    handler.handle_batch(batch)
    assert _live(database) == {"m-1": 0.7, "m-3": 0.6}
    assert stored_match_ids(database) == {"m-1", "m-2", "m-3"}

    handler.handle_batch(batch)  # redelivered: nothing changes
    handler.handle_batch(batch[::-1])  # even out of order: the newest event wins
    assert _live(database) == {"m-1": 0.7, "m-3": 0.6}


def test_leads_scored_twice_and_retracted_in_one_batch_end_as_the_last_says(
    tmp_path: Path,
) -> None:
    database = migrated(BANKS, tmp_path)
    assert BANKS.consumer is not None
    handler = BANKS.consumer.handler(database)
    assert isinstance(handler, ProjectingHandler)
    batch = [
        event(scored("lead-1", "bank-1", 0.4), 1),
        event(scored("lead-1", "bank-1", 0.8), 2),
        event(scored("lead-2", "bank-1", 0.9), 1),
        event(retracted("lead-2", "lead"), 2),
    ]
    try:
        handler.handle_batch(batch)
        handler.handle_batch(batch)
        with database.sessions() as session:
            best = [(row.lead_id, row.score, rank) for row, rank in Leads(session).best(None, 10)]
            gone = Leads(session).get("lead-2")
        assert best == [("lead-1", 0.8, 1)]
        assert gone is not None and gone.retracted
    finally:
        database.dispose()


def test_candidate_pairs_found_and_retracted_in_one_batch_end_retracted(tmp_path: Path) -> None:
    database = migrated(CONFERENCES, tmp_path)
    assert CONFERENCES.consumer is not None
    handler = CONFERENCES.consumer.handler(database)
    assert isinstance(handler, ProjectingHandler)
    batch = [
        event(found("m-1", "d-1", "coop-a", 0.4), 1),
        event(found("m-1", "d-1", "coop-a", 0.6), 2),
        event(retracted("m-1"), 3),
        event(scored("lead-1", "bank-1", 0.7), 1),
        event(scored("lead-1", "bank-1", 0.9), 2),
    ]
    try:
        handler.handle_batch(batch)
        handler.handle_batch(batch)
        with database.sessions() as session:
            rows = {
                row.match_id: (row.score, row.retracted)
                for row in session.execute(select(CandidatePairRow)).scalars()
            }
        assert rows == {"m-1": (0.6, True), "lead-1": (0.9, False)}
    finally:
        database.dispose()


class CollectorWatcher(CountingHandler):
    """Notes whether the cyclic garbage collector ran while the poll was handled."""

    def __init__(self, database: Database, projections: Sequence[Any]) -> None:
        super().__init__(database, projections)
        self.collector_enabled: list[bool] = []

    def handle_batch(self, events: Sequence[Event]) -> None:
        self.collector_enabled.append(gc.isenabled())
        super().handle_batch(events)


def test_the_collector_is_paused_while_a_poll_is_handled_then_restored(
    database: Database, broker: FakeKafkaConsumer
) -> None:
    handler = CollectorWatcher(database, [SourcingMatches(businesses_orm.sourcing_matches)])
    broker.polls.append({P0: [record_of(0, 1, found("m-a", "d-1", "coop-a", 0.4), 1)]})
    broker.polls.append({P0: [record_of(0, 2, found("m-b", "d-1", "coop-b", 0.5), 1)]})
    consumer = _consumer(handler, FakeProducer())
    assert gc.isenabled()
    assert consumer.poll_once() == 1
    assert gc.isenabled()
    gc.disable()  # the application's own choice is left alone
    try:
        assert consumer.poll_once() == 1
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert handler.collector_enabled == [False, False]
    assert _live(database) == {"m-a": 0.4, "m-b": 0.5}


def test_the_collector_is_restored_when_handling_fails(
    database: Database, broker: FakeKafkaConsumer
) -> None:
    handler = CountingHandler(database, [Crasher()])
    broker.polls.append({P0: [record_of(0, 1, found("m-a", "d-1", "coop-a", 0.4), 1)]})
    consumer = _consumer(handler, FakeProducer())
    with pytest.raises(ConnectionError):
        consumer.poll_once()
    assert gc.isenabled()
    assert broker.commits == []
