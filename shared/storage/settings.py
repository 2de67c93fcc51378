"""Which database a service uses: its own URL, the shared one, or a SQLite file of its own."""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import StateSettings


class SharedDatabaseSettings(BaseSettings):
    """``DATABASE_URL``: one database for every service that names none of its own."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str | None = None


class SqliteSettings(BaseSettings):
    """``KETNOI_SQLITE_SYNCHRONOUS``: how hard SQLite pushes each commit to the disk.

    ``FULL`` (the default) syncs the write-ahead log at every commit: an answered write
    survives a crash of the process and of the machine (power loss). ``NORMAL`` syncs only at
    checkpoints: a commit costs about 20 times less on this project's machines (0.3 ms -> 15
    us), a process crash still loses nothing, the database is never corrupted, but a power
    loss or an OS crash may undo the last commits, which clients were told had succeeded
    (and whose outbox events were perhaps already published). Choose ``NORMAL`` only where
    that is acceptable, or where the disk's cache survives power loss.
    """

    model_config = SettingsConfigDict(env_prefix="KETNOI_SQLITE_", extra="ignore")

    synchronous: Literal["FULL", "NORMAL", "EXTRA"] = "FULL"


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
