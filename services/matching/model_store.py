"""Trained scoring models on disk: one JSON file per version in a models directory.

JSON rather than a pickle: a model is a handful of weights, readable and diffable, and loading
one cannot run code. Versions count up per kind (``sourcing-lr-0003``); the highest is current.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from services.matching.domain.scoring_model import (
    HANDSET_LEAD,
    HANDSET_SOURCING,
    MatchKind,
    ScoringModel,
)

_VERSION = re.compile(r"^(?P<kind>sourcing|lead)-lr-(?P<number>\d{4,})$")


def _numbers(models_dir: Path, kind: MatchKind) -> list[int]:
    if not models_dir.is_dir():
        return []
    found = []
    for path in models_dir.glob(f"{kind}-lr-*.json"):
        parsed = _VERSION.match(path.stem)
        if parsed is not None and parsed["kind"] == kind:
            found.append(int(parsed["number"]))
    return sorted(found)


def next_version(models_dir: Path, kind: MatchKind) -> str:
    numbers = _numbers(models_dir, kind)
    return f"{kind}-lr-{(numbers[-1] + 1 if numbers else 1):04d}"


def save_model(model: ScoringModel, models_dir: Path) -> Path:
    """Write the model as ``<version>.json``; an existing version is never overwritten."""
    models_dir.mkdir(parents=True, exist_ok=True)
    path = models_dir / f"{model.version}.json"
    with path.open("x", encoding="utf-8") as handle:
        json.dump(model.to_dict(), handle, indent=2)
        handle.write("\n")
    return path


def load_latest(models_dir: Path, kind: MatchKind) -> ScoringModel | None:
    """The newest trained model of this kind, or None (then the hand-set weights apply)."""
    numbers = _numbers(models_dir, kind)
    if not numbers:
        return None
    path = models_dir / f"{kind}-lr-{numbers[-1]:04d}.json"
    with path.open(encoding="utf-8") as handle:
        return ScoringModel.from_dict(json.load(handle))


def models_in_use(models_dir: Path) -> tuple[ScoringModel, ScoringModel]:
    """(sourcing, lead) models for the worker: the newest trained ones, else hand-set weights."""
    return (
        load_latest(models_dir, "sourcing") or HANDSET_SOURCING,
        load_latest(models_dir, "lead") or HANDSET_LEAD,
    )
