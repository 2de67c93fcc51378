"""Fixtures of the ingest services' tests: keys, tokens, and the three services on SQLite and
on PostgreSQL (one database shared by the three, as their table prefixes allow)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.banks.service import SPEC as BANKS
from services.businesses.service import SPEC as BUSINESSES
from services.cooperatives.service import SPEC as COOPERATIVES
from shared.identity.keys import create_key_pair, load_private_key
from shared.identity.settings import IdentitySettings
from shared.identity.tokens import TokenIssuer
from tests.integration.ingest.harness import Deployment, Organisations, deploy

SERVICE_NAMES = (COOPERATIVES.name, BUSINESSES.name, BANKS.name)


@pytest.fixture(scope="session")
def identity_settings(tmp_path_factory: pytest.TempPathFactory) -> IdentitySettings:
    folder: Path = tmp_path_factory.mktemp("identity")
    settings = IdentitySettings(
        public_key_file=folder / "organiser.pub.pem", private_key_file=folder / "organiser.pem"
    )
    create_key_pair(settings.private_key_file, settings.public_key_file)
    return settings


@pytest.fixture(scope="session")
def organisations(identity_settings: IdentitySettings) -> Organisations:
    issuer = TokenIssuer(
        load_private_key(identity_settings.private_key_file),
        identity_settings.issuer,
        identity_settings.audience,
    )
    return Organisations(identity_settings, issuer)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def deployment(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    identity_settings: IdentitySettings,
) -> Iterator[Deployment]:
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("ingest-sqlite")
        urls = {name: f"sqlite:///{folder / name}.sqlite3" for name in SERVICE_NAMES}
    else:
        url: str = request.getfixturevalue("postgres_url")
        urls = dict.fromkeys(SERVICE_NAMES, url)
    running = deploy(request.param, urls, identity_settings)
    try:
        yield running
    finally:
        running.close()
