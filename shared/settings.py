"""Settings read from the environment (pydantic-settings), one class per concern."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class KafkaSettings(BaseSettings):
    """Where the broker is and how topics are laid out.

    ``KAFKA_BOOTSTRAP_SERVERS`` points every producer, consumer and admin step at a broker.
    """

    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore")

    bootstrap_servers: str = "127.0.0.1:9092"
    # Partitions are the unit of scaling: a consumer group splits them between its workers.
    topic_partitions: int = Field(default=3, ge=1)
    replication_factor: int = Field(default=1, ge=1)


class StateSettings(BaseSettings):
    """Where local state (broker data, SQLite files, logs, pid files) is kept."""

    model_config = SettingsConfigDict(env_prefix="KETNOI_", extra="ignore")

    state_dir: Path = REPO_ROOT / ".state"
