"""docker-compose.yml is checked here, since no Docker engine runs on these machines."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import jsonschema
import pytest
import yaml

from services.cli.topology import PROCESSES
from shared.settings import REPO_ROOT


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    return document


def jobs(compose: dict[str, Any]) -> set[str]:
    """One-shot services: others wait for them to finish, not to be healthy."""
    return {
        name
        for service in compose["services"].values()
        for name, condition in service.get("depends_on", {}).items()
        if condition.get("condition") == "service_completed_successfully"
    }


def test_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    schema_file = files("check_jsonschema") / "builtin_schemas/vendor/compose-spec.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    jsonschema.validate(compose, schema)


def test_every_service_has_an_image_or_a_build_context_in_the_repo(
    compose: dict[str, Any],
) -> None:
    for name, service in compose["services"].items():
        build = service.get("build")
        if build is None:
            assert service.get("image"), f"{name} has neither image nor build"
            continue
        context = build if isinstance(build, str) else build.get("context", ".")
        dockerfile = (
            "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        )
        assert (REPO_ROOT / context / dockerfile).is_file(), f"{name}: no {context}/{dockerfile}"


def test_every_long_running_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    one_shot = jobs(compose)
    for name, service in compose["services"].items():
        if name in one_shot:
            assert service.get("restart") == "no", f"job {name} must not be restarted"
            continue
        assert "test" in service.get("healthcheck", {}), f"{name} has no healthcheck"


def test_dependencies_wait_for_health_or_completion(compose: dict[str, Any]) -> None:
    one_shot = jobs(compose)
    for name, service in compose["services"].items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for dependency, condition in depends_on.items():
            assert dependency in compose["services"], f"{name} depends on unknown {dependency}"
            expected = (
                "service_completed_successfully" if dependency in one_shot else "service_healthy"
            )
            assert condition.get("condition") == expected, f"{name} -> {dependency}"


def test_every_process_of_the_system_runs_in_compose(compose: dict[str, Any]) -> None:
    missing = {process.name for process in PROCESSES} - set(compose["services"])
    assert not missing, f"in services/cli/topology.py but not in docker-compose.yml: {missing}"
