"""``COOPERATIVES_HOST``, ``COOPERATIVES_PORT`` (8001), ``COOPERATIVES_DATABASE_URL``."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.web.settings import ServiceSettings


class CooperativesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="COOPERATIVES_", extra="ignore")

    service_name: str = "cooperatives"
    port: int = 8001
