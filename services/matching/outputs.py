"""The matching worker's producer: idempotent, acks=all, its records stamped with the process.

Its own aiokafka producer rather than faust's, which does not enable idempotence: a retried
send must not put a match on the output topic twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from services.matching.worker import PUBLISHER_HEADER, OutputRecord
from shared.settings import KafkaSettings


class KafkaOutputs:
    def __init__(self, settings: KafkaSettings, client_id: str, publisher: bytes) -> None:
        self._settings = settings
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
                )
                await producer.start()
                self._producer = producer

    async def send_all(self, records: Sequence[OutputRecord]) -> None:
        await self.start()
        assert self._producer is not None
        # Records of one key keep their order: one partition, sent in turn.
        acks = [
            await self._producer.send(topic, value, key=key, headers=self._headers)
            for topic, key, value in records
        ]
        await asyncio.gather(*acks)

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
