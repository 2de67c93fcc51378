"""Which database a service uses: its own URL, the shared one, or a SQLite file of its own."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import StateSettings


class SharedDatabaseSettings(BaseSettings):
    """``DATABASE_URL``: one database for every service that names none of its own."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str | None = None


def database_url_for(service: str, own_url: str | None) -> str:
    """``<SERVICE>_DATABASE_URL``, else ``DATABASE_URL``, else ``<state>/<service>.sqlite3``."""
    if own_url:
        return own_url
    shared = SharedDatabaseSettings().database_url
    if shared:
        return shared
    state_dir = StateSettings().state_dir
    state_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{state_dir / f'{service}.sqlite3'}"
