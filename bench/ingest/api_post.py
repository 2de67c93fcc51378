"""The businesses service's ingest path alone: how many ``POST /v1/demands`` (and polls of
``GET /v1/demands/{id}/matches``) its API answers, and the CPU each costs.

From the repository root, with the project's virtual environment::

    .venv/bin/python -m bench.ingest.api_post
    .venv/bin/python -m bench.ingest.api_post --clients 32 --seconds 15 --rates 100,200,400

The service runs as in production (``python -m services.businesses serve``, ``relay`` and
``consume`` on one SQLite file, started by ``bench.matching.end_to_end.businesses_service``)
against a broker of its own from ``deploy/kafka`` on a free port (or ``KAFKA_BOOTSTRAP_SERVERS``).
No matching worker runs: the matches the GETs read are published to the broker by this
benchmark (ten per demand, as the worker makes them) and stored by the service's consumer.

Phases, each printed as it ends:

- warm-up: ``--warmup`` POSTs, not counted;
- saturation: ``--clients`` connections in a closed loop (each sends its next POST as soon as
  the previous one is answered) for ``--seconds``: POSTs answered per second, their latency,
  and the CPU milliseconds per POST of the API, the relay (until the outbox is empty), the
  consumer and the load generator itself;
- fixed rates: POSTs sent at each of ``--rates`` per second for ``--seconds`` (open loop, the
  latency of each counted from when it was due, so a stalled server is not hidden);
- GET: the same closed loop on ``GET /v1/demands/{id}/matches`` of demands with ten matches.

The load generator is a minimal HTTP/1.1 client on asyncio streams (keep-alive, one request in
flight per connection), far cheaper per request than a full client library, so on a 2-core
machine most of the CPU goes to the service. Its own CPU per request is printed too. Every
POST carries a new ``Idempotency-Key`` as real clients do. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kafka import KafkaProducer

from bench.broker import broker
from bench.http_client import Connection
from bench.matching import synthetic
from bench.matching.end_to_end import (
    businesses_service,
    cpu_seconds,
    demand_body,
    load,
    service_pids,
)
from bench.matching.machine import describe
from shared.contract.envelope import encode, wrap
from shared.contract.events import SourcingMatchFound
from shared.contract.values import Reason
from shared.kafka.admin import ensure_topics
from shared.settings import KafkaSettings
from shared.topics import SOURCING_MATCHES

REASONS = [
    Reason(code="product_fit", en="Grows the product they buy", vi="Trồng đúng sản phẩm cần mua"),
    Reason(code="capacity_fits", en="Capacity covers the quantity", vi="Đủ sản lượng"),
    Reason(code="near", en="Close to the delivery place", vi="Gần nơi giao hàng"),
]
MATCHES_PER_DEMAND = 10


# --- the service's processes ------------------------------------------------------------------


@dataclass
class Clock:
    """CPU seconds of the service's processes and of this one, and wall time, since start."""

    pids: dict[str, int]
    start_cpu: dict[str, float] = field(default_factory=dict)
    start_wall: float = 0.0

    def _now(self) -> dict[str, float]:
        now = {role: cpu_seconds(pid) for role, pid in self.pids.items()}
        now["load generator"] = time.process_time()
        return now

    def start(self) -> None:
        self.start_cpu, self.start_wall = self._now(), time.monotonic()

    def cpu(self) -> dict[str, float]:
        now = self._now()
        return {role: now[role] - self.start_cpu[role] for role in now}


def unsent(database: Path) -> int:
    with sqlite3.connect(database, timeout=30) as connection:
        found = connection.execute(
            "SELECT count(*) FROM businesses_outbox WHERE sent_at IS NULL"
        ).fetchone()
    return int(found[0])


def wait_relayed(database: Path, give_up: float = 120) -> float:
    start = time.monotonic()
    while unsent(database) and time.monotonic() - start < give_up:
        time.sleep(0.05)
    return time.monotonic() - start


def files_size(state: Path) -> int:
    return sum(path.stat().st_size for path in state.glob("businesses.sqlite3*"))


def percentiles(latencies: Sequence[float]) -> str:
    if not latencies:
        return "no answers"
    ordered = sorted(latencies)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] * 1000

    return f"p50 {at(50):.1f} ms, p99 {at(99):.1f} ms, max {ordered[-1] * 1000:.0f} ms"


def cpu_report(cpu: dict[str, float], count: int) -> str:
    return (
        ", ".join(f"{role} {cpu[role] / count * 1000:.2f}" for role in cpu) + " ms CPU per request"
    )


# --- the load ---------------------------------------------------------------------------------


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    failures: dict[int, int] = field(default_factory=dict)
    created: list[tuple[str, str]] = field(default_factory=list)  # demand id, business id

    def answered(self, status: int, body: bytes, expected: int, latency: float) -> None:
        if status == expected:
            self.latencies.append(latency)
            if status == 201:
                answer = json.loads(body)
                self.created.append((answer["demand_id"], answer["business_id"]))
        else:
            self.failures[status] = self.failures.get(status, 0) + 1

    def failed(self) -> str:
        return f"; failures by status: {self.failures}" if self.failures else ""


def poster(bodies: Sequence[bytes]) -> Callable[[Connection, int], object]:
    def post(connection: Connection, number: int) -> object:
        key = f"Idempotency-Key: {uuid.uuid4().hex}\r\n"
        return connection.request("POST", "/v1/demands", bodies[number % len(bodies)], key)

    return post


def getter(demand_ids: Sequence[str]) -> Callable[[Connection, int], object]:
    def get(connection: Connection, number: int) -> object:
        demand_id = demand_ids[number % len(demand_ids)]
        return connection.request("GET", f"/v1/demands/{demand_id}/matches")

    return get


async def closed_loop(
    host: str,
    port: int,
    token: str,
    send: Callable[[Connection, int], object],
    expected: int,
    clients: int,
    seconds: float,
    count: int | None = None,
) -> tuple[Run, float]:
    """``clients`` connections, each sending as soon as answered, for ``seconds`` (or until
    ``count`` requests in all); returns the run and its wall time."""
    run = Run()
    numbers = iter(range(count if count is not None else 1 << 62))
    deadline = time.monotonic() + seconds

    async def client() -> None:
        connection = Connection(host, port, token)
        try:
            for number in numbers:
                if time.monotonic() > deadline:
                    break
                sent = time.monotonic()
                status, body = await send(connection, number)  # type: ignore[misc]
                run.answered(status, body, expected, time.monotonic() - sent)
        finally:
            await connection.close()

    start = time.monotonic()
    await asyncio.gather(*(client() for _ in range(clients)))
    return run, time.monotonic() - start


async def open_loop(
    host: str,
    port: int,
    token: str,
    send: Callable[[Connection, int], object],
    expected: int,
    rate: float,
    seconds: float,
) -> Run:
    """Requests due at ``rate`` a second; each goes out on an idle connection (a new one when
    all are busy); its latency counts from when it was due."""
    run = Run()
    idle: list[Connection] = []
    opened: list[Connection] = []

    async def one(number: int, due: float) -> None:
        if idle:
            connection = idle.pop()
        else:
            connection = Connection(host, port, token)
            opened.append(connection)
        status, body = await send(connection, number)  # type: ignore[misc]
        run.answered(status, body, expected, time.monotonic() - due)
        idle.append(connection)

    tasks = []
    start = time.monotonic()
    for number in range(int(rate * seconds)):
        due = start + number / rate
        wait = due - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.ensure_future(one(number, due)))
    await asyncio.gather(*tasks)
    for connection in opened:
        await connection.close()
    return run


def publish_matches(servers: str, demands: Sequence[tuple[str, str]]) -> None:
    """Ten matches for each demand, as the matching worker would publish them."""
    producer = KafkaProducer(bootstrap_servers=servers, acks="all", linger_ms=20)
    for demand_id, business_id in demands:
        for n in range(MATCHES_PER_DEMAND):
            found = SourcingMatchFound(
                match_id=f"m-{demand_id}-{n}",
                demand_id=demand_id,
                business_id=business_id,
                cooperative_id=f"coop-{n:04d}",
                product_id=f"prod-{n % 3}",
                score=round(0.95 - n / 50, 6),
                components={"product": 0.9, "capacity": 1.0, "distance": 0.7, "certificates": 0.5},
                reasons=REASONS,
                model_version="bench-1",
            )
            value = encode(SOURCING_MATCHES.name, wrap(found, producer="bench"))
            producer.send(SOURCING_MATCHES.name, key=found.match_id.encode(), value=value)
    producer.flush(timeout=120)
    producer.close()


async def wait_readable(host: str, port: int, token: str, demand_id: str) -> None:
    connection = Connection(host, port, token)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            status, body = await connection.request("GET", f"/v1/demands/{demand_id}/matches")
            if status == 200 and len(json.loads(body)) == MATCHES_PER_DEMAND:
                return
            await asyncio.sleep(0.2)
    finally:
        await connection.close()
    raise RuntimeError("the consumer did not store the published matches in 120 s")


# --- the run --------------------------------------------------------------------------------


async def measure(
    url: str, token: str, servers: str, state: Path, options: argparse.Namespace
) -> None:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    address = (host, int(port), token)
    database = state / "businesses.sqlite3"
    pids = service_pids()
    if set(pids) != {"serve", "relay", "consume"}:
        raise RuntimeError(f"expected the service's three processes, found {pids}")
    bodies = [
        json.dumps(demand_body(demand)).encode()
        for demand in synthetic.demands(options.bodies, seed=11, prefix="bench")
    ]
    post = poster(bodies)
    clock = Clock(pids)

    run, _ = await closed_loop(*address, post, 201, options.clients, 600, count=options.warmup)
    wait_relayed(database)
    print(f"warm-up: {options.warmup:,} POSTs{run.failed()}", flush=True)

    clock.start()
    run, elapsed = await closed_loop(*address, post, 201, options.clients, options.seconds)
    posted = len(run.latencies)
    drained = wait_relayed(database)
    cpu = clock.cpu()
    print(
        f"saturation, {options.clients} clients, {elapsed:.1f} s: "
        f"{posted / elapsed:,.0f} POSTs/s ({posted:,} created), {percentiles(run.latencies)}; "
        f"outbox empty {drained:.1f} s after the last answer{run.failed()}\n"
        f"  {cpu_report(cpu, posted)}",
        flush=True,
    )
    created = run.created

    for rate in options.rates:
        clock.start()
        run = await open_loop(*address, post, 201, rate, options.seconds)
        drained = wait_relayed(database)
        cpu = clock.cpu()
        count = max(1, len(run.latencies))
        print(
            f"{rate:,.0f} POSTs/s for {options.seconds:.0f} s: {percentiles(run.latencies)}; "
            f"outbox empty {drained:.1f} s after{run.failed()}\n  {cpu_report(cpu, count)}",
            flush=True,
        )

    sample = created[: options.get_demands]
    if not sample:
        return
    publish_matches(servers, sample)
    await wait_readable(*address, sample[-1][0])
    await asyncio.sleep(1)
    clock.start()
    run, elapsed = await closed_loop(
        *address, getter([d for d, _ in sample]), 200, options.clients, options.seconds
    )
    cpu = clock.cpu()
    got = max(1, len(run.latencies))
    print(
        f"GET matches (10 each), {options.clients} clients, {elapsed:.1f} s: "
        f"{got / elapsed:,.0f} GETs/s, {percentiles(run.latencies)}{run.failed()}\n"
        f"  {cpu_report(cpu, got)}",
        flush=True,
    )
    with sqlite3.connect(database) as connection:
        demands = connection.execute("SELECT count(*) FROM businesses_demands").fetchone()[0]
        outbox = connection.execute("SELECT count(*) FROM businesses_outbox").fetchone()[0]
    size = files_size(state)
    print(
        f"data: {demands:,} demands, {outbox:,} outbox rows, "
        f"{len(sample) * MATCHES_PER_DEMAND:,} matches; SQLite files {size / 1e6:.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16, help="connections in the closed loops")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--bodies", type=int, default=500, help="distinct demand bodies")
    parser.add_argument(
        "--get-demands", type=int, default=200, help="demands the GETs read (0: no GET phase)"
    )
    parser.add_argument(
        "--rates",
        type=lambda text: [float(r) for r in text.split(",") if r],
        default=[100.0, 200.0, 400.0],
    )
    options = parser.parse_args()
    print(describe())
    print(load(), flush=True)
    with tempfile.TemporaryDirectory(prefix="ketnoi-bench-api-") as folder:
        state = Path(folder)
        with broker(state / "broker") as servers:
            ensure_topics(KafkaSettings(bootstrap_servers=servers))
            with businesses_service(servers, state) as (url, token):
                asyncio.run(measure(url, token, servers, state, options))


if __name__ == "__main__":
    main()
