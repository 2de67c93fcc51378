"""A read-model consumer (shared.kafka.consumer, as ``python -m services.<name> consume`` runs
it) while Kafka is stopped for a while and started again, as an operator restarting the broker
would: it neither dies nor hangs, stores what arrives before and after the outage, each event
once, and goes on committing its offsets."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import select

from services.businesses import orm as businesses_orm
from services.businesses.service import SPEC as BUSINESSES
from shared.contract.envelope import wrap
from shared.contract.events import MatchRetracted, SourcingMatchFound
from shared.contract.values import Reason
from shared.kafka.consumer import BatchHandler, Event, EventConsumer
from shared.kafka.groups import start_group_at_end
from shared.kafka.producer import EventPublisher, make_producer
from shared.settings import KafkaSettings
from shared.storage import migrations
from shared.storage.database import open_database
from shared.storage.projections import projecting_handler
from shared.storage.sourcing_matches import SourcingMatches
from shared.topics import SOURCING_MATCHES
from tests.fixtures.kafka import Broker

pytestmark = pytest.mark.kafka

OUTAGE_SECONDS = 15.0  # from the stop until the start is asked for
TOPIC = SOURCING_MATCHES.name


class Counting:
    """The read model's handler, counting the run's events it stored (once they are)."""

    def __init__(self, inner: BatchHandler, run: str) -> None:
        self._inner = inner
        self._run = run
        self.stored: Counter[str] = Counter()

    def handle_batch(self, events: Sequence[Event]) -> None:
        self._inner.handle_batch(events)
        self.stored.update(str(e.event_id) for _, e in events if e.key.startswith(self._run))


def _match(match_id: str, score: float) -> SourcingMatchFound:
    return SourcingMatchFound(
        match_id=match_id,
        demand_id=f"{match_id}-demand",
        business_id="org-business-1",
        cooperative_id=f"coop-{match_id}",
        product_id="prod-1",
        score=score,
        components={"product": score},
        reasons=[Reason(code="product_fit", en="Fits", vi="Phù hợp")],
        model_version="test",
    )


def _retraction(match_id: str) -> MatchRetracted:
    return MatchRetracted(
        match_id=match_id,
        match_kind="sourcing",
        cooperative_id=f"coop-{match_id}",
        reason=Reason(code="demand_closed", en="Closed", vi="Đã đóng"),
    )


def _publish(
    settings: KafkaSettings, payloads: Sequence[SourcingMatchFound | MatchRetracted]
) -> set[str]:
    """Publish and wait for the acks; returns the events' ids."""
    publisher = EventPublisher(make_producer("consumer-outage-test", settings))
    try:
        envelopes = [wrap(payload, "matching") for payload in payloads]
        for envelope in envelopes:
            publisher.publish(TOPIC, envelope)
        publisher.flush(timeout=60)
    finally:
        publisher.close()
    return {str(envelope.event_id) for envelope in envelopes}


def _committed_to_end(settings: KafkaSettings, group: str) -> bool:
    checker = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=group)
    try:
        partitions = [TopicPartition(TOPIC, p) for p in checker.partitions_for_topic(TOPIC)]
        ends = checker.end_offsets(partitions)
        return all((checker.committed(tp) or 0) >= end for tp, end in ends.items())
    finally:
        checker.close()


def _wait(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
        time.sleep(0.5)


def test_a_read_model_consumer_rides_out_a_broker_restart_storing_each_event_once(
    kafka_broker: Broker, kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:10]
    group = f"test-outage-{run}"
    start_group_at_end(group, [TOPIC], kafka_settings)
    url = f"sqlite:///{tmp_path / 'businesses.sqlite3'}"
    migrations.upgrade(BUSINESSES.name, BUSINESSES.migrations, url)
    database = open_database(url)
    table = businesses_orm.sourcing_matches
    handler = Counting(projecting_handler(database, [SourcingMatches(table)]), run)
    consumer = EventConsumer([TOPIC], group, handler, settings=kafka_settings)
    stop = threading.Event()
    crashed: list[BaseException] = []

    def consume() -> None:
        try:
            consumer.run(stop)
        except BaseException as error:
            crashed.append(error)
            raise

    def rows() -> dict[str, bool]:
        with database.sessions() as session:
            found = session.execute(select(table.c.match_id, table.c.retracted)).all()
        return {match_id: retracted for match_id, retracted in found}

    consuming = threading.Thread(target=consume, daemon=True)
    consuming.start()
    try:
        # Before: matches over every partition, stored and committed.
        before = [f"{run}-m{n}" for n in range(60)]
        sent = _publish(kafka_settings, [_match(m, 0.5) for m in before])
        _wait(lambda: rows() == dict.fromkeys(before, False), 60, "the first matches stored")
        _wait(lambda: _committed_to_end(kafka_settings, group), 60, "their offsets committed")

        stopped = time.monotonic()
        kafka_broker.stop()
        try:
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))
            assert consuming.is_alive(), f"the consumer stopped while Kafka was down: {crashed}"
        finally:
            kafka_broker.start()

        # After: new matches, and some of the first retracted or re-scored.
        after = [f"{run}-n{n}" for n in range(60)]
        sent |= _publish(
            kafka_settings,
            [
                *(_match(m, 0.7) for m in after),
                *(_retraction(m) for m in before[::3]),
                *(_match(m, 0.9) for m in before[1::3]),
            ],
        )
        expected = {m: m in before[::3] for m in before} | dict.fromkeys(after, False)
        _wait(lambda: rows() == expected, 60, "the matches sent after the outage stored")
        _wait(lambda: _committed_to_end(kafka_settings, group), 60, "their offsets committed")
        assert consuming.is_alive(), f"the consumer stopped: {crashed}"
        with database.sessions() as session:
            scores = dict(session.execute(select(table.c.match_id, table.c.score)).all())
    finally:
        stop.set()
        consuming.join(timeout=60)
        consumer.close()
        database.dispose()

    assert not crashed
    assert {m: scores[m] for m in before[1::3]} == dict.fromkeys(before[1::3], 0.9)
    assert set(handler.stored) == sent, "every event stored"
    assert [e for e, times in handler.stored.items() if times > 1] == [], "none stored twice"
