"""What goes to the dead-letter topic: the record as it came, where from, and why it failed."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from pydantic import Field

from shared.contract.values import Record


class DeadLetter(Record):
    topic: str
    partition: int
    offset: int
    key: str | None
    value_base64: str | None = Field(description="the original bytes, untouched")
    error: str
    consumer: str = Field(description="the consumer group or service that gave up on it")
    failed_at: datetime

    @classmethod
    def of(
        cls,
        *,
        topic: str,
        partition: int,
        offset: int,
        key: bytes | None,
        value: bytes | None,
        error: str,
        consumer: str,
    ) -> DeadLetter:
        return cls(
            topic=topic,
            partition=partition,
            offset=offset,
            key=key.decode("utf-8", errors="replace") if key is not None else None,
            value_base64=base64.b64encode(value).decode("ascii") if value is not None else None,
            error=error[:4000],
            consumer=consumer,
            failed_at=datetime.now(UTC),
        )

    def original_value(self) -> bytes | None:
        return base64.b64decode(self.value_base64) if self.value_base64 is not None else None

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode("utf-8")
