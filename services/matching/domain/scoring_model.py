"""How score components combine into one score: hand-set weights, or a model learnt from
feedback. Either way a linear function of the components, so it is cheap over big arrays."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

MatchKind = Literal["sourcing", "lead"]

SOURCING_COMPONENTS: tuple[str, ...] = (
    "text",
    "kind",
    "capacity",
    "certification",
    "place",
    "season",
)
LEAD_COMPONENTS: tuple[str, ...] = (
    "revenue",
    "members",
    "years",
    "certifications",
    "ocop",
    "buyer",
    "collateral",
)


@dataclass(frozen=True, slots=True)
class ScoringModel:
    """``weighted_mean``: sum(w * c) / sum(w), for hand-set non-negative weights.
    ``logistic``: 1 / (1 + exp(-(sum(w * c) + intercept))), as a logistic regression gives."""

    kind: MatchKind
    version: str
    features: tuple[str, ...]
    weights: tuple[float, ...]
    intercept: float = 0.0
    link: Literal["weighted_mean", "logistic"] = "weighted_mean"
    trained_on: int = 0  # feedback examples behind it; 0 for hand-set weights

    def __post_init__(self) -> None:
        if len(self.features) != len(self.weights):
            raise ValueError("one weight per feature")
        if self.link == "weighted_mean" and (min(self.weights) < 0 or sum(self.weights) <= 0):
            raise ValueError("hand-set weights must be non-negative with a positive sum")

    def combine(self, components: Mapping[str, np.ndarray]) -> np.ndarray:
        """Components of shapes that broadcast together (e.g. (B, n) and (B, 1)) to scores in
        [0, 1] of the broadcast shape, float32."""
        parts = [np.asarray(components[name], dtype=np.float32) for name in self.features]
        if not parts:
            raise ValueError("a model needs at least one feature")
        shape = np.broadcast_shapes(*(part.shape for part in parts))
        total = np.zeros(shape, dtype=np.float32)
        scratch = np.empty(shape, dtype=np.float32)  # reused: fresh big arrays cost page faults
        for part, weight in zip(parts, self.weights, strict=True):
            if part.shape == shape:
                np.multiply(part, np.float32(weight), out=scratch)
                total += scratch
            else:
                total += part * np.float32(weight)
        if self.link == "weighted_mean":
            total /= np.float32(sum(self.weights))
            return total
        total += np.float32(self.intercept)
        # 1 / (1 + exp(-x)), in place: the arrays can be large. Clipped so exp cannot overflow.
        np.clip(total, -60.0, 60.0, out=total)
        np.negative(total, out=total)
        np.exp(total, out=total)
        total += np.float32(1.0)
        return np.reciprocal(total, out=total)

    def score_one(self, components: Mapping[str, float]) -> float:
        arrays = {name: np.array([components[name]], dtype=np.float32) for name in self.features}
        return float(self.combine(arrays)[0])

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "version": self.version,
            "features": list(self.features),
            "weights": list(self.weights),
            "intercept": self.intercept,
            "link": self.link,
            "trained_on": self.trained_on,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoringModel:
        return cls(
            kind=data["kind"],
            version=str(data["version"]),
            features=tuple(data["features"]),
            weights=tuple(float(w) for w in data["weights"]),
            intercept=float(data.get("intercept", 0.0)),
            link=data.get("link", "weighted_mean"),
            trained_on=int(data.get("trained_on", 0)),
        )


# Product fit and capacity weigh most: a buyer first needs the right thing in the right amount.
HANDSET_SOURCING = ScoringModel(
    kind="sourcing",
    version="sourcing-handset-1",
    features=SOURCING_COMPONENTS,
    weights=(0.25, 0.15, 0.25, 0.10, 0.10, 0.15),
)

# Repayment capacity (revenue) and a buyer waiting weigh most; the rest is track record.
HANDSET_LEAD = ScoringModel(
    kind="lead",
    version="lead-handset-1",
    features=LEAD_COMPONENTS,
    weights=(0.20, 0.10, 0.15, 0.10, 0.15, 0.20, 0.10),
)
