"""A service described as data: what the app factory, the relay and the consumer need to know."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from sqlalchemy import MetaData, Table

from shared.kafka.consumer import Handler
from shared.storage.database import Database
from shared.storage.projections import Projection, projecting_handler
from shared.topics import Topic
from shared.web.settings import ServiceSettings


@dataclass(frozen=True)
class ConsumerSpec:
    """The service's Kafka consumer: which topics, which group, and the read models it keeps."""

    topics: tuple[Topic, ...]
    group_id: str
    projections: Sequence[Projection]

    def handler(self, database: Database) -> Handler:
        return projecting_handler(database, self.projections)


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # also the prefix of its tables and its Kafka producer name
    title: str
    description: str
    settings_class: type[ServiceSettings]
    metadata: MetaData
    outbox: Table
    idempotency: Table
    migrations: Path
    routers: Sequence[APIRouter]
    openapi_tags: Sequence[dict[str, Any]] = field(default_factory=tuple)
    consumer: ConsumerSpec | None = None

    def settings(self) -> ServiceSettings:
        return self.settings_class(service_name=self.name)
