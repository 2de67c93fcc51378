"""Where the organiser's key pair lives (``KETNOI_IDENTITY_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import StateSettings


def _identity_dir() -> Path:
    return StateSettings().state_dir / "identity"


class IdentitySettings(BaseSettings):
    """Services need only the public key; the private key stays with the organiser's CLI."""

    model_config = SettingsConfigDict(env_prefix="KETNOI_IDENTITY_", extra="ignore")

    public_key_file: Path = Field(
        default_factory=lambda: _identity_dir() / "organiser-ed25519.pub.pem"
    )
    private_key_file: Path = Field(
        default_factory=lambda: _identity_dir() / "organiser-ed25519.pem"
    )
    issuer: str = "ketnoi-organiser"
    audience: str = "ketnoi"
