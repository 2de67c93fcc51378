"""Create the project's topics explicitly (the broker does not auto-create them)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import TopicAlreadyExistsError

from shared.settings import KafkaSettings
from shared.topics import ALL_TOPICS, Topic

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicReport:
    name: str
    partitions: int
    created: bool


def ensure_topics(
    settings: KafkaSettings | None = None, topics: Iterable[Topic] = ALL_TOPICS
) -> list[TopicReport]:
    """Create each topic that is missing; leave existing ones as they are.

    Partition count and replication come from the settings (``KAFKA_TOPIC_PARTITIONS``,
    ``KAFKA_REPLICATION_FACTOR``). Existing topics keep their partition count: changing it
    would move keys between partitions and break per-key order.
    """
    settings = settings or KafkaSettings()
    wanted = list(topics)
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, client_id="ketnoi-admin")
    try:
        existing = set(admin.list_topics())
        missing = [topic for topic in wanted if topic.name not in existing]
        for topic in missing:
            # Another process may create it between our listing and now: that is fine.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(
                    [
                        NewTopic(
                            name=topic.name,
                            num_partitions=settings.topic_partitions,
                            replication_factor=settings.replication_factor,
                            topic_configs=dict(topic.config),
                        )
                    ]
                )
            log.info("created topic %s", topic.name)
        present = [topic for topic in wanted if topic.name in existing and topic.config]
        if present:
            # Retention and compaction are part of the design: bring older topics in line.
            admin.alter_configs(
                [
                    ConfigResource(ConfigResourceType.TOPIC, topic.name, dict(topic.config))
                    for topic in present
                ]
            )
        described = admin.describe_topics([topic.name for topic in wanted])
        partitions = {item["name"]: len(item["partitions"]) for item in described}
    finally:
        admin.close()
    created = {topic.name for topic in missing}
    return [
        TopicReport(topic.name, partitions.get(topic.name, 0), topic.name in created)
        for topic in wanted
    ]
