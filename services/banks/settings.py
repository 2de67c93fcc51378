"""``BANKS_HOST``, ``BANKS_PORT`` (8003), ``BANKS_DATABASE_URL``."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.web.settings import ServiceSettings


class BanksSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BANKS_", extra="ignore")

    service_name: str = "banks"
    port: int = 8003
