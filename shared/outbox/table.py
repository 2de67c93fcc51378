"""The outbox table of one service, in that service's MetaData."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text, text

from shared.storage.types import AutoId, UtcDateTime


def outbox_table(metadata: MetaData, service: str) -> Table:
    """``<service>_outbox``: one row per event, in the order the service wrote them."""
    name = f"{service}_outbox"
    unsent = text("sent_at IS NULL")
    return Table(
        name,
        metadata,
        # The relay publishes in id order; ids follow commit order for one key because a
        # key's writes are serialised by the row they change (see the services' versions).
        Column("id", AutoId, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("topic", String(128), nullable=False),
        Column("key", String(64), nullable=False),
        Column("event_type", String(64), nullable=False),
        Column("envelope", Text, nullable=False, comment="the encoded envelope, UTF-8 JSON"),
        Column("created_at", UtcDateTime, nullable=False),
        Column("sent_at", UtcDateTime, nullable=True),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("last_error", Text, nullable=True),
        Index(f"ix_{name}_unsent", "id", postgresql_where=unsent, sqlite_where=unsent),
        Index(f"ix_{name}_unsent_key", "key", "id", postgresql_where=unsent, sqlite_where=unsent),
    )
