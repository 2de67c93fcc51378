"""The one way a faust-streaming app is built here, so every worker behaves alike.

Records travel as raw bytes and are decoded by ``shared.contract`` (faust's own serialisers
would tie the wire format to Python class paths). Topics are created by ``ketnoi topics``,
never by a worker, so a typo in a topic name fails loudly instead of creating a new topic.
"""

from __future__ import annotations

from typing import Any

import faust

from shared.settings import KafkaSettings


def make_faust_app(
    app_id: str, settings: KafkaSettings | None = None, **overrides: Any
) -> faust.App:
    settings = settings or KafkaSettings()
    brokers = ";".join(f"kafka://{server}" for server in settings.bootstrap_servers.split(","))
    options: dict[str, Any] = {
        "broker": brokers,
        "key_serializer": "raw",
        "value_serializer": "raw",
        "topic_allow_declare": False,
        "topic_disable_leader": True,
        "web_enabled": False,
        "store": "memory://",
        # Commit soon after processing; at-least-once with idempotent sinks downstream.
        "broker_commit_every": 100,
        "broker_commit_interval": 1.0,
        "producer_acks": -1,
        "consumer_auto_offset_reset": "earliest",
    }
    options.update(overrides)
    return faust.App(app_id, **options)


def raw_topic(app: faust.App, name: str) -> Any:
    """A topic of bytes keys and values, not declared by the app (``ketnoi topics`` did)."""
    return app.topic(name, key_type=bytes, value_type=bytes, internal=False)
