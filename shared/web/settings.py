"""A service's settings, from the environment under the service's own prefix.

``COOPERATIVES_PORT``, ``COOPERATIVES_HOST``, ``COOPERATIVES_DATABASE_URL`` (else
``DATABASE_URL``, else a SQLite file in the state directory), ``COOPERATIVES_WORKERS`` (API
processes answering on the port, 1), and the same for the others.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.identity.settings import IdentitySettings
from shared.storage.settings import database_url_for


class ServiceSettings(BaseSettings):
    """Each service subclasses this with its ``env_prefix`` and default port."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str = Field(default="service", exclude=True)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    database_url: str | None = Field(default=None, description="else DATABASE_URL, else SQLite")
    log_level: str = "info"
    # More than one: uvicorn's processes share the port (one per core is the usual count); meant
    # for PostgreSQL, where their writes do not wait on one file's lock.
    workers: int = Field(default=1, ge=1, le=64)
    identity: IdentitySettings = Field(default_factory=IdentitySettings)

    @property
    def base_url(self) -> str:
        """Where clients on this machine reach the service."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"

    def resolved_database_url(self) -> str:
        return database_url_for(self.service_name, self.database_url)
