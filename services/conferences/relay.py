"""The relay's producer for this service: a whole schedule is one ConferenceScheduled record,
and a large conference's passes Kafka's default 1 MB request limit.

``ketnoi.conferences.v1`` accepts records up to 8 MiB; the producer here may send that much
and compresses what it sends (gzip: needs no native library).
"""

from __future__ import annotations

from collections.abc import Callable

from shared.kafka.producer import EventPublisher, make_producer
from shared.outbox.relay import Publisher
from shared.settings import KafkaSettings
from shared.topics import CONFERENCES

MAX_RECORD_BYTES = int(CONFERENCES.config["max.message.bytes"])


def large_record_publishers(client_id: str, settings: KafkaSettings) -> Callable[[], Publisher]:
    """As the kit's ``relay_publisher_factory`` (quick to say the broker is down), with room
    for a whole schedule."""

    def make() -> Publisher:
        producer = make_producer(
            client_id,
            settings,
            max_block_ms=10_000,
            request_timeout_ms=30_000,
            delivery_timeout_ms=60_000,
            max_request_size=MAX_RECORD_BYTES,
            compression_type="gzip",
        )
        return EventPublisher(producer)

    return make
