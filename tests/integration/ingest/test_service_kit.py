"""What every service gets from the kit: health, the error format for routing errors, and a clear
answer while the organiser's public key is missing."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from services.cooperatives.service import SPEC, create_app
from shared.identity.model import Role
from shared.identity.settings import IdentitySettings
from tests.integration.ingest.harness import Deployment, Organisations, assert_error


def test_health_answers_with_the_service_name(deployment: Deployment) -> None:
    for name, service in deployment.services.items():
        response = service.client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "service": name}


def test_an_unknown_path_and_a_wrong_method_answer_in_the_error_format(
    deployment: Deployment, organisations: Organisations
) -> None:
    client = deployment.cooperatives.client
    assert_error(client.get("/v1/hop-tac-xa"), 404, "not_found")
    wrong = client.delete("/v1/cooperatives", headers=organisations.headers(
        organisations.new(Role.COOPERATIVE)))  # fmt: skip
    assert_error(wrong, 405, "method_not_allowed")
    assert wrong.headers["Allow"] == "GET, POST"


def test_without_the_public_key_requests_are_refused_with_503_not_let_through(
    deployment: Deployment, organisations: Organisations, tmp_path: Path
) -> None:
    settings = SPEC.settings_class(
        service_name=SPEC.name,
        database_url="sqlite://",
        identity=IdentitySettings(
            public_key_file=tmp_path / "absent.pub.pem", private_key_file=tmp_path / "absent.pem"
        ),
    )
    client = TestClient(create_app(settings, deployment.cooperatives.database))
    response = client.get(
        "/v1/cooperatives", headers=organisations.headers(organisations.new(Role.ORGANISER))
    )
    error = assert_error(response, 503, "identity_not_configured")
    assert "ketnoi org init" in error["message"]
