"""Numbers, amounts, money and dates written for people, in English and in Vietnamese."""

from __future__ import annotations

import json
from datetime import date
from functools import cache

from services.matching.domain.model import Amount
from shared import reference

# Base unit -> (English, Vietnamese); mass switches to tonnes (tấn) from 1,000 kg.
_UNIT_WORDS = {
    "kg": ("kg", "kg"),
    "litre": ("litres", "lít"),
    "piece": ("pieces", "sản phẩm"),
    "guest": ("guests", "lượt khách"),
}


def number_en(value: float) -> str:
    text = f"{value:,.1f}"
    return text[:-2] if text.endswith(".0") else text


def number_vi(value: float) -> str:
    """Vietnamese writes 1.234,5 where English writes 1,234.5."""
    return number_en(value).replace(",", "\0").replace(".", ",").replace("\0", ".")


def unit_en(unit: str) -> str:
    return _UNIT_WORDS.get(unit, (unit, unit))[0]


def unit_vi(unit: str) -> str:
    return _UNIT_WORDS.get(unit, (unit, unit))[1]


def amount_en(amount: Amount) -> str:
    if amount.unit == "kg" and amount.value >= 1000:
        return f"{number_en(amount.value / 1000)} t"
    return f"{number_en(amount.value)} {_UNIT_WORDS.get(amount.unit, (amount.unit,))[0]}"


def amount_vi(amount: Amount) -> str:
    if amount.unit == "kg" and amount.value >= 1000:
        return f"{number_vi(amount.value / 1000)} tấn"
    return f"{number_vi(amount.value)} {_UNIT_WORDS.get(amount.unit, ('', amount.unit))[1]}"


def vnd_en(value: int) -> str:
    return f"{value:,} VND"


def vnd_vi(value: int) -> str:
    return f"{value:,}".replace(",", ".") + " ₫"


def date_en(day: date) -> str:
    return day.isoformat()


def date_vi(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def percent(share: float) -> str:
    return f"{round(100 * share)}%"


@cache
def sector_names() -> dict[str, tuple[str, str]]:
    """Sector code -> (English, Vietnamese) name, from the shared reference data."""
    with (reference.DATA_DIR / "sectors.json").open(encoding="utf-8") as handle:
        rows = json.load(handle)["sectors"]
    return {row["code"]: (row["name_en"], row["name_vi"]) for row in rows}


@cache
def district_names() -> dict[str, tuple[str, str]]:
    """Place code -> its name (the same in both languages: names are Vietnamese)."""
    return {code: (place.name, place.name) for code, place in reference.places().items()}
