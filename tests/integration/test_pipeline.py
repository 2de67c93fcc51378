"""The pipeline through the real broker: kafka-python producer -> faust worker -> topic.

The smoke worker runs as its own process, as in production. Nothing here is faked.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer

from services.matching.worker import partition_of as key_partition  # the default partitioner's
from shared.contract.dead_letter import DeadLetter
from shared.contract.envelope import decode, wrap
from shared.contract.events import SmokePing, SmokePong
from shared.kafka.producer import EventPublisher, make_producer
from shared.settings import REPO_ROOT, KafkaSettings
from shared.topics import DEAD_LETTER, SMOKE_PINGS, SMOKE_PONGS
from tests.fixtures.kafka import Broker

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def smoke_worker(kafka_broker: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    log_file = tmp_path_factory.mktemp("smoke") / "worker.log"
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_broker.bootstrap_servers,
        "KETNOI_SMOKE_APP_ID": f"ketnoi-smoke-test-{uuid.uuid4().hex[:8]}",
    }
    with log_file.open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "services.smoke", "worker", "--loglevel", "info"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield log_file
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def read(
    topic: str, settings: KafkaSettings, until: int, prefix: str, timeout: float = 60.0
) -> list:
    """Read records of ``topic`` whose key starts with ``prefix`` until ``until`` have come."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=settings.bootstrap_servers,
        group_id=f"reader-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
    )
    found = []
    deadline = time.monotonic() + timeout
    try:
        while len(found) < until and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                found.extend(r for r in records if r.key and r.key.decode().startswith(prefix))
    finally:
        consumer.close()
    return found


def publish_pings(settings: KafkaSettings, run: str, keys: int, per_key: int) -> None:
    publisher = EventPublisher(make_producer("pipeline-test", settings))
    for sequence in range(per_key):
        for key in range(keys):
            ping = SmokePing(ping_id=f"{run}-{key}", sequence=sequence, text=f"gạo {sequence}")
            publisher.publish(SMOKE_PINGS.name, wrap(ping, "pipeline-test"))
    publisher.flush(timeout=30)
    publisher.close()


def test_producer_is_idempotent_with_acks_all(kafka_settings: KafkaSettings) -> None:
    producer = make_producer("config-check", kafka_settings)
    try:
        assert producer.config["acks"] == -1
        assert producer.config["enable_idempotence"] is True
    finally:
        producer.close()


def test_worker_transforms_and_re_emits_each_ping(
    kafka_settings: KafkaSettings, smoke_worker: Path
) -> None:
    run = uuid.uuid4().hex[:10]
    publish_pings(kafka_settings, run, keys=1, per_key=3)

    pongs = read(SMOKE_PONGS.name, kafka_settings, until=3, prefix=run)

    answers = [decode(r.topic, r.value).payload for r in pongs]
    assert all(isinstance(answer, SmokePong) for answer in answers)
    assert [(a.sequence, a.text) for a in answers if isinstance(a, SmokePong)] == [
        (0, "GẠO 0"),
        (1, "GẠO 1"),
        (2, "GẠO 2"),
    ]


def test_order_per_key_holds_across_three_partitions(
    kafka_settings: KafkaSettings, smoke_worker: Path
) -> None:
    keys, per_key = 12, 40
    # Keys that the default partitioner puts on all three partitions: twelve random ones miss
    # one partition about once in 45 runs.
    run = next(
        candidate
        for candidate in (uuid.uuid4().hex[:10] for _ in range(1000))
        if len({key_partition(f"{candidate}-{key}", 3) for key in range(keys)}) == 3
    )
    publish_pings(kafka_settings, run, keys=keys, per_key=per_key)

    pongs = read(SMOKE_PONGS.name, kafka_settings, until=keys * per_key, prefix=run)

    assert len(pongs) == keys * per_key
    assert len({record.partition for record in pongs}) == 3, "keys should spread over 3 partitions"
    sequences: dict[str, list[int]] = defaultdict(list)
    partition_of: dict[str, set[int]] = defaultdict(set)
    for record in pongs:
        pong = decode(record.topic, record.value).payload
        assert isinstance(pong, SmokePong)
        sequences[pong.ping_id].append(pong.sequence)
        partition_of[pong.ping_id].add(record.partition)
    assert all(seen == list(range(per_key)) for seen in sequences.values())
    assert all(len(partitions) == 1 for partitions in partition_of.values())


def test_malformed_record_goes_to_dead_letter_and_worker_keeps_going(
    kafka_settings: KafkaSettings, smoke_worker: Path
) -> None:
    run = uuid.uuid4().hex[:10]
    raw = KafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers, acks="all")
    poison = b'{"type": "SmokePing", "schema_version": 1, "payload": {"sequence": "x"}}'
    raw.send(SMOKE_PINGS.name, key=f"{run}-poison".encode(), value=poison).get(timeout=30)
    raw.send(SMOKE_PINGS.name, key=f"{run}-junk".encode(), value=b"\x00not json").get(timeout=30)
    raw.close()
    publish_pings(kafka_settings, run, keys=1, per_key=2)

    letters = read(DEAD_LETTER.name, kafka_settings, until=2, prefix=run)
    pongs = read(SMOKE_PONGS.name, kafka_settings, until=2, prefix=run)

    by_key = {r.key.decode(): DeadLetter.model_validate(json.loads(r.value)) for r in letters}
    assert set(by_key) == {f"{run}-poison", f"{run}-junk"}
    assert "invalid" in by_key[f"{run}-poison"].error
    assert "not UTF-8 JSON" in by_key[f"{run}-junk"].error
    assert base64.b64decode(by_key[f"{run}-poison"].value_base64 or "") == poison
    assert by_key[f"{run}-poison"].topic == SMOKE_PINGS.name
    assert len(pongs) == 2, "the worker must keep answering after the poison records"
