"""The base of every wire model, and contract value types whose allowed values the OpenAPI
document spells out (districts, places, sectors, units), so clients and test generators see
them instead of a bare "string"."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from shared import reference
from shared.contract.values import DistrictCode, PlaceCode, SectorCode, UnitCode


class ApiModel(BaseModel):
    """Requests and answers: unknown fields are errors, so a typo is not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_max_length=4000)


@dataclass(frozen=True)
class OneOf:
    """Lists the allowed values in the JSON schema, read from reference data when the schema
    is built (not at import)."""

    values: Callable[[], Iterable[str]]

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["enum"] = sorted(self.values())
        return schema


def _unit_spellings() -> list[str]:
    return sorted(set(reference.units()) | set(reference.unit_aliases()))


District = Annotated[DistrictCode, OneOf(reference.district_codes)]
Place = Annotated[PlaceCode, OneOf(lambda: reference.places().keys())]
Sector = Annotated[SectorCode, OneOf(reference.sector_codes)]
Unit = Annotated[UnitCode, OneOf(_unit_spellings)]


class QuantityIn(ApiModel):
    """An amount and its unit; ``tấn``, ``tạ``, ``yến``, ``kg``, ``lít``, ``cái``… are accepted
    and stored as the unit's code."""

    # A thousandth of its unit at least (a gram, a millilitre): smaller amounts are typing
    # slips, and ratios against them overflow.
    amount: float = Field(ge=0.001, le=1e12, allow_inf_nan=False, examples=[2.5])
    unit: Unit = Field(examples=["tấn"])


class QuantityPublic(ApiModel):
    """An amount and its unit as answers show them: the amount as stored, not held to
    ``QuantityIn``'s minimum, which may have risen since it was stored (and another service's
    objects were held to the contract's)."""

    amount: float = Field(examples=[2.5])
    unit: Unit = Field(examples=["tan"])


def json_schema_examples(*examples: dict[str, Any]) -> ConfigDict:
    """A wire model's config with request examples (shown in /docs, tried by schemathesis)."""
    return ConfigDict(
        extra="forbid", str_max_length=4000, json_schema_extra={"examples": list(examples)}
    )


IdInPath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$", examples=["coop-1"])
]
LimitQuery = Annotated[
    int, Query(ge=1, le=200, description="at most this many, in the list's order")
]
OffsetQuery = Annotated[int, Query(ge=0, le=1_000_000, description="skip this many")]
WithdrawnQuery = Annotated[
    bool,
    Query(
        description="true: what the scoring service withdrew, newest first, each with when and "
        "why (`retraction_reason`); false (the default): the live ones"
    ),
]
