"""The running system, declared as data: every process ``ketnoi up`` starts, in order.

A later service adds one ``Process`` here. Each runs as its own OS process, as it would on
its own host; ``ketnoi up`` is the single-machine way to run them together.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Process:
    name: str
    argv: tuple[str, ...]
    description: str
    port_env: str | None = None  # environment variable holding its HTTP port, if it serves HTTP
    default_port: int | None = None
    health_path: str = "/healthz"
    consumer_group: str | None = None  # a Kafka worker is healthy once its group is serving
    env: dict[str, str] = field(default_factory=dict)

    @property
    def serves_http(self) -> bool:
        return self.port_env is not None


def python_module(module: str, *args: str) -> tuple[str, ...]:
    return (sys.executable, "-m", module, *args)


PROCESSES: tuple[Process, ...] = (
    Process(
        name="smoke-worker",
        argv=python_module("services.smoke", "worker", "--loglevel", "info"),
        description="faust-streaming worker answering SmokePing with SmokePong",
        consumer_group="ketnoi-smoke",
    ),
)
