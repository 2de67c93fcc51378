"""Distances between the province's districts and delivery places, as a lookup table.

Reference data (``shared/data/places.json``) gives each place's seat; the matcher needs the
distance for many pairs at once, so all of them are computed once into a matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from shared import reference

# Proximity is 1 at the same seat, 0.5 at this many kilometres, and falls off slowly after.
HALF_PROXIMITY_KM = 100.0


@dataclass(frozen=True)
class PlaceTable:
    """Every known place with an index; matrices are indexed [place, place]."""

    codes: tuple[str, ...]
    index: dict[str, int]
    distance_km: np.ndarray  # (P, P) float32
    proximity: np.ndarray  # (P, P) float32 in (0, 1]

    def name(self, code: str) -> str:
        return reference.places()[code].name


@cache
def place_table() -> PlaceTable:
    codes = tuple(sorted(reference.places()))
    distance = np.array(
        [[reference.distance_km(a, b) for b in codes] for a in codes], dtype=np.float32
    )
    proximity = (HALF_PROXIMITY_KM / (HALF_PROXIMITY_KM + distance)).astype(np.float32)
    return PlaceTable(codes, {code: i for i, code in enumerate(codes)}, distance, proximity)
