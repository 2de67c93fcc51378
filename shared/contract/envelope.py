"""The envelope every event travels in, and the codec that checks it on produce and consume.

On the wire an event is UTF-8 JSON::

    {"event_id": "…", "type": "CooperativeRegistered", "schema_version": 1,
     "occurred_at": "2026-03-01T08:00:00+07:00", "producer": "cooperatives",
     "key": "coop-1", "payload": {…}}

It is looked up by (``type``, ``schema_version``) and must be allowed on the topic it came from.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import AwareDatetime, Field, SerializeAsAny, ValidationError

from shared.contract.events import PAYLOAD_TYPES, EventPayload
from shared.contract.values import Record
from shared.topics import BY_NAME

P = TypeVar("P", bound=EventPayload)

REGISTRY: dict[tuple[str, int], type[EventPayload]] = {
    (cls.event_type, cls.schema_version): cls for cls in PAYLOAD_TYPES
}


class ContractError(ValueError):
    """An event that breaks the contract: unknown type or version, wrong topic, bad fields."""


class Envelope(Record, Generic[P]):
    event_id: uuid.UUID
    type: str = Field(max_length=64)
    schema_version: int = Field(ge=1)
    occurred_at: AwareDatetime
    producer: str = Field(min_length=1, max_length=64)
    key: str = Field(min_length=1, max_length=64)
    payload: SerializeAsAny[P]


def wrap(
    payload: P,
    producer: str,
    *,
    occurred_at: datetime | None = None,
    event_id: uuid.UUID | None = None,
) -> Envelope[P]:
    """Put a payload in a new envelope: a fresh id, now, and the payload's own key."""
    return Envelope[P](
        event_id=event_id or uuid.uuid4(),
        type=payload.event_type,
        schema_version=payload.schema_version,
        occurred_at=occurred_at or datetime.now(UTC),
        producer=producer,
        key=payload.partition_key(),
        payload=payload,
    )


def _check_topic(topic: str, event_type: str) -> None:
    known = BY_NAME.get(topic)
    if known is None:
        raise ContractError(f"unknown topic {topic!r}")
    if event_type not in known.event_types:
        allowed = ", ".join(sorted(known.event_types)) or "no events"
        raise ContractError(f"event type {event_type!r} is not allowed on {topic} ({allowed})")


def encode(topic: str, envelope: Envelope[Any]) -> bytes:
    """Check an envelope against the contract and the topic, then serialise it."""
    _check_topic(topic, envelope.type)
    expected = REGISTRY.get((envelope.type, envelope.schema_version))
    if expected is None or not isinstance(envelope.payload, expected):
        raise ContractError(
            f"payload {type(envelope.payload).__name__} does not match "
            f"{envelope.type} v{envelope.schema_version}"
        )
    if envelope.key != envelope.payload.partition_key():
        raise ContractError(f"key {envelope.key!r} is not the payload's key")
    return envelope.model_dump_json().encode("utf-8")


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(root)"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def decode(topic: str, raw: bytes | None) -> Envelope[EventPayload]:
    """Parse and validate a record's value; raise ContractError saying what is wrong."""
    if raw is None:
        raise ContractError("empty record value (tombstone) where an event was expected")
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ContractError(f"not UTF-8 JSON: {error}") from None
    if not isinstance(document, dict):
        raise ContractError("an event must be a JSON object")
    event_type, version = document.get("type"), document.get("schema_version")
    if not isinstance(event_type, str) or not isinstance(version, int):
        raise ContractError("missing 'type' (string) or 'schema_version' (integer)")
    payload_type = REGISTRY.get((event_type, version))
    if payload_type is None:
        versions = sorted(v for (t, v) in REGISTRY if t == event_type)
        if versions:
            raise ContractError(f"unknown version {version} of {event_type} (known: {versions})")
        raise ContractError(f"unknown event type {event_type!r}")
    _check_topic(topic, event_type)
    try:
        payload = payload_type.model_validate(document.get("payload"))
        envelope = Envelope[EventPayload].model_validate({**document, "payload": payload})
    except ValidationError as error:
        raise ContractError(f"{event_type} v{version} is invalid: {_describe(error)}") from None
    if envelope.key != payload.partition_key():
        raise ContractError(f"key {envelope.key!r} is not the payload's key")
    return envelope
