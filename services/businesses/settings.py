"""``BUSINESSES_HOST``, ``BUSINESSES_PORT`` (8002), ``BUSINESSES_DATABASE_URL``."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.web.settings import ServiceSettings


class BusinessesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BUSINESSES_", extra="ignore")

    service_name: str = "businesses"
    port: int = 8002
