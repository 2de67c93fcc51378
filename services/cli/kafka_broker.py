"""The local broker, through ``deploy/kafka/kafka.sh`` (the one place that knows how to run it)."""

from __future__ import annotations

import subprocess

from shared.settings import REPO_ROOT

KAFKA_SCRIPT = REPO_ROOT / "deploy" / "kafka" / "kafka.sh"


def run(*args: str, check: bool = True) -> int:
    """Run a kafka.sh subcommand with its output on our terminal; returns its exit code."""
    completed = subprocess.run(["bash", str(KAFKA_SCRIPT), *args], check=False)
    if check and completed.returncode != 0:
        raise SystemExit(completed.returncode)
    return completed.returncode
