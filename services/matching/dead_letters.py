"""Poison records of the matching worker, each dead-lettered once.

The worker reads its inputs from the start after every restart and rebalance, so it meets the
same poison records again; it remembers which it already sent by reading the dead-letter topic
back (letters carry topic, partition and offset) and sends only the others. The smoke worker
(``services/smoke/app.py``) dead-letters the simple way, since it never re-reads.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator

from services.matching.consumed import Record
from shared.contract.dead_letter import DeadLetter

log = logging.getLogger(__name__)

Position = tuple[str, int, int]  # topic, partition, offset


class DeadLetters:
    def __init__(self, consumer: str) -> None:
        self.consumer = consumer
        self._sent: set[Position] = set()
        self._waiting: dict[Position, DeadLetter] = {}

    def note_poison(self, record: Record, error: Exception) -> None:
        position = (record.topic, record.partition, record.offset)
        if position in self._sent or position in self._waiting:
            return
        log.warning("poison record %s[%s]@%s: %s", *position, error)
        self._waiting[position] = DeadLetter.of(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value,
            error=f"{type(error).__name__}: {error}",
            consumer=self.consumer,
        )

    def note_letter(self, raw: bytes | None) -> None:
        """A record of the dead-letter topic: one of ours means that poison is dealt with."""
        try:
            letter = json.loads(raw or b"null")
            if letter.get("consumer") != self.consumer:
                return
            position = (str(letter["topic"]), int(letter["partition"]), int(letter["offset"]))
        except (ValueError, TypeError, KeyError, AttributeError):
            return  # not a letter of ours
        self._sent.add(position)
        self._waiting.pop(position, None)

    def due(self, owns: Callable[[str, int], bool]) -> Iterator[DeadLetter]:
        """Letters to send now: poison on partitions this worker owns, not yet sent."""
        for (topic, partition, _), letter in list(self._waiting.items()):
            if owns(topic, partition):
                yield letter

    def sent(self, letter: DeadLetter) -> None:
        position = (letter.topic, letter.partition, letter.offset)
        self._sent.add(position)
        self._waiting.pop(position, None)
