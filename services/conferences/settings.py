"""``CONFERENCES_HOST``, ``CONFERENCES_PORT`` (8004), ``CONFERENCES_DATABASE_URL``, and the
limits of pairing jobs."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.web.settings import ServiceSettings


class ConferencesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONFERENCES_", extra="ignore")

    service_name: str = "conferences"
    port: int = 8004
    # An organiser may ask for less, never for more: a solve holds both cores meanwhile.
    max_time_limit_seconds: float = Field(default=300.0, gt=0, le=3600)
    # Solves run one after another in the API process; more would share the two cores.
    concurrent_solves: int = Field(default=1, ge=1, le=8)
    solver_workers: int = Field(default=2, ge=1, le=64)
    # How often a running job writes its progress, at most (each write is a transaction).
    progress_interval_seconds: float = Field(default=0.5, gt=0, le=60)
    # A job not finished this long after its time limit is shown as failed ("overdue"): its
    # process stopped, or the solver ignored its limit. Organisers may then start another.
    overdue_after_seconds: float = Field(default=120.0, gt=0)
    # A queued job that has not started after this long is shown as overdue too.
    queue_timeout_seconds: float = Field(default=1800.0, gt=0)
