"""The worker's producer (services/matching/outputs.py) against the real broker: a round's
records land on their key's partition (Kafka's default partitioner, which the leads' ownership
relies on), in order, each once, stamped with the process, also when they fill several
batches."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka.partitioner import DefaultPartitioner
from kafka import KafkaAdminClient, KafkaConsumer
from kafka.admin import NewTopic

from services.matching.outputs import KafkaOutputs
from services.matching.worker import PUBLISHER_HEADER, OutputRecord
from shared.settings import KafkaSettings

pytestmark = pytest.mark.kafka

PARTITIONS = 3


def new_topic(settings: KafkaSettings) -> str:
    name = f"test-outputs-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    try:
        admin.create_topics([NewTopic(name, num_partitions=PARTITIONS, replication_factor=1)])
    finally:
        admin.close()
    return name


def read_all(
    settings: KafkaSettings, topic: str, count: int
) -> list[tuple[int, bytes, bytes, list]]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=settings.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=10_000,
        max_partition_fetch_bytes=16 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
    )
    try:
        found = []
        for message in consumer:
            found.append((message.partition, message.key, message.value, message.headers))
            if len(found) >= count:
                break
        return found
    finally:
        consumer.close()


def test_records_land_on_their_keys_partitions_in_order_once(kafka_settings: KafkaSettings) -> None:
    topic = new_topic(kafka_settings)
    # Values of 200 kB now and then: a partition's records span several batches of 512 kB.
    records: list[OutputRecord] = [
        (
            topic,
            f"key-{n % 17}".encode(),
            (f"{n}:".encode() + b"x" * (200_000 if n % 7 == 0 else 10)),
        )
        for n in range(120)
    ]
    publisher = uuid.uuid4().hex.encode()

    async def send() -> None:
        outputs = KafkaOutputs(kafka_settings, "test-outputs", publisher)
        try:
            await outputs.send_all(records[:60])
            await outputs.send_all(records[60:])
        finally:
            await outputs.stop()

    asyncio.run(send())

    found = read_all(kafka_settings, topic, len(records))
    assert len(found) == len(records)
    partitioner = DefaultPartitioner()
    for partition, key, _, headers in found:
        assert partition == partitioner(key, list(range(PARTITIONS)), list(range(PARTITIONS)))
        assert (PUBLISHER_HEADER, publisher) in headers
    for key in {key for _, key, _ in records}:
        sent = [value for _, k, value in records if k == key]
        assert [value for _, k, value, _ in found if k == key] == sent, "in order, each once"
