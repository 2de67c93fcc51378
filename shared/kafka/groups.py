"""Consumer groups set up ahead of their consumers."""

from __future__ import annotations

from collections.abc import Sequence

from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition

from shared.settings import KafkaSettings


def start_group_at_end(group_id: str, topics: Sequence[str], settings: KafkaSettings) -> None:
    """Commit the topics' current end offsets for ``group_id``: a consumer of that group then
    reads only what comes after now (a benchmark or a test leaves older records unread)."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers, group_id=group_id, enable_auto_commit=False
    )
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in consumer.partitions_for_topic(topic)
        ]
        ends = consumer.end_offsets(partitions)
        consumer.commit({tp: OffsetAndMetadata(offset, None, -1) for tp, offset in ends.items()})
    finally:
        consumer.close()
