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


def http_service(
    name: str, port: int, what: str, consumer_group: str, reads: str
) -> tuple[Process, ...]:
    """A service's three processes: its HTTP API (which migrates its tables first), the relay
    that publishes its outbox to Kafka, and the consumer that keeps its read models."""
    module = f"services.{name}"
    return (
        Process(
            name=f"{name}-api",
            argv=python_module(module, "serve"),
            description=f"HTTP API: {what}",
            port_env=f"{name.upper()}_PORT",
            default_port=port,
        ),
        Process(
            name=f"{name}-relay",
            argv=python_module(module, "relay"),
            description=f"publishes the {name} outbox to Kafka (one per SQLite database)",
        ),
        Process(
            name=f"{name}-consumer",
            argv=python_module(module, "consume"),
            description=f"stores {reads} for the read endpoints",
            consumer_group=consumer_group,
        ),
    )


PROCESSES: tuple[Process, ...] = (
    Process(
        name="smoke-worker",
        argv=python_module("services.smoke", "worker", "--loglevel", "info"),
        description="faust-streaming worker answering SmokePing with SmokePong",
        consumer_group="ketnoi-smoke",
    ),
    Process(
        name="matching-worker",
        # No faust web server: its health is the consumer group's (ketnoi health worker).
        argv=python_module("services.matching", "worker", "--without-web", "--loglevel", "info"),
        description="faust-streaming worker: sourcing matches and loan leads, with retractions",
        consumer_group="ketnoi-matching",
    ),
    *http_service(
        "cooperatives",
        8001,
        "cooperatives' profiles, products and credit needs",
        "ketnoi-cooperatives-read-models",
        "sourcing matches and the demands they name",
    ),
    *http_service(
        "businesses",
        8002,
        "enterprises' sourcing demands",
        "ketnoi-businesses-read-models",
        "sourcing matches and the cooperatives they name",
    ),
    *http_service(
        "banks",
        8003,
        "loan products and decisions on leads",
        "ketnoi-banks-read-models",
        "loan leads and the cooperatives and credit needs they name",
    ),
    # Linkage conferences: pairing jobs run inside the API process (one solve at a time).
    *http_service(
        "conferences",
        8004,
        "linkage conferences: invitations, pairing jobs, schedules, agendas, outcomes",
        "ketnoi-conferences-read-models",
        "candidate pairs (matches and leads) and the cooperatives directory",
    ),
)
