"""The matching worker's producer: idempotent, acks=all, its records stamped with the process.

Its own aiokafka producer rather than faust's, which does not enable idempotence: a retried
send must not put a match on the output topic twice.

A round's records are put in batches per partition here (aiokafka's ``create_batch``, records
appended in C) and each batch is sent whole: ``send`` per record made a coroutine and a future
for each of the ~10 records a new demand makes, a fifth of the worker's CPU. The partition is
the one Kafka's default partitioner gives the key, as ``send`` would choose it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.producer.message_accumulator import BatchBuilder

from services.matching.worker import PUBLISHER_HEADER, OutputRecord, partition_of
from shared.settings import KafkaSettings

log = logging.getLogger(__name__)


class KafkaOutputs:
    def __init__(
        self,
        settings: KafkaSettings,
        client_id: str,
        publisher: bytes,
        *,
        send_timeout_seconds: float = 40.0,
    ) -> None:
        self._settings = settings
        self._timeout_ms = int(send_timeout_seconds * 1000)
        self._client_id = client_id
        self._headers = [(PUBLISHER_HEADER, publisher)]
        self._producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()

    async def start(self) -> None:
        async with self._starting:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._settings.bootstrap_servers,
                    client_id=self._client_id,
                    acks="all",
                    enable_idempotence=True,
                    # A round publishes hundreds of ~1.5 kB records at once: few large
                    # produce requests cost the worker and the broker far less than many
                    # 16 kB ones (the default batch).
                    linger_ms=5,
                    max_batch_size=512 * 1024,
                    max_request_size=8 * 1024 * 1024,
                    request_timeout_ms=self._timeout_ms,
                )
                await producer.start()
                self._producer = producer

    async def send_all(self, records: Sequence[OutputRecord]) -> None:
        await self.start()
        producer = self._producer
        assert producer is not None
        partitions = {
            topic: len(await producer.partitions_for(topic)) for topic in {r[0] for r in records}
        }
        # Records of one key keep their order: one partition, appended in turn.
        batches: dict[tuple[str, int], list[BatchBuilder]] = {}
        for topic, key, value in records:
            partition = partition_of(key.decode(), partitions[topic])
            builders = batches.setdefault((topic, partition), [producer.create_batch()])
            if not self._append(builders[-1], key, value):
                builders.append(producer.create_batch())  # full: the rest in a next batch
                self._append(builders[-1], key, value)
        acks = [
            await producer.send_batch(builder, topic, partition=partition)
            for (topic, partition), builders in batches.items()
            for builder in builders
        ]
        await asyncio.gather(*acks)

    def _append(self, builder: BatchBuilder, key: bytes, value: bytes) -> bool:
        """False when the batch is full (a first record always goes in, whatever its size)."""
        return (
            builder.append(timestamp=None, key=key, value=value, headers=self._headers) is not None
        )

    async def restart(self) -> None:
        """Drop the producer: after a failed send its idempotent session (the sequence numbers
        the broker expects) is out of step, and every later send would fail. The next send
        starts a fresh one."""
        async with self._starting:
            producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), timeout=2)  # its batches are given up
            except Exception as error:  # it is being thrown away, whatever it says
                log.warning("stopping the failed producer: %r", error)

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
