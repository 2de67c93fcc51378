"""The envelope every event travels in, and the codec that checks it on produce and consume.

On the wire an event is UTF-8 JSON::

    {"event_id": "…", "type": "CooperativeRegistered", "schema_version": 1,
     "occurred_at": "2026-03-01T08:00:00+07:00", "producer": "cooperatives",
     "key": "coop-1", "payload": {…}}

It is looked up by (``type``, ``schema_version``) and must be allowed on the topic it came from.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import AwareDatetime, Field, SerializeAsAny, ValidationError
from pydantic_core import SchemaValidator

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
    if raw is not None and _FAST:
        envelope = _decode_fast(topic, raw)
        if envelope is not None:
            return envelope
    return _decode_checked(topic, raw)


# The fast path: one Rust-side parse-and-validate of the whole record against an envelope
# schema made for the payload type the record names. It accepts a subset of what the checked
# path accepts, giving the same envelope; anything else (a bad record, an unusual encoding)
# goes through the checked path, which says what is wrong.
_HEAD = re.compile(rb'"type":"([A-Za-z0-9_]{1,64})","schema_version":([1-9][0-9]{0,8})[,}]')
_VALIDATORS: dict[tuple[str, int], SchemaValidator | None] = {}


def _decode_fast(topic: str, raw: bytes) -> Envelope[EventPayload] | None:
    head = _HEAD.search(raw)
    if head is None:
        return None
    event_type, version = head[1].decode("ascii"), int(head[2])
    known = BY_NAME.get(topic)
    if known is None or event_type not in known.event_types:
        return None
    try:
        validator = _VALIDATORS[(event_type, version)]
    except KeyError:
        payload_type = REGISTRY.get((event_type, version))
        validator = None if payload_type is None else _envelope_validator(payload_type)
        _VALIDATORS[(event_type, version)] = validator
    if validator is None:
        return None
    try:
        fields, _extra, fields_set = validator.validate_json(raw)
    except ValidationError:
        return None
    envelope = _envelope(fields, fields_set)
    # The schema checked that these are a JSON string and a JSON integer; they must be the
    # ones the payload was validated for (the search above only guessed them).
    if envelope.type != event_type or envelope.schema_version != version:
        return None
    if envelope.key != envelope.payload.partition_key():
        return None
    return envelope


def _envelope_validator(payload_type: type[EventPayload]) -> SchemaValidator | None:
    """A validator of JSON envelopes with a ``payload_type`` payload, giving the fields of an
    ``Envelope[EventPayload]``; ``type`` and ``schema_version`` strict (a JSON string and a
    JSON integer, as the checked path requires)."""
    schema: Any = dict(Envelope[payload_type].__pydantic_core_schema__)  # type: ignore[valid-type]
    model = schema["schema"] if schema["type"] == "definitions" else schema
    if model["type"] != "model" or model["schema"]["type"] != "model-fields":
        return None  # not the shape this was written for: the checked path will do
    # The model's fields alone (its class would bring its own prebuilt validator along).
    fields_schema = dict(model["schema"])
    fields = dict(fields_schema["fields"])
    for name in ("type", "schema_version"):
        fields[name] = {**fields[name], "schema": {**fields[name]["schema"], "strict": True}}
    fields_schema["fields"] = fields
    if schema["type"] == "definitions":
        schema["schema"] = fields_schema
    else:
        schema = fields_schema
    return SchemaValidator(schema, model["config"])


def _envelope(fields: dict[str, Any], fields_set: set[str]) -> Envelope[EventPayload]:
    """An ``Envelope[EventPayload]`` of validated fields, as its validator would make it."""
    envelope = _ENVELOPE.__new__(_ENVELOPE)
    _set(envelope, "__dict__", fields)
    _set(envelope, "__pydantic_fields_set__", fields_set)
    _set(envelope, "__pydantic_extra__", None)
    _set(envelope, "__pydantic_private__", None)
    return envelope


_ENVELOPE = Envelope[EventPayload]
_set = object.__setattr__
# ``_envelope`` makes instances as pydantic does for a model without these.
_FAST = _ENVELOPE.__pydantic_post_init__ is None and not _ENVELOPE.__private_attributes__


def _decode_checked(topic: str, raw: bytes | None) -> Envelope[EventPayload]:
    """The decoder for any record: json, then the payload, then the envelope."""
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
