"""Through the real broker: the scoring service's matches and leads go in, a conference is
scheduled over HTTP, and its ConferenceScheduled event comes out of the outbox relay with the
meetings the API serves."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import func, select

from services.conferences.orm import CandidatePairRow, known_cooperatives
from services.conferences.relay import large_record_publishers
from services.conferences.service import SPEC
from shared.contract.envelope import Envelope, decode, wrap
from shared.contract.events import (
    ConferenceScheduled,
    EventPayload,
    ScheduledMeeting,
)
from shared.contract.values import Reason
from shared.identity.model import Role
from shared.kafka.consumer import EventConsumer
from shared.kafka.groups import start_group_at_end
from shared.kafka.producer import EventPublisher, make_producer
from shared.outbox.relay import OutboxRelay, RelayFailed, relay_publisher_factory
from shared.outbox.writer import Outbox
from shared.settings import KafkaSettings
from shared.topics import CONFERENCES
from tests.unit.conferences import scoring_events as ev
from tests.unit.conferences.service_harness import (
    CONFERENCE,
    Organisations,
    Running,
    finished_job,
    topic_of,
    wait_until,
)

pytestmark = pytest.mark.kafka


class TopicTail:
    """Reads a topic from where it ended when the tail was made."""

    def __init__(self, topic: str, settings: KafkaSettings) -> None:
        self._consumer = KafkaConsumer(
            bootstrap_servers=settings.bootstrap_servers, enable_auto_commit=False
        )
        partitions = [TopicPartition(topic, p) for p in self._consumer.partitions_for_topic(topic)]
        ends = self._consumer.end_offsets(partitions)
        self._consumer.assign(partitions)
        for partition, offset in ends.items():
            self._consumer.seek(partition, offset)
        self.seen: list[Envelope[EventPayload]] = []

    def wait_for(
        self, matches: Callable[[Envelope[EventPayload]], bool], timeout: float = 60.0
    ) -> Envelope[EventPayload]:
        def found() -> bool:
            for records in self._consumer.poll(timeout_ms=500).values():
                self.seen.extend(decode(record.topic, record.value) for record in records)
            return any(matches(e) for e in self.seen)

        wait_until(found, timeout, "the event on the topic")
        return next(e for e in self.seen if matches(e))

    def close(self) -> None:
        self._consumer.close()


@pytest.fixture
def consumer(service: Running, kafka_settings: KafkaSettings) -> Iterator[None]:
    """The conferences service's consumer, in a thread, in a fresh group."""
    spec = SPEC.consumer
    assert spec is not None
    group = f"{spec.group_id}-test-{uuid.uuid4().hex[:8]}"
    topics = [topic.name for topic in spec.topics]
    start_group_at_end(group, topics, kafka_settings)
    running = EventConsumer(topics, group, spec.handler(service.database), settings=kafka_settings)
    stop = threading.Event()
    thread = threading.Thread(target=running.run, args=(stop,))
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
        running.close()


def relay_everything(service: Running, relay: OutboxRelay) -> None:
    table = SPEC.outbox

    def all_sent() -> bool:
        relay.relay_once()
        with service.database.engine.connect() as connection:
            unsent = connection.execute(
                select(func.count()).select_from(table).where(table.c.sent_at.is_(None))
            ).scalar_one()
        return int(unsent) == 0

    wait_until(all_sent, 60, "the outbox to be relayed")


def test_matches_and_leads_in_a_conference_schedule_out(
    service: Running, orgs: Organisations, kafka_settings: KafkaSettings, consumer: None
) -> None:
    run = uuid.uuid4().hex[:8]
    coop_a, coop_b = f"coop-{run}-a", f"coop-{run}-b"
    business, bank = f"org-{run}-biz", f"org-{run}-bank"
    published = [
        ev.cooperative(coop_a, f"org-{run}-a", "HTX Sen Thủy"),
        ev.cooperative(coop_b, f"org-{run}-b", "HTX Hưng Thủy"),
        ev.match(f"m-{run}-1", coop_a, business, 0.9),
        ev.match(f"m-{run}-2", coop_b, business, 0.6),
        ev.lead(f"l-{run}-1", coop_a, bank, 0.7),
    ]
    producer = make_producer(f"conferences-test-{run}", kafka_settings)
    publisher = EventPublisher(producer)
    for payload in published:
        envelope = wrap(payload, producer="test")
        publisher.publish(topic_of(envelope).name, envelope).get(timeout=30)
    publisher.close()

    def stored() -> bool:
        ours = (coop_a, coop_b)
        with service.database.engine.connect() as connection:
            pairs = connection.execute(
                select(func.count()).where(CandidatePairRow.cooperative_id.in_(ours))
            ).scalar_one()
            profiles = connection.execute(
                select(func.count()).where(known_cooperatives.c.id.in_(ours))
            ).scalar_one()
        return (pairs, profiles) == (3, 2)

    wait_until(stored, 60, "the consumer to store the matches, the lead and the profiles")

    tail = TopicTail(CONFERENCES.name, kafka_settings)
    relay = OutboxRelay(
        service.database, SPEC.outbox, large_record_publishers(f"relay-{run}", kafka_settings)
    )
    try:
        client = service.client
        admin = orgs.headers(orgs.new(Role.ORGANISER))
        conference_id = client.post("/v1/conferences", json=CONFERENCE, headers=admin).json()[
            "conference_id"
        ]
        invited = client.post(
            f"/v1/conferences/{conference_id}/participants",
            json={
                "participants": [
                    {"participant_id": coop_a, "kind": "cooperative"},
                    {"participant_id": coop_b, "kind": "cooperative"},
                    {"participant_id": business, "kind": "business", "name": "Cty Hải Long"},
                    {"participant_id": bank, "kind": "bank", "name": "Agribank Lệ Thủy"},
                ]
            },
            headers=admin,
        )
        assert invited.status_code == 201, invited.text
        names = {p["participant_id"]: p["name"] for p in invited.json()["invited"]}
        assert names[coop_a] == "HTX Sen Thủy"  # from the cooperatives directory

        started = client.post(
            f"/v1/conferences/{conference_id}/pairings",
            json={"time_limit_seconds": 10, "fairness_floor": 1},
            headers=admin,
        )
        assert started.status_code == 202, started.text
        done = finished_job(client, started.json()["url"], admin)[-1]
        assert done["state"] == "succeeded", done["error"]

        relay_everything(service, relay)
        event = tail.wait_for(
            lambda e: (
                isinstance(e.payload, ConferenceScheduled)
                and e.payload.conference_id == conference_id
            )
        )
    finally:
        relay.close()
        tail.close()

    schedule = client.get(f"/v1/conferences/{conference_id}/schedule", headers=admin).json()
    payload = event.payload
    assert isinstance(payload, ConferenceScheduled)
    assert event.key == conference_id
    assert payload.revision == schedule["revision"] == 1
    assert payload.gap == pytest.approx(schedule["gap"])
    assert payload.total_score == pytest.approx(schedule["total_score"])

    def as_sent(meeting: ScheduledMeeting) -> tuple[object, ...]:
        return (
            meeting.meeting_id,
            meeting.slot_id,
            meeting.starts_at,
            meeting.table,
            meeting.cooperative_id,
            meeting.counterpart_id,
            meeting.counterpart_kind,
            meeting.match_score,
        )

    served = {
        (
            m["meeting_id"],
            m["slot_id"],
            datetime.fromisoformat(m["starts_at"]),
            m["table"],
            m["cooperative_id"],
            m["counterpart_id"],
            m["counterpart_kind"],
            m["match_score"],
        )
        for m in schedule["meetings"]
    }
    assert {as_sent(m) for m in payload.meetings} == served
    assert {(m.cooperative_id, m.counterpart_id, m.match_score) for m in payload.meetings} == {
        (coop_a, business, 0.9),
        (coop_b, business, 0.6),
        (coop_a, bank, 0.7),
    }


def test_a_schedule_past_one_megabyte_goes_through_the_relay(
    service: Running, kafka_settings: KafkaSettings
) -> None:
    """The kit's relay producer stops at Kafka's default 1 MB; this service's does not."""
    run = uuid.uuid4().hex[:8]
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    start = datetime(2026, 4, 16, 8, 0, tzinfo=zone)
    reason = Reason(code="product_fit", en="Grows the rice they buy " * 20, vi="Trồng lúa " * 40)
    meetings = [
        ScheduledMeeting(
            meeting_id=f"mtg-{run}-{n:06d}",
            slot_id=f"s{n % 20}",
            starts_at=start + timedelta(minutes=20 * (n % 20)),
            ends_at=start + timedelta(minutes=20 * (n % 20) + 20),
            table=1 + n // 20,
            cooperative_id=f"coop-{n}",
            counterpart_id=f"org-{n % 80}",
            counterpart_kind="business",
            match_score=0.5,
            reasons=[reason],
        )
        for n in range(1600)
    ]
    big = ConferenceScheduled(
        conference_id=f"conf-{run}",
        revision=1,
        name="Hội nghị lớn",
        day=date(2026, 4, 16),
        venue="Đồng Hới",
        solver="cpsat",
        total_score=800.0,
        upper_bound=800.0,
        gap=0.0,
        meetings=meetings,
    )
    assert len(big.model_dump_json().encode()) > 1024 * 1024
    with service.database.sessions() as session:
        Outbox(session, SPEC.outbox, producer=SPEC.name).add(CONFERENCES, big)
        session.commit()

    kit_relay = OutboxRelay(
        service.database, SPEC.outbox, relay_publisher_factory(f"kit-{run}", kafka_settings)
    )
    with pytest.raises(RelayFailed, match="MessageSizeTooLarge"):
        kit_relay.relay_once()
    kit_relay.drop_publisher()

    tail = TopicTail(CONFERENCES.name, kafka_settings)
    relay = OutboxRelay(
        service.database, SPEC.outbox, large_record_publishers(f"relay-{run}", kafka_settings)
    )
    try:
        relay_everything(service, relay)
        received = tail.wait_for(lambda e: e.key == f"conf-{run}")
    finally:
        relay.close()
        tail.close()
    assert received.payload == big
