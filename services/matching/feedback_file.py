"""Feedback examples kept as JSON lines, one example per line, appended as they come."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from services.matching.domain.learning import FeedbackExample


def append_examples(path: Path, examples: Iterable[FeedbackExample]) -> int:
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
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
    return written


def read_examples(path: Path) -> list[FeedbackExample]:
    examples = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                kind = record["kind"]
                if kind not in ("sourcing", "lead"):
                    raise ValueError(f"unknown kind {kind!r}")
                examples.append(
                    FeedbackExample(
                        kind=kind,
                        query_id=str(record["query_id"]),
                        item_id=str(record["item_id"]),
                        components={k: float(v) for k, v in record["components"].items()},
                        relevance=int(record["relevance"]),
                    )
                )
            except (KeyError, TypeError, ValueError) as error:
                raise ValueError(f"{path}:{number}: not a feedback example ({error})") from None
    return examples
