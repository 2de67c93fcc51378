"""Value types shared by events and APIs: text, money, months, quantities, certifications.

Validation lives in the types, so an API request and a consumed event are checked alike.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, model_validator

from shared import reference


def _clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL bytes")
    # Vietnamese can be typed composed or decomposed; NFC makes equal text compare equal.
    return unicodedata.normalize("NFC", value).strip()


def _non_blank(value: str) -> str:
    if not value:
        raise ValueError("must not be blank")
    return value


ShortText = Annotated[
    str, Field(max_length=200), AfterValidator(_clean_text), AfterValidator(_non_blank)
]
"""A name or a title: NFC, trimmed, 1 to 200 characters."""

LongText = Annotated[str, Field(max_length=4000), AfterValidator(_clean_text)]
"""A free-text description: NFC, trimmed, at most 4000 characters, may be empty."""

EntityId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
"""An identifier: letters, digits and ``_.:-``, as used in Kafka keys."""

Vnd = Annotated[StrictInt, Field(gt=0, le=10**15)]
"""An amount of Vietnamese đồng: a positive whole number (the đồng has no minor unit)."""

Month = Annotated[StrictInt, Field(ge=1, le=12)]

Score = Annotated[float, Field(ge=0.0, le=1.0)]


def _known_district(value: str) -> str:
    if value not in reference.district_codes():
        known = ", ".join(sorted(reference.district_codes()))
        raise ValueError(f"unknown district {value!r}; known districts: {known}")
    return value


def _known_place(value: str) -> str:
    if value not in reference.places():
        known = ", ".join(sorted(reference.places()))
        raise ValueError(f"unknown place {value!r}; known places: {known}")
    return value


def _known_sector(value: str) -> str:
    if value not in reference.sector_codes():
        known = ", ".join(sorted(reference.sector_codes()))
        raise ValueError(f"unknown sector {value!r}; known sectors: {known}")
    return value


DistrictCode = Annotated[str, AfterValidator(_known_district)]
PlaceCode = Annotated[str, AfterValidator(_known_place)]
"""A district of the province, the province itself, or another province."""
SectorCode = Annotated[str, AfterValidator(_known_sector)]


class Record(BaseModel):
    """Base of every contract model: immutable, and unknown fields are errors, not ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_max_length=4000)


class CooperativeKind(StrEnum):
    HTX = "htx"  # hợp tác xã, cooperative
    THT = "tht"  # tổ hợp tác, cooperative group
    UNION = "union"  # liên hiệp hợp tác xã
    CREDIT_FUND = "credit_fund"  # quỹ tín dụng nhân dân


class CertificationKind(StrEnum):
    VIETGAP = "vietgap"
    GLOBALGAP = "globalgap"
    ORGANIC = "organic"
    HACCP = "haccp"
    ISO_22000 = "iso22000"
    OCOP = "ocop"


class LoanPurpose(StrEnum):
    WORKING_CAPITAL = "working_capital"
    EQUIPMENT = "equipment"
    INFRASTRUCTURE = "infrastructure"
    INPUTS = "inputs"  # seeds, breeding stock, fertiliser, feed
    PROCESSING = "processing"
    STORAGE_LOGISTICS = "storage_logistics"
    OTHER = "other"


def _known_unit(value: str) -> str:
    code = reference.unit_aliases().get(value.strip().casefold())
    if code is None:
        known = ", ".join(sorted(reference.units()))
        raise ValueError(f"unknown unit {value!r}; known units: {known}")
    return code


UnitCode = Annotated[str, AfterValidator(_known_unit)]
"""A unit code from ``shared/data/units.json``; Vietnamese spellings (``tấn``) are accepted."""


class Quantity(Record):
    amount: float = Field(gt=0, le=1e12, allow_inf_nan=False)
    unit: UnitCode

    def in_base_unit(self) -> tuple[float, str]:
        """The amount in its dimension's base unit: 2 tấn -> (2000.0, "kg")."""
        info = reference.units()[self.unit]
        return self.amount * info.to_base, info.base


class Certification(Record):
    kind: CertificationKind
    stars: int | None = Field(default=None, ge=3, le=5, description="OCOP stars, 3 to 5")
    expires_on: date

    @model_validator(mode="after")
    def _stars_only_for_ocop(self) -> Self:
        if self.kind is CertificationKind.OCOP and self.stars is None:
            raise ValueError("an OCOP certification needs its stars (3 to 5)")
        if self.kind is not CertificationKind.OCOP and self.stars is not None:
            raise ValueError("only an OCOP certification has stars")
        return self


class RequiredCertification(Record):
    kind: CertificationKind
    min_stars: int | None = Field(default=None, ge=3, le=5, description="for OCOP only")


class Reason(Record):
    """Why a match or lead scored as it did, for people: a stable code and both languages."""

    code: str = Field(max_length=64)
    en: str = Field(max_length=500)
    vi: str = Field(max_length=500)
