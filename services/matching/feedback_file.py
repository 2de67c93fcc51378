"""Feedback examples kept as JSON lines, one example per line, appended as they come.

The worker writes each line with its ``source``, the id of the feedback event it came from: a
worker replays feedback after a restart, and (source, item) says which examples it already
wrote, here or in another worker's file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from services.matching.domain.learning import FeedbackExample


def append_examples(
    path: Path, examples: Iterable[FeedbackExample], source: str | None = None
) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("a", encoding="utf-8") as handle:
        for example in examples:
            record = {
                "kind": example.kind,
                "query_id": example.query_id,
                "item_id": example.item_id,
                "components": dict(example.components),
                "relevance": example.relevance,
            }
            if source is not None:
                record["source"] = source
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
    return written


def _records(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except ValueError as error:
                    raise ValueError(f"{path}:{number}: not JSON ({error})") from None


def written_sources(path: Path) -> set[tuple[str, str]]:
    """(source, item id) of every example in the file that says where it came from."""
    if not path.is_file():
        return set()
    return {
        (str(record["source"]), str(record.get("item_id")))
        for _, record in _records(path)
        if "source" in record
    }


def read_examples(path: Path, *more: Path) -> list[FeedbackExample]:
    """The examples of one or more files; an example written twice (same source and item, as
    after a rebalance moved an item to another worker) counts once."""
    examples = []
    seen: set[tuple[str, str]] = set()
    for one in (path, *more):
        for number, record in _records(one):
            try:
                kind = record["kind"]
                if kind not in ("sourcing", "lead"):
                    raise ValueError(f"unknown kind {kind!r}")
                example = FeedbackExample(
                    kind=kind,
                    query_id=str(record["query_id"]),
                    item_id=str(record["item_id"]),
                    components={k: float(v) for k, v in record["components"].items()},
                    relevance=int(record["relevance"]),
                )
            except (AttributeError, KeyError, TypeError, ValueError) as error:
                raise ValueError(f"{one}:{number}: not a feedback example ({error})") from None
            if "source" in record:
                key = (str(record["source"]), example.item_id)
                if key in seen:
                    continue
                seen.add(key)
            examples.append(example)
    return examples
