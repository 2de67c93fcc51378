"""Health of a Kafka worker: its consumer group is stable and has members.

A faust worker serves no HTTP here, so "healthy" means what matters: it has joined its group
and holds partitions. Used by ``ketnoi up`` and by docker-compose healthchecks.
"""

from __future__ import annotations

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from shared.settings import KafkaSettings


def group_is_serving(group_id: str, settings: KafkaSettings | None = None) -> bool:
    settings = settings or KafkaSettings()
    admin = KafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers, client_id="ketnoi-health"
    )
    try:
        description = admin.describe_groups([group_id])[group_id]
    except KafkaError:
        # A fresh broker has no group coordinator for a moment: not serving yet.
        return False
    finally:
        admin.close()
    return bool(description.get("group_state") == "Stable" and description.get("members"))
