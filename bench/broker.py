"""A Kafka broker for a benchmark: the one ``KAFKA_BOOTSTRAP_SERVERS`` names, or a fresh
single-node broker of its own from ``deploy/kafka`` on free ports, stopped afterwards."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shared.settings import REPO_ROOT

KAFKA_SCRIPT = REPO_ROOT / "deploy" / "kafka" / "kafka.sh"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def broker(state: Path) -> Iterator[str]:
    """Bootstrap servers: ``KAFKA_BOOTSTRAP_SERVERS``, or a fresh broker with state in ``state``."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield external
        return
    port = free_port()
    env = {
        **os.environ,
        "KETNOI_STATE_DIR": str(state),
        "KAFKA_PORT": str(port),
        "KAFKA_CONTROLLER_PORT": str(free_port()),
    }
    subprocess.run(["bash", str(KAFKA_SCRIPT), "start"], env=env, check=True)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run(["bash", str(KAFKA_SCRIPT), "stop"], env=env, check=False)


def broker_pid(state: Path) -> int | None:
    """The pid of the broker ``broker(state)`` started (None for an external one), to read its
    CPU time: ``deploy/kafka/kafka.sh`` keeps it in the state folder."""
    try:
        return int((state / "kafka" / "kafka.pid").read_text().strip())
    except (OSError, ValueError):
        return None
