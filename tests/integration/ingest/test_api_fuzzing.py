"""schemathesis against the three services, PostgreSQL underneath: whatever a client sends that
the OpenAPI documents allow (and much that they do not), no answer is a 5xx, and every answer
matches its documented status, content type and schema.

The schemas are read from each service's OpenAPI document when this module loads (no database
needed); the calls go to apps on PostgreSQL that a fixture builds and plugs in.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from schemathesis import Case, checks
from schemathesis.openapi import from_dict

from services.banks.service import SPEC as BANKS
from services.businesses.service import SPEC as BUSINESSES
from services.cooperatives.service import SPEC as COOPERATIVES
from shared.identity.model import Role
from shared.web.app import openapi_document
from tests.integration.ingest.conftest import SERVICE_NAMES
from tests.integration.ingest.harness import Deployment, Organisations, deploy

FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same cases every run: a failure here is reproducible
    suppress_health_check=list(HealthCheck),
)


@dataclass
class PluggedApp:
    """An ASGI app that forwards to whichever app a fixture plugs in."""

    target: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.target is None:
            raise RuntimeError("no app plugged in: use the postgres_apps fixture")
        await self.target(scope, receive, send)


APPS = {name: PluggedApp() for name in SERVICE_NAMES}
OWNERS = {"cooperatives": Role.COOPERATIVE, "businesses": Role.BUSINESS, "banks": Role.BANK}


def _schema(name: str, document: dict[str, Any]) -> Any:
    schema = from_dict(document)
    schema.app = APPS[name]
    return schema


cooperatives = _schema("cooperatives", openapi_document(COOPERATIVES))
businesses = _schema("businesses", openapi_document(BUSINESSES))
banks = _schema("banks", openapi_document(BANKS))


@pytest.fixture(scope="module")
def postgres_apps(postgres_url: str, organisations: Organisations) -> Iterator[Deployment]:
    running = deploy(
        "postgresql", dict.fromkeys(SERVICE_NAMES, postgres_url), organisations.settings
    )
    for name, service in running.services.items():
        APPS[name].target = service.client.app
    try:
        yield running
    finally:
        for plugged in APPS.values():
            plugged.target = None
        running.close()


# The services check what OpenAPI cannot say (a date range in order, OCOP stars, text that is
# not blank once trimmed, units spelt in any case), so schema-valid data may be refused and
# some schema-invalid spellings accepted: the two data-acceptance checks do not apply.
NOT_APPLICABLE = [checks.positive_data_acceptance, checks.negative_data_rejection]


def _call(case: Case, organisations: Organisations, service: str) -> None:
    # A fresh organisation per case, so that a registration can succeed each time.
    caller = organisations.new(OWNERS[service])
    case.call_and_validate(
        headers={"Authorization": f"Bearer {organisations.token(caller)}"},
        excluded_checks=NOT_APPLICABLE,
    )


@cooperatives.parametrize()
@FUZZ
def test_cooperatives_api_answers_within_its_contract(
    case: Case, organisations: Organisations, postgres_apps: Deployment
) -> None:
    _call(case, organisations, "cooperatives")


@businesses.parametrize()
@FUZZ
def test_businesses_api_answers_within_its_contract(
    case: Case, organisations: Organisations, postgres_apps: Deployment
) -> None:
    _call(case, organisations, "businesses")


@banks.parametrize()
@FUZZ
def test_banks_api_answers_within_its_contract(
    case: Case, organisations: Organisations, postgres_apps: Deployment
) -> None:
    _call(case, organisations, "banks")
