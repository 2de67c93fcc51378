"""Reference data the whole system agrees on: places, sectors and units.

The data sit in ``shared/data/*.json`` so that a province or a new field is added as data, not
code. Loaded once, on first use.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"


def _load(name: str) -> dict[str, Any]:
    with (DATA_DIR / name).open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    lat: float
    lon: float
    in_province: bool


@cache
def places() -> dict[str, Place]:
    """District-level units of the province and other provinces, by code."""
    data = _load("places.json")
    found: dict[str, Place] = {}
    for row in data["districts"]:
        found[row["code"]] = Place(row["code"], row["name"], row["lat"], row["lon"], True)
    for row in data["other_provinces"]:
        found[row["code"]] = Place(row["code"], row["name"], row["lat"], row["lon"], False)
    province = data["province"]
    # The province as a whole sits at its capital, for "deliver anywhere in the province".
    capital = found["dong-hoi"]
    found[province["code"]] = Place(
        province["code"], province["name"], capital.lat, capital.lon, True
    )
    return found


@cache
def district_codes() -> frozenset[str]:
    return frozenset(row["code"] for row in _load("places.json")["districts"])


def distance_km(a: str, b: str) -> float:
    """Great-circle distance between two places' seats, in kilometres."""
    pa, pb = places()[a], places()[b]
    lat1, lon1, lat2, lon2 = map(math.radians, (pa.lat, pa.lon, pb.lat, pb.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


@cache
def sector_codes() -> frozenset[str]:
    return frozenset(row["code"] for row in _load("sectors.json")["sectors"])


@dataclass(frozen=True)
class UnitInfo:
    code: str
    dimension: str
    to_base: float
    base: str


@cache
def units() -> dict[str, UnitInfo]:
    return {
        row["code"]: UnitInfo(row["code"], row["dimension"], row["to_base"], row["base"])
        for row in _load("units.json")["units"]
    }


@cache
def unit_aliases() -> dict[str, str]:
    """What users type (``tấn``, ``lít``, ``kg``) to the unit code, case-folded."""
    return {
        alias.casefold(): row["code"]
        for row in _load("units.json")["units"]
        for alias in row["aliases"]
    }
