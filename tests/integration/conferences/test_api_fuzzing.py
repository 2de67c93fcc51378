"""schemathesis against the conferences API (SQLite): whatever a client sends that the OpenAPI
document allows (and much that it does not), no answer is a 5xx, and every answer matches its
documented status, content type and schema."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from schemathesis import Case, checks
from schemathesis.openapi import from_dict

from services.conferences.service import SPEC
from shared.identity.model import Role
from shared.identity.settings import IdentitySettings
from shared.web.app import openapi_document
from tests.unit.conferences import scoring_events as ev
from tests.unit.conferences.service_harness import CONFERENCE, Organisations, serve

FUZZ = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,  # the same cases every run: a failure here is reproducible
    suppress_health_check=list(HealthCheck),
)


@dataclass
class PluggedApp:
    """An ASGI app that forwards to whichever app the fixture plugs in."""

    target: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.target is None:
            raise RuntimeError("no app plugged in: use the plugged_app fixture")
        await self.target(scope, receive, send)


APP = PluggedApp()
schema = from_dict(openapi_document(SPEC))
schema.app = APP


@pytest.fixture(scope="module")
def plugged_app(
    tmp_path_factory: pytest.TempPathFactory,
    conference_identity: IdentitySettings,
    orgs: Organisations,
) -> Iterator[str]:
    """The app, and a conference with participants for the cases to reach."""
    folder: Path = tmp_path_factory.mktemp("conferences-fuzz")
    for running in serve(folder, conference_identity, max_time_limit_seconds=5):
        running.feed(
            ev.envelope(ev.cooperative("coop-a", "org-a", "HTX Sen Thủy")),
            ev.envelope(ev.match("m-a", "coop-a", "org-biz", 0.9)),
            ev.envelope(ev.lead("l-a", "coop-a", "org-bank", 0.7)),
        )
        headers = orgs.headers(orgs.new(Role.ORGANISER))
        made = running.client.post("/v1/conferences", json=CONFERENCE, headers=headers)
        conference_id: str = made.json()["conference_id"]
        running.client.post(
            f"/v1/conferences/{conference_id}/participants",
            json={"select": {}},
            headers=headers,
        )
        APP.target = running.client.app
        try:
            yield conference_id
        finally:
            APP.target = None


# The service checks what OpenAPI cannot say (slots in order, ids it knows, text not blank once
# trimmed), so schema-valid data may be refused: the data-acceptance checks do not apply.
NOT_APPLICABLE = [checks.positive_data_acceptance, checks.negative_data_rejection]


@schema.parametrize()
@FUZZ
def test_conferences_api_answers_within_its_contract(
    case: Case, orgs: Organisations, plugged_app: str
) -> None:
    # Random ids would only ever find nothing: aim at a conference that exists.
    if case.path_parameters and "conference_id" in case.path_parameters:
        case.path_parameters["conference_id"] = plugged_app
    caller = orgs.new(Role.ORGANISER)
    case.call_and_validate(
        headers={"Authorization": f"Bearer {orgs.token(caller)}"}, excluded_checks=NOT_APPLICABLE
    )
