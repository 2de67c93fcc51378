"""The examples in docs/events.md are real: each validates against the contract."""

from __future__ import annotations

import json
import re

import pytest

from shared.contract.envelope import decode
from shared.contract.events import PAYLOAD_TYPES
from shared.settings import REPO_ROOT

SECTION = re.compile(
    r"^### (?P<type>\w+)\n.*?^Topic: `(?P<topic>[^`]+)`\n\n```json\n(?P<body>.*?)^```",
    re.MULTILINE | re.DOTALL,
)


def documented_examples() -> list[tuple[str, str, str]]:
    text = (REPO_ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    return [(m["type"], m["topic"], m["body"]) for m in SECTION.finditer(text)]


def test_every_event_type_has_a_documented_example() -> None:
    documented = {event_type for event_type, _, _ in documented_examples()}
    assert documented == {cls.event_type for cls in PAYLOAD_TYPES}


@pytest.mark.parametrize(
    ("event_type", "topic", "body"), documented_examples(), ids=lambda value: str(value)[:40]
)
def test_documented_example_validates(event_type: str, topic: str, body: str) -> None:
    envelope = decode(topic, body.encode("utf-8"))
    assert envelope.type == event_type
    assert json.loads(body)["payload"] == json.loads(envelope.payload.model_dump_json())
