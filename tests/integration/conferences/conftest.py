"""Fixtures of the conferences service's API tests: a key pair, organisations with tokens,
and the service on a SQLite file of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.identity.settings import IdentitySettings
from tests.unit.conferences.service_harness import Organisations, Running, identity, serve


@pytest.fixture(scope="session")
def conference_identity(tmp_path_factory: pytest.TempPathFactory) -> IdentitySettings:
    return identity(tmp_path_factory.mktemp("conference-identity"))


@pytest.fixture(scope="session")
def orgs(conference_identity: IdentitySettings) -> Organisations:
    return Organisations.of(conference_identity)


@pytest.fixture
def service(tmp_path: Path, conference_identity: IdentitySettings) -> Iterator[Running]:
    yield from serve(tmp_path, conference_identity, max_time_limit_seconds=60)
