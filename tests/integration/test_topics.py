"""The admin step creates every topic once, with the configured partitions and retention."""

from __future__ import annotations

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

from shared.kafka.admin import ensure_topics
from shared.settings import KafkaSettings
from shared.topics import ALL_TOPICS, COOPERATIVES, SOURCING_MATCHES

pytestmark = pytest.mark.kafka


def test_every_topic_exists_with_three_partitions_and_a_second_run_creates_nothing(
    kafka_settings: KafkaSettings,
) -> None:
    reports = ensure_topics(kafka_settings)
    assert {report.name for report in reports} == {topic.name for topic in ALL_TOPICS}
    assert all(report.partitions == 3 for report in reports)
    assert not any(report.created for report in reports)


def test_inputs_are_kept_for_ever_and_outputs_compacted(kafka_settings: KafkaSettings) -> None:
    admin = KafkaAdminClient(bootstrap_servers=kafka_settings.bootstrap_servers)
    try:
        described = admin.describe_configs(
            [
                ConfigResource(ConfigResourceType.TOPIC, COOPERATIVES.name),
                ConfigResource(ConfigResourceType.TOPIC, SOURCING_MATCHES.name),
            ]
        )
    finally:
        admin.close()
    topics = described["topic"]
    assert topics[COOPERATIVES.name]["retention.ms"]["value"] == "-1"
    assert topics[SOURCING_MATCHES.name]["cleanup.policy"]["value"] == "compact"
