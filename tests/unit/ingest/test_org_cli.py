"""``ketnoi org``: an organisation and a token the services accept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli.main import app
from shared.identity.keys import load_public_key
from shared.identity.model import Caller, Role
from shared.identity.tokens import TokenVerifier


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KETNOI_STATE_DIR", str(tmp_path))
    return tmp_path


def _verifier(state: Path) -> TokenVerifier:
    key = load_public_key(state / "identity" / "organiser-ed25519.pub.pem")
    return TokenVerifier(key, "ketnoi-organiser", "ketnoi")


def test_an_organisation_is_created_with_a_token_services_accept(state: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["org", "create", "--name", "Agribank Quảng Bình", "--role", "bank", "--id", "org-agri",
         "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert _verifier(state).verify(created["token"]) == Caller(
        "org-agri", Role.BANK, "Agribank Quảng Bình"
    )

    listed = runner.invoke(app, ["org", "list"])
    assert "org-agri" in listed.output
    again = runner.invoke(app, ["org", "token", "org-agri"])
    assert _verifier(state).verify(again.output.strip()).role is Role.BANK


def test_an_id_cannot_change_its_role(state: Path) -> None:
    runner = CliRunner()
    first = ["org", "create", "--name", "HTX A", "--role", "cooperative", "--id", "org-a"]
    assert runner.invoke(app, first).exit_code == 0
    clash = runner.invoke(
        app, ["org", "create", "--name", "HTX A", "--role", "organiser", "--id", "org-a"]
    )
    assert clash.exit_code == 2
    assert "exists as cooperative" in clash.output
