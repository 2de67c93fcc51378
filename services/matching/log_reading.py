"""Reading topics from their start, outside any consumer group (aiokafka, manual assignment).

``KafkaLogs.read_to_end`` reads partitions up to where they end when asked: the worker replays
a demand partition it takes over, and reads back what it published. ``SharedStreams`` reads the
topics every worker holds in full, from the start, for as long as the worker runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import ConsumerStoppedError

from services.matching.consumed import Record
from shared.settings import KafkaSettings

log = logging.getLogger(__name__)

FETCH_MS = 200


def _consumer(settings: KafkaSettings, client_id: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=client_id,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )


async def partitions_of(settings: KafkaSettings, topics: Sequence[str]) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    found: list[TopicPartition] = []
    for topic in described:
        if topic["error_code"] or not topic["partitions"]:
            raise RuntimeError(
                f"topic {topic['topic']} is missing (error {topic['error_code']}); "
                "create the topics with `ketnoi topics`"
            )
        found.extend(TopicPartition(topic["topic"], p["partition"]) for p in topic["partitions"])
    return sorted(found)


async def _unfinished(
    consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]
) -> set[TopicPartition]:
    return {tp for tp, end in ends.items() if await consumer.position(tp) < end}


class KafkaLogs:
    def __init__(self, settings: KafkaSettings, client_id: str) -> None:
        self._settings = settings
        self._client_id = client_id

    async def partition_count(self, topic: str) -> int:
        return len(await partitions_of(self._settings, [topic]))

    async def read_to_end(
        self, topic: str, partitions: Collection[int] | None = None
    ) -> AsyncIterator[Sequence[Record]]:
        tps = await partitions_of(self._settings, [topic])
        if partitions is not None:
            tps = [tp for tp in tps if tp.partition in partitions]
        if not tps:
            return
        consumer = _consumer(self._settings, self._client_id)
        await consumer.start()
        try:
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            ends = await consumer.end_offsets(tps)
            remaining = await _unfinished(consumer, ends)
            while remaining:
                batch = await consumer.getmany(*remaining, timeout_ms=FETCH_MS)
                for records in batch.values():
                    yield records
                remaining = await _unfinished(consumer, {tp: ends[tp] for tp in remaining})
        finally:
            await consumer.stop()


class SharedStreams:
    """Topics every worker reads in full, handed in batches to ``handle``.

    ``catch_up`` reads to the current end before returning (the worker calls it when a
    rebalance hands it partitions); ``run`` keeps reading. One reader fetches at a time.
    """

    def __init__(
        self,
        settings: KafkaSettings,
        client_id: str,
        topics: Sequence[str],
        handle: Callable[[Sequence[Record]], Awaitable[None]],
        *,
        catch_up_records: int = 2000,
        live_records: int = 1000,
    ) -> None:
        self._settings = settings
        self._client_id = client_id
        self._topics = topics
        self._handle = handle
        # Applying a record only notes what to rank (the worker ranks in rounds), so a live
        # batch holds the worker's lock briefly whatever its size.
        self._catch_up_records = catch_up_records
        self._live_records = live_records
        self._consumer: AIOKafkaConsumer | None = None
        self._fetching = asyncio.Lock()
        self._stopping = False

    async def _started(self) -> AIOKafkaConsumer:
        if self._stopping:
            raise ConsumerStoppedError()
        if self._consumer is None:
            tps = await partitions_of(self._settings, self._topics)
            consumer = _consumer(self._settings, self._client_id)
            await consumer.start()
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            self._consumer = consumer
        return self._consumer

    async def _fetch_once(self, consumer: AIOKafkaConsumer, max_records: int) -> int:
        batch: dict[Any, list[Any]] = await consumer.getmany(
            timeout_ms=FETCH_MS, max_records=max_records
        )
        records = [record for records in batch.values() for record in records]
        if records:
            await self._handle(records)
        return len(records)

    async def catch_up(self) -> None:
        async with self._fetching:
            if self._stopping:
                return
            consumer = await self._started()
            ends = await consumer.end_offsets(list(consumer.assignment()))
            read = 0
            try:
                while await _unfinished(consumer, ends):
                    read += await self._fetch_once(consumer, self._catch_up_records)
            except ConsumerStoppedError:
                if self._stopping:
                    return  # the worker shuts down
                raise
            log.info("shared topics read to their end (%d records now)", read)

    async def run(self) -> None:
        while not self._stopping:
            async with self._fetching:
                try:
                    await self._fetch_once(await self._started(), self._live_records)
                except ConsumerStoppedError:
                    if self._stopping:
                        return
                    raise

    async def stop(self) -> None:
        self._stopping = True
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
