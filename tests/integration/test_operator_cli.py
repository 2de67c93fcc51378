"""The README's run path: ``ketnoi up`` starts Kafka, topics and workers; ``down`` stops all.

It runs the real command line on a broker of its own (other ports, other state directory), so
it neither touches the test session's broker nor a developer's running system.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from kafka import KafkaAdminClient

from shared.settings import REPO_ROOT
from shared.topics import ALL_TOPICS

pytestmark = pytest.mark.kafka

PORT = int(os.environ.get("KETNOI_TEST_CLI_KAFKA_PORT", "29092"))


def ketnoi(
    env: dict[str, str], *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def java_pids_under(state_dir: Path) -> list[str]:
    found = subprocess.run(
        ["pgrep", "-f", str(state_dir)], capture_output=True, text=True, check=False
    )
    return found.stdout.split()


def test_up_starts_broker_topics_and_workers_and_down_leaves_nothing(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "KETNOI_STATE_DIR": str(tmp_path),
        "KAFKA_PORT": str(PORT),
        "KAFKA_CONTROLLER_PORT": str(PORT + 1),
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{PORT}",
    }
    try:
        up = ketnoi(env, "up")
        assert up.returncode == 0, up.stdout + up.stderr
        assert "smoke: 20 of 20 pings answered" in up.stdout
        assert "smoke-worker" in up.stdout

        admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{PORT}")
        try:
            assert {topic.name for topic in ALL_TOPICS} <= set(admin.list_topics())
        finally:
            admin.close()

        again = ketnoi(env, "up", "--no-smoke")
        assert again.returncode == 0, "a second up must be harmless: " + again.stdout + again.stderr
    finally:
        down = ketnoi(env, "down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert java_pids_under(tmp_path) == []
    assert list((tmp_path / "run").glob("*.pid")) == []
