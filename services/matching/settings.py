"""The matching worker's settings, from the environment (``KETNOI_`` prefix).

- ``KETNOI_MATCHING_APP_ID`` (``ketnoi-matching``): faust app id, the workers' consumer group;
- ``KETNOI_MODELS_DIR`` (``<state dir>/models``): trained models, written by ``ketnoi train``;
- ``KETNOI_FEEDBACK_FILE`` (``<state dir>/matching/feedback.jsonl``): this worker's examples;
- ``KETNOI_MATCHING_BATCH`` (500): most demand events the agent applies at once;
- ``KETNOI_MATCHING_WINDOW_MS`` (5): how long a batch waits to fill;
- ``KETNOI_MODELS_CHECK_SECONDS`` (30): how often the worker looks for a newer model;
- ``KETNOI_MATCHING_SESSION_TIMEOUT_SECONDS`` (30): a silent worker leaves the group after;
- ``KETNOI_MATCHING_FULL_COLLECTION_SECONDS`` (3600): how often the worker looks for garbage
  cycles in its whole heap (``shared/collector.FreezingCollector``; a pause of its own, logged);
- ``KETNOI_MATCHING_SEND_TIMEOUT_SECONDS`` (40): how long a round's records wait for the
  broker before the send fails and the worker publishes again from what the topics hold.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import StateSettings


class MatchingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KETNOI_", extra="ignore")

    state_dir: Path = Field(default_factory=lambda: StateSettings().state_dir)
    matching_app_id: str = "ketnoi-matching"
    models_dir: Path | None = None
    feedback_file: Path | None = None
    matching_batch: int = Field(default=500, ge=1)
    matching_window_ms: int = Field(default=5, ge=1)
    models_check_seconds: float = Field(default=30.0, gt=0)
    # How soon the group notices a worker that died without leaving (SIGKILL, lost host);
    # the broker accepts 6 s and more.
    matching_session_timeout_seconds: float = Field(default=30.0, ge=6)
    # Between these, only what the last rounds kept is scanned for garbage cycles.
    matching_full_collection_seconds: float = Field(default=3600.0, gt=0)
    # aiokafka's request timeout (its default): a broker away for longer fails the send.
    matching_send_timeout_seconds: float = Field(default=40.0, gt=0)

    @property
    def models_path(self) -> Path:
        return self.models_dir or self.state_dir / "models"

    @property
    def feedback_path(self) -> Path:
        return self.feedback_file or self.state_dir / "matching" / "feedback.jsonl"

    @property
    def faust_dir(self) -> Path:
        """faust's own data directory (kept out of the working directory)."""
        return self.state_dir / "matching" / "faust"
