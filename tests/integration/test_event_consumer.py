"""shared.kafka.consumer against the real broker: at-least-once, poison to dead letters, a
read model's poll stored at once."""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.businesses import orm as businesses_orm
from services.businesses.service import SPEC as BUSINESSES
from services.matching.worker import partition_of
from shared.contract.dead_letter import DeadLetter
from shared.contract.envelope import Envelope, encode, wrap
from shared.contract.events import (
    EventPayload,
    MatchRetracted,
    SourcingDemandClosed,
    SourcingMatchFound,
)
from shared.contract.values import Reason
from shared.kafka.consumer import EventConsumer, RejectedEvent
from shared.kafka.groups import start_group_at_end
from shared.kafka.producer import EventPublisher, make_producer
from shared.settings import KafkaSettings
from shared.storage import migrations
from shared.storage.database import open_database
from shared.storage.projections import projecting_handler
from shared.storage.sourcing_matches import SourcingMatches
from shared.topics import DEAD_LETTER, DEMANDS, SOURCING_MATCHES

pytestmark = pytest.mark.kafka


def publish_closures(settings: KafkaSettings, demand_ids: list[str]) -> None:
    publisher = EventPublisher(make_producer("consumer-test", settings))
    for demand_id in demand_ids:
        publisher.publish(
            DEMANDS.name, wrap(SourcingDemandClosed(demand_id=demand_id, business_id="b"), "t")
        )
    publisher.flush(timeout=30)
    publisher.close()


def drain(consumer: EventConsumer, until: int, seen: list[str], timeout: float = 60.0) -> None:
    """Poll until ``until`` events were handled and then until the partitions run dry: records
    of this test may sit on partitions that come after the handled ones (the poison, say)."""
    deadline = time.monotonic() + timeout
    quiet_polls = 0
    while time.monotonic() < deadline and (len(seen) < until or quiet_polls < 3):
        handled = consumer.poll_once(timeout_ms=300)
        quiet_polls = quiet_polls + 1 if handled == 0 else 0


def dead_letters_for(settings: KafkaSettings, run: str) -> list[DeadLetter]:
    reader = KafkaConsumer(
        DEAD_LETTER.name,
        bootstrap_servers=settings.bootstrap_servers,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
    )
    letters = [
        DeadLetter.model_validate(json.loads(r.value))
        for r in reader
        if r.key and r.key.decode().startswith(run)
    ]
    reader.close()
    return letters


def test_poison_and_rejected_events_are_dead_lettered_and_the_rest_handled(
    kafka_settings: KafkaSettings,
) -> None:
    run = uuid.uuid4().hex[:10]
    handled: list[str] = []

    def handle(topic: str, envelope: Envelope[EventPayload]) -> None:
        if not envelope.key.startswith(run):
            return  # other tests' events share the topic
        payload = envelope.payload
        assert isinstance(payload, SourcingDemandClosed)
        if payload.demand_id.endswith("refused"):
            raise RejectedEvent("demand unknown to this service")
        handled.append(payload.demand_id)

    raw = KafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers, acks="all")
    raw.send(DEMANDS.name, key=f"{run}-junk".encode(), value=b"[]").get(timeout=30)
    raw.close()
    publish_closures(kafka_settings, [f"{run}-a", f"{run}-refused", f"{run}-b"])

    consumer = EventConsumer([DEMANDS.name], f"test-{run}", handle, settings=kafka_settings)
    try:
        drain(consumer, until=2, seen=handled)
    finally:
        consumer.close()

    # Different keys may sit on different partitions: only per-key order is promised.
    assert sorted(d for d in handled if d.startswith(run)) == [f"{run}-a", f"{run}-b"]
    letters = dead_letters_for(kafka_settings, run)
    assert sorted(letter.key or "" for letter in letters) == [f"{run}-junk", f"{run}-refused"]
    assert all(letter.consumer == f"test-{run}" for letter in letters)


def test_a_failing_handler_commits_nothing_so_the_event_is_redelivered(
    kafka_settings: KafkaSettings,
) -> None:
    run = uuid.uuid4().hex[:10]
    publish_closures(kafka_settings, [f"{run}-x"])
    group = f"test-{run}"

    def crash(topic: str, envelope: Envelope[EventPayload]) -> None:
        if envelope.key.startswith(run):
            raise ConnectionError("database is down")

    first = EventConsumer([DEMANDS.name], group, crash, settings=kafka_settings)
    with pytest.raises(ConnectionError):
        for _ in range(100):
            first.poll_once(timeout_ms=300)
    first.close()

    handled: list[str] = []

    def remember(topic: str, envelope: Envelope[EventPayload]) -> None:
        if envelope.key.startswith(run):
            assert isinstance(envelope.payload, SourcingDemandClosed)
            handled.append(envelope.payload.demand_id)

    second = EventConsumer([DEMANDS.name], group, remember, settings=kafka_settings)
    try:
        drain(second, until=1, seen=handled)
    finally:
        second.close()
    assert handled == [f"{run}-x"]


class _RefuseMarked:
    """A projection that rejects the matches whose id ends in "refused"."""

    def apply(self, session: Session, envelope: Envelope[Any]) -> None:
        payload = envelope.payload
        if isinstance(payload, SourcingMatchFound) and payload.match_id.endswith("refused"):
            raise RejectedEvent(f"{payload.match_id} can never be stored")


def _match(match_id: str, score: float) -> SourcingMatchFound:
    return SourcingMatchFound(
        match_id=match_id,
        demand_id="d-batch",
        business_id="org-business-1",
        cooperative_id=f"coop-{match_id}",
        product_id="prod-1",
        score=score,
        components={"product": score},
        reasons=[Reason(code="product_fit", en="Fits", vi="Phù hợp")],
        model_version="test",
    )


def test_a_read_model_stores_a_poll_at_once_and_dead_letters_only_its_poison(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:10]
    topic = SOURCING_MATCHES.name
    group = f"test-{run}"
    start_group_at_end(group, [topic], kafka_settings)
    retraction = MatchRetracted(
        match_id=f"{run}-b",
        match_kind="sourcing",
        cooperative_id=f"coop-{run}-b",
        reason=Reason(code="demand_closed", en="Closed", vi="Đã đóng"),
    )
    values = [
        encode(topic, wrap(_match(f"{run}-a", 0.4), "t")),
        b'{"not": "an event"}',
        encode(topic, wrap(_match(f"{run}-refused", 0.9), "t")),
        encode(topic, wrap(_match(f"{run}-b", 0.6), "t")),
        encode(topic, wrap(retraction, "t")),
        encode(topic, wrap(_match(f"{run}-c", 0.8), "t")),
    ]
    # One key for all: one partition, in this order, read in one poll or a few.
    raw = KafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers, acks="all")
    sent = [raw.send(topic, key=run.encode(), value=value).get(timeout=30) for value in values]
    raw.close()
    partition = TopicPartition(topic, sent[0].partition)

    url = f"sqlite:///{tmp_path / 'businesses.sqlite3'}"
    migrations.upgrade(BUSINESSES.name, BUSINESSES.migrations, url)
    database = open_database(url)
    table = businesses_orm.sourcing_matches
    handler = projecting_handler(database, [SourcingMatches(table), _RefuseMarked()])
    consumer = EventConsumer([topic], group, handler, settings=kafka_settings)
    checker = KafkaConsumer(bootstrap_servers=kafka_settings.bootstrap_servers, group_id=group)
    try:
        deadline = time.monotonic() + 60
        while (checker.committed(partition) or 0) <= sent[-1].offset:
            assert time.monotonic() < deadline, "the consumer did not commit the records"
            consumer.poll_once(timeout_ms=300)
        with database.sessions() as session:
            rows = {
                row.match_id: row.retracted
                for row in session.execute(select(table.c.match_id, table.c.retracted))
            }
    finally:
        checker.close()
        consumer.close()
        database.dispose()

    assert rows == {f"{run}-a": False, f"{run}-b": True, f"{run}-c": False}
    letters = dead_letters_for(kafka_settings, run)
    assert sorted(letter.offset for letter in letters) == [sent[1].offset, sent[2].offset]
    assert all(letter.consumer == group for letter in letters)


def test_in_a_rebalance_the_next_owner_stores_again_what_was_not_committed_nothing_is_lost(
    kafka_settings: KafkaSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first consumer stores everything but none of its commits lands (they are switched
    off); when the group moves some partitions to a second consumer, that one reads them from
    the last commit, so it stores their records again (idempotent handlers absorb it) and
    commits them itself."""
    run = uuid.uuid4().hex[:10]
    group = f"test-{run}"
    start_group_at_end(group, [DEMANDS.name], kafka_settings)
    demand_ids = [f"{run}-{n}" for n in range(30)]  # keys over every partition
    publish_closures(kafka_settings, demand_ids)
    seen: dict[str, list[str]] = {"first": [], "second": []}

    def remember(name: str) -> Any:
        def handle(topic: str, envelope: Envelope[EventPayload]) -> None:
            if envelope.key.startswith(run):
                assert isinstance(envelope.payload, SourcingDemandClosed)
                seen[name].append(envelope.payload.demand_id)

        return handle

    first = EventConsumer([DEMANDS.name], group, remember("first"), settings=kafka_settings)
    monkeypatch.setattr(first, "_commit_async", lambda: None)
    monkeypatch.setattr(first, "commit", lambda: None)
    second: EventConsumer | None = None
    stop = threading.Event()
    try:
        drain(first, until=len(demand_ids), seen=seen["first"])
        assert sorted(seen["first"]) == sorted(demand_ids)

        second = EventConsumer([DEMANDS.name], group, remember("second"), settings=kafka_settings)
        joining = second
        worker = threading.Thread(target=lambda: _poll_until(joining, stop), daemon=True)
        worker.start()
        deadline = time.monotonic() + 60
        while not (joining.assignment() and first.assignment()) or (
            joining.assignment() & first.assignment()
        ):
            assert time.monotonic() < deadline, "the group did not rebalance"
            first.poll_once(timeout_ms=200)
        moved = joining.assignment()
        partitions = len(first.assignment() | moved)
        expected = sorted(
            d for d in demand_ids if partition_of(d, partitions) in {p.partition for p in moved}
        )
        while sorted(seen["second"]) != expected:
            assert time.monotonic() < deadline, f"the second stored {seen['second']}"
            time.sleep(0.2)
        stop.set()
        worker.join(timeout=30)
    finally:
        stop.set()
        first.close()
        if second is not None:
            second.close()  # commits what it stored

    checker = KafkaConsumer(bootstrap_servers=kafka_settings.bootstrap_servers, group_id=group)
    try:
        ends = checker.end_offsets(list(moved))
        committed = {partition: checker.committed(partition) for partition in moved}
    finally:
        checker.close()
    assert moved
    assert committed == ends


def _poll_until(consumer: EventConsumer, stop: threading.Event) -> None:
    while not stop.is_set():
        consumer.poll_once(timeout_ms=200)
