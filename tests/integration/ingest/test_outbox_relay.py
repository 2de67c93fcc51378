"""The outbox relay against the real broker: nothing lost, in order per key, not twice."""

from __future__ import annotations

import copy
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import MetaData, func, select

from services.cooperatives.schemas import COOPERATIVE_EXAMPLE, CREDIT_NEED_EXAMPLE
from services.cooperatives.service import SPEC as COOPERATIVES_SPEC
from shared.contract.events import CooperativeRegistered, CreditNeedSubmitted, SmokePing
from shared.contract.values import LoanPurpose
from shared.identity.model import Role
from shared.identity.settings import IdentitySettings
from shared.outbox.relay import OutboxRelay, relay_publisher_factory
from shared.outbox.table import outbox_table
from shared.outbox.writer import Outbox
from shared.settings import KafkaSettings
from shared.storage import migrations
from shared.storage.database import Database, open_database
from shared.topics import COOPERATIVES, SMOKE_PINGS
from tests.fixtures.kafka import Broker
from tests.fixtures.postgres import PostgresServer
from tests.integration.ingest.harness import (
    Deployment,
    Organisations,
    RunningService,
    TopicReader,
    deploy,
    outbox_events,
    wait_until,
)

pytestmark = pytest.mark.kafka


def _relay(service: RunningService, settings: KafkaSettings, batch_size: int = 200) -> OutboxRelay:
    publishers = relay_publisher_factory("test-relay", settings)
    return OutboxRelay(service.database, service.spec.outbox, publishers, batch_size=batch_size)


def _unsent(database: Database, key: str | None = None) -> int:
    table = COOPERATIVES_SPEC.outbox
    query = select(func.count()).select_from(table).where(table.c.sent_at.is_(None))
    if key is not None:
        query = query.where(table.c.key == key)
    with database.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def test_the_relay_publishes_each_event_once_in_order_and_marks_it_sent(
    deployment: Deployment, organisations: Organisations, kafka_settings: KafkaSettings
) -> None:
    owner = organisations.new(Role.COOPERATIVE)
    client = deployment.cooperatives.client
    headers = organisations.headers(owner)
    created = client.post("/v1/cooperatives", json=COOPERATIVE_EXAMPLE, headers=headers).json()
    cooperative_id = created["cooperative_id"]
    for members in (121, 122, 123):
        body = copy.deepcopy(COOPERATIVE_EXAMPLE) | {"member_count": members}
        assert client.put(
            f"/v1/cooperatives/{cooperative_id}", json=body, headers=headers
        ).is_success
    path = f"/v1/cooperatives/{cooperative_id}/credit-needs"
    assert client.post(path, json=CREDIT_NEED_EXAMPLE, headers=headers).status_code == 201
    written = outbox_events(deployment.cooperatives, key=cooperative_id)
    reader = TopicReader(COOPERATIVES.name, kafka_settings)
    relay = _relay(deployment.cooperatives, kafka_settings)
    try:
        while relay.relay_once():
            pass
        published = reader.wait_for(lambda e: e.key == cooperative_id, count=len(written))
    finally:
        relay.close()
        reader.close()

    assert [e.event_id for e in published] == [e.event_id for e in written]
    assert [getattr(e.payload, "member_count", None) for e in published] == [
        120,
        121,
        122,
        123,
        None,
    ]
    assert isinstance(published[-1].payload, CreditNeedSubmitted)
    assert _unsent(deployment.cooperatives.database, key=cooperative_id) == 0


@pytest.fixture
def sqlite_cooperatives(
    tmp_path: Path, identity_settings: IdentitySettings
) -> Iterator[RunningService]:
    names = ("cooperatives", "businesses", "banks")
    urls = {name: f"sqlite:///{tmp_path / name}.sqlite3" for name in names}
    running = deploy("sqlite", urls, identity_settings)
    try:
        yield running.cooperatives
    finally:
        running.close()


def test_a_request_made_while_kafka_is_down_is_published_when_it_returns(
    sqlite_cooperatives: RunningService,
    organisations: Organisations,
    kafka_broker: Broker,
    kafka_settings: KafkaSettings,
) -> None:
    reader = TopicReader(COOPERATIVES.name, kafka_settings)
    stop = threading.Event()
    relay = _relay(sqlite_cooperatives, kafka_settings)
    relaying = threading.Thread(target=relay.run, args=(stop,), kwargs={"max_backoff": 2.0})
    relaying.start()
    kafka_broker.stop()
    try:
        owner = organisations.new(Role.COOPERATIVE)
        response = sqlite_cooperatives.client.post(
            "/v1/cooperatives", json=COOPERATIVE_EXAMPLE, headers=organisations.headers(owner)
        )
        assert response.status_code == 201, response.text
        cooperative_id = response.json()["cooperative_id"]
        assert _unsent(sqlite_cooperatives.database, key=cooperative_id) == 1
    finally:
        kafka_broker.start()
    try:
        (published,) = reader.wait_for(lambda e: e.key == cooperative_id, timeout=120)
        assert isinstance(published.payload, CooperativeRegistered)
        wait_until(
            lambda: _unsent(sqlite_cooperatives.database, key=cooperative_id) == 0,
            30,
            "the relay to mark the row sent",
        )
    finally:
        stop.set()
        relaying.join(timeout=60)
        reader.close()
    assert not relaying.is_alive()


def test_two_relays_on_postgresql_keep_each_keys_order_and_publish_once(
    postgres_server: PostgresServer, kafka_settings: KafkaSettings
) -> None:
    url = postgres_server.create_database()
    migrations.upgrade(COOPERATIVES_SPEC.name, COOPERATIVES_SPEC.migrations, url)
    database = open_database(url)
    keys = [f"coop-relay-{n}" for n in range(8)]
    count = 240
    try:
        reader = TopicReader(COOPERATIVES.name, kafka_settings)
        for sequence in range(count):
            # One transaction per event, as requests would write them.
            with database.sessions.begin() as session:
                Outbox(session, COOPERATIVES_SPEC.outbox, "test").add(
                    COOPERATIVES,
                    CreditNeedSubmitted(
                        credit_need_id=f"need-{sequence}",
                        cooperative_id=keys[sequence % len(keys)],
                        amount_vnd=sequence + 1,
                        purpose=LoanPurpose.WORKING_CAPITAL,
                        term_months=12,
                        collateral_offered=False,
                    ),
                )
        stop = threading.Event()
        publishers = relay_publisher_factory("test-relay", kafka_settings)
        relays = [
            OutboxRelay(database, COOPERATIVES_SPEC.outbox, publishers, batch_size=7)
            for _ in range(2)
        ]
        threads = [threading.Thread(target=r.run, args=(stop,)) for r in relays]
        for thread in threads:
            thread.start()
        try:
            wait_until(lambda: _unsent(database) == 0, 120, "both relays to drain the outbox")
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        published = reader.wait_for(lambda e: e.key in keys, count=count, timeout=60)
        reader.close()
    finally:
        database.dispose()
        postgres_server.drop_database(url)

    amounts: dict[str, list[int]] = defaultdict(list)
    for envelope in published:
        assert isinstance(envelope.payload, CreditNeedSubmitted)
        amounts[envelope.key].append(envelope.payload.amount_vnd)
    assert sorted(a for values in amounts.values() for a in values) == list(range(1, count + 1))
    for key, values in amounts.items():
        assert values == sorted(values), f"{key} out of order: {values}"


def test_the_relay_publishes_the_stored_bytes_under_the_rows_key_without_headers(
    tmp_path: Path, kafka_settings: KafkaSettings
) -> None:
    metadata = MetaData()
    table = outbox_table(metadata, "bytes")
    database = open_database(f"sqlite:///{tmp_path / 'outbox.sqlite3'}")
    metadata.create_all(database.engine)
    run = uuid.uuid4().hex[:10]
    with database.sessions.begin() as session:
        outbox = Outbox(session, table, "test")
        for n in range(3):
            outbox.add(SMOKE_PINGS, SmokePing(ping_id=f"{run}-{n}", sequence=n, text="Chào"))
    with database.engine.connect() as connection:
        stored = connection.execute(
            select(table.c.key, table.c.envelope).order_by(table.c.id)
        ).all()

    reader = KafkaConsumer(bootstrap_servers=kafka_settings.bootstrap_servers)
    partitions = [
        TopicPartition(SMOKE_PINGS.name, p) for p in reader.partitions_for_topic(SMOKE_PINGS.name)
    ]
    reader.assign(partitions)
    for partition, offset in reader.end_offsets(partitions).items():
        reader.seek(partition, offset)
    relay = OutboxRelay(database, table, relay_publisher_factory("test-relay", kafka_settings))
    try:
        assert relay.relay_once() == 3
        records: dict[bytes, Any] = {}
        deadline = time.monotonic() + 60
        while len(records) < 3:
            assert time.monotonic() < deadline, "the relayed records did not arrive"
            for batch in reader.poll(timeout_ms=500).values():
                records.update((r.key, r) for r in batch if r.key.startswith(run.encode()))
    finally:
        relay.close()
        reader.close()
        database.dispose()

    for row in stored:
        record = records[row.key.encode("utf-8")]
        assert record.value == row.envelope.encode("utf-8")  # byte for byte
        assert record.headers == []


def test_the_idle_look_on_postgresql_sees_new_rows_and_holds_no_transaction(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.create_database()
    migrations.upgrade(COOPERATIVES_SPEC.name, COOPERATIVES_SPEC.migrations, url)
    database = open_database(url)
    relay = OutboxRelay(database, COOPERATIVES_SPEC.outbox, lambda: None)  # type: ignore[arg-type,return-value]
    try:
        assert relay._nothing_unsent()
        assert relay._probe is not None  # the look has its connection
        probe = relay._probe
        with database.engine.connect() as connection:
            states = connection.exec_driver_sql(
                "SELECT state FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            ).scalars()
            assert "idle in transaction" not in list(states)
        with database.sessions.begin() as session:
            Outbox(session, COOPERATIVES_SPEC.outbox, "test").add(
                COOPERATIVES,
                CreditNeedSubmitted(
                    credit_need_id="need-look",
                    cooperative_id="coop-look",
                    amount_vnd=1,
                    purpose=LoanPurpose.WORKING_CAPITAL,
                    term_months=12,
                    collateral_offered=False,
                ),
            )
        assert not relay._nothing_unsent()
        assert relay._probe is probe  # the same connection, not a new one each look
    finally:
        relay.close()
        database.dispose()
        postgres_server.drop_database(url)
