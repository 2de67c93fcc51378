"""End to end through the real broker: one matching worker process, events in, matches out.

    python -m bench.matching.end_to_end [--cooperatives 5000] [--open-demands 2000]
        [--events 6000] [--rates 250,500,1000] [--seconds 20] [--demand-share 0.5]

A broker of its own is started from ``deploy/kafka`` on a free port (unless
``KAFKA_BOOTSTRAP_SERVERS`` names one), topics are created, and a catalogue of synthetic
cooperatives and open demands is published before the worker starts (it reads them while it
starts, as after a restart). Then, with the worker serving:

- throughput: ``--events`` events published at once, new demands and cooperative profile
  updates mixed (``--demand-share``); measured from the first send until every new demand
  that should get a match has its first ``SourcingMatchFound`` on the output topic;
- latency at fixed rates: for ``--seconds`` at each of ``--rates`` events per second, the same
  mix; for each new demand, the time from its send to its first match read from the output
  topic (one clock: both ends are this process).

- through the API (``--api-rates``): the businesses service runs as in production (its API,
  the relay that publishes its outbox, the consumer that stores matches for its read
  endpoints); demands are POSTed to ``/v1/demands`` at each rate, profile updates published
  beside them, and for a sample of the demands the time from the POST to the first match
  returned by ``GET /v1/demands/{id}/matches`` (polled every ``--api-poll-ms``) is
  measured. The polling is load on the same API: one demand in ten, every 50 ms, keeps it
  under a tenth of the POSTs at the usual latencies. With ``--api-post-share`` below 1, only
  that share of the new demands is POSTed here; the rest are published to Kafka directly, as
  the businesses API's processes on other machines would: the worker, the broker and this
  service's consumer carry the whole rate, this API only its share of the POSTs.

Which demands should get a match is decided by the same engine run in this process on the same
events. The measuring consumer and producer run on the same machine as the broker and the
worker, as in a small deployment. The figures for ``bench/README.md`` are printed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

import httpx
import numpy as np
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from bench.broker import broker, broker_pid, free_port
from bench.http_client import ConnectionPool
from bench.matching import synthetic
from bench.matching.contract_events import cooperative_registered, demand_posted
from bench.matching.machine import describe
from services.matching.domain.engine import MatchingEngine
from services.matching.domain.model import Cooperative, Demand, ProductOffer
from shared.contract import events as contract
from shared.contract.envelope import encode, wrap
from shared.identity.model import Role
from shared.identity.organiser import OrganiserDesk
from shared.identity.settings import IdentitySettings
from shared.kafka.admin import ensure_topics
from shared.settings import REPO_ROOT, KafkaSettings
from shared.topics import COOPERATIVES, DEMANDS, SOURCING_MATCHES

Outgoing = tuple[str, bytes, bytes, str | None]  # topic, key, value, demand id if a new demand


# --- the system under test ------------------------------------------------------------------


@contextmanager
def matching_worker(servers: str, state: Path) -> Iterator[subprocess.Popen[bytes]]:
    log_file = state / "worker.log"
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": servers,
        "KETNOI_STATE_DIR": str(state),
        "KETNOI_MATCHING_APP_ID": f"bench-matching-{uuid.uuid4().hex[:8]}",
    }
    with log_file.open("wb") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "services.matching",
                "worker",
                "--without-web",
                "--loglevel",
                "info",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 600
        while "serving partitions" not in log_file.read_text(errors="replace"):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{log_file.read_text()[-3000:]}")
            time.sleep(0.2)
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()  # never leave a worker behind to skew the next run
            worker.wait(timeout=30)


def load() -> str:
    """The machine's load: figures from a machine busy with other work are worse."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_memory_mib(pid: int) -> float:
    """The process's peak resident memory so far (Linux ``VmHWM``), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- events -----------------------------------------------------------------------------------


def _outgoing(payload: contract.EventPayload, topic: str) -> Outgoing:
    envelope = wrap(payload, "bench")
    demand_id = payload.demand_id if isinstance(payload, contract.SourcingDemandPosted) else None
    return topic, envelope.key.encode(), encode(topic, envelope), demand_id


@dataclass
class Workload:
    """The catalogue published before the worker starts, then streams of new demands and
    profile updates; and which new demands should get a match.

    A profile update here changes capacities only, which never decides whether a demand has a
    match at all (kinds, texts and certificates do), so an engine holding the catalogue alone
    answers that, one demand at a time, without the cost of the open demands."""

    cooperatives: list[Cooperative]
    engine: MatchingEngine = field(default_factory=MatchingEngine)
    serial: int = 0

    def catalogue(self, open_demands: int) -> list[Outgoing]:
        out = [_outgoing(cooperative_registered(c), COOPERATIVES.name) for c in self.cooperatives]
        self.engine.upsert_cooperatives(self.cooperatives)
        demands = [demand_posted(d) for d in synthetic.demands(open_demands, seed=3, prefix="open")]
        return out + [_outgoing(d, DEMANDS.name) for d in demands]

    def stream(self, count: int, demand_share: float, seed: int) -> tuple[list[Outgoing], set[str]]:
        """``count`` events; the new demands among them that should get a match."""
        rng = np.random.default_rng(seed)
        self.serial += 1
        demands = iter(synthetic.demands(count, seed=seed, prefix=f"s{self.serial}"))
        out: list[Outgoing] = []
        matched: set[str] = set()
        for _ in range(count):
            if rng.random() < demand_share:
                posted = next(demands)
                self.engine.upsert_demand(posted)
                if self.engine.matches_for(posted.demand_id):
                    matched.add(posted.demand_id)
                self.engine.close_demand(posted.demand_id)
                out.append(_outgoing(demand_posted(posted), DEMANDS.name))
            else:
                out.append(_outgoing(self._profile_update(rng), COOPERATIVES.name))
        return out, matched

    def _profile_update(self, rng: np.random.Generator) -> contract.CooperativeUpdated:
        """A cooperative's capacity changes (a harvest came in, or failed)."""
        index = int(rng.integers(len(self.cooperatives)))
        cooperative = self.cooperatives[index]
        products = tuple(
            ProductOffer(
                p.product_id,
                p.name,
                replace(p.monthly_capacity, value=float(rng.lognormal(7.0, 1.2))),
                p.description,
                p.certificates,
                p.harvest_months,
            )
            for p in cooperative.products
        )
        cooperative = replace(cooperative, products=products)
        self.cooperatives[index] = cooperative
        self.engine.upsert_cooperative(cooperative)
        registered = cooperative_registered(cooperative)
        return contract.CooperativeUpdated(**registered.model_dump())


# --- measuring ------------------------------------------------------------------------------


# An envelope as the contract encodes it: its type near the front, then its payload, where a
# match's demand_id is the first "demand_id" of the record.
_FIRST_MATCH = re.compile(rb'\{[^{]*"type":"SourcingMatchFound".*?"demand_id":"([^"]+)"', re.DOTALL)


class FirstMatches:
    """Reads the output topic from its end, noting when each demand's first match arrives."""

    def __init__(self, servers: str) -> None:
        self.seen: dict[str, float] = {}
        self.records = 0
        self.last = time.time()
        self._stop = threading.Event()
        consumer = KafkaConsumer(bootstrap_servers=servers, enable_auto_commit=False)
        partitions = [
            TopicPartition(SOURCING_MATCHES.name, p)
            for p in consumer.partitions_for_topic(SOURCING_MATCHES.name)
        ]
        consumer.assign(partitions)
        consumer.seek_to_end(*partitions)
        for tp in partitions:
            consumer.position(tp)
        self._consumer = consumer
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for records in self._consumer.poll(timeout_ms=20).values():
                arrived = self.last = time.time()
                for record in records:
                    self.records += 1
                    # A search, not a parse: this runs for every output record (ten a demand)
                    # in the load generator's process, on the cores it measures.
                    found = _FIRST_MATCH.match(record.value)
                    if found is not None:
                        self.seen.setdefault(found[1].decode(), arrived)
        self._consumer.close()

    def wait_for(self, demands: set[str], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if demands <= self.seen.keys():
                return True
            time.sleep(0.01)
        return False

    def wait_quiet(self, seconds: float = 3.0) -> None:
        """Until nothing arrived for ``seconds``: the worker is done with what it was sent."""
        while time.time() - self.last < seconds:
            time.sleep(0.1)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def make_producer(servers: str) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=servers, acks="all", enable_idempotence=True, linger_ms=5
    )


def publish(
    producer: KafkaProducer, events: Sequence[Outgoing], rate: float | None
) -> dict[str, float]:
    """Send the events (at ``rate`` per second, or at once); the send time of each new demand."""
    sent: dict[str, float] = {}
    start = time.monotonic()
    for number, (topic, key, value, demand_id) in enumerate(events):
        if rate is not None:
            wait = start + number / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        if demand_id is not None:
            sent[demand_id] = time.time()
        producer.send(topic, key=key, value=value)
    producer.flush(timeout=120)
    return sent


def percentile_ms(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q))


# --- through the businesses service's API ------------------------------------------------------


@contextmanager
def businesses_service(servers: str, state: Path) -> Iterator[tuple[str, str]]:
    """The businesses service's API, relay and consumer; yields its URL and a business token."""
    identity = IdentitySettings(
        public_key_file=state / "identity" / "organiser-ed25519.pub.pem",
        private_key_file=state / "identity" / "organiser-ed25519.pem",
    )
    desk = OrganiserDesk(identity)
    buyer, _ = desk.create("Bench buyer", Role.BUSINESS)
    token = desk.token(buyer, timedelta(hours=4))
    port = free_port()
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": servers,
        "KETNOI_STATE_DIR": str(state),
        "BUSINESSES_PORT": str(port),
        "BUSINESSES_LOG_LEVEL": "warning",
    }
    processes = []
    try:
        for role in ("serve", "relay", "consume"):
            with (state / f"businesses-{role}.log").open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "services.businesses", role],
                        cwd=REPO_ROOT,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            if role == "serve":  # it migrates the database the other two use
                url = f"http://127.0.0.1:{port}"
                deadline = time.monotonic() + 120
                while True:
                    try:
                        if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline or processes[0].poll() is not None:
                        raise RuntimeError("the businesses API did not start")
                    time.sleep(0.2)
        yield url, token
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)


def service_pids() -> dict[str, int]:
    """The businesses service's processes this benchmark started: serve, relay, consume."""
    pids: dict[str, int] = {}
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(stat[1]) == me and b"services.businesses" in command:
            pids[command[-2].decode() if command[-1] == b"" else command[-1].decode()] = int(
                entry.name
            )
    return pids


REFUSED = -1.0  # a POST the service did not accept


def demand_body(demand: Demand) -> dict[str, object]:
    posted = demand_posted(demand).model_dump(mode="json")
    return {
        key: posted[key]
        for key in (
            "product",
            "quantity",
            "recurrence",
            "required_certifications",
            "delivery_place",
            "delivery_from",
            "delivery_until",
        )
    }


async def post_and_wait(
    client: ConnectionPool,
    body: bytes,
    measure: bool,
    give_up: float,
    poll_every: float,
    posted: dict[str, float],
) -> float | None:
    """POST a demand; when measured, note when (in ``posted``) and poll its matches until one
    is readable: the seconds (infinite after ``give_up`` seconds)."""
    start = time.time()
    try:
        status, answer = await client.request(
            "POST", "/v1/demands", body, f"Idempotency-Key: {uuid.uuid4().hex}\r\n"
        )
    except (OSError, asyncio.IncompleteReadError):
        return REFUSED
    if status != 201:
        return REFUSED
    if not measure:
        return None
    demand_id = json.loads(answer)["demand_id"]
    posted[demand_id] = start
    while time.time() - start < give_up:
        status, found = await client.request("GET", f"/v1/demands/{demand_id}/matches")
        if status == 200 and json.loads(found):
            return time.time() - start
        await asyncio.sleep(poll_every)
    return float("inf")


def wait_caught_up(servers: str, group: str, topics: Sequence[str], give_up: float) -> float:
    """Until the consumer group has committed every record of ``topics`` there is now: the
    service's consumer starts from the beginning, and storing what was published before is not
    what is measured. Returns the seconds it took."""
    start = time.monotonic()
    admin = KafkaAdminClient(bootstrap_servers=servers)
    reader = KafkaConsumer(bootstrap_servers=servers)
    try:
        partitions = [
            TopicPartition(topic, p) for topic in topics for p in reader.partitions_for_topic(topic)
        ]
        ends = reader.end_offsets(partitions)
        while time.monotonic() - start < give_up:
            committed = admin.list_group_offsets(group).get(group, {})
            if all(
                tp in committed and committed[tp].offset >= end for tp, end in ends.items() if end
            ):
                break
            time.sleep(0.5)
    finally:
        admin.close()
        reader.close()
    return time.monotonic() - start


@dataclass(frozen=True)
class _Post:
    body: bytes
    measure: bool  # it will get a match, and is one of the demands timed


async def api_load(
    servers: str,
    url: str,
    token: str,
    producer: KafkaProducer,
    workload: Workload,
    rate: float,
    args: argparse.Namespace,
    worker_pid: int,
    roles_elsewhere: dict[str, int],
) -> None:
    count = int(rate * args.api_seconds)
    rng = np.random.default_rng(int(rate) + 7)
    workload.serial += 1
    demands = iter(synthetic.demands(count, seed=int(rate) + 7, prefix=f"api{workload.serial}"))
    # Decided before the clock starts: which events are demands, their bodies, and which are
    # measured (those that will get a match). Deciding it during the run would take the load
    # generator as much CPU per demand as the worker spends, from the same 2 cores.
    plan: list[_Post | Outgoing] = []
    measured = 0
    for _ in range(count):
        if rng.random() < args.demand_share:
            demand = next(demands)
            if rng.random() >= args.api_post_share:
                # Posted to another process of the businesses API, elsewhere: its event
                # arrives, its matches are stored here, nobody here serves its POST.
                plan.append(_outgoing(demand_posted(demand), DEMANDS.name))
                continue
            workload.engine.upsert_demand(demand)
            will_match = bool(workload.engine.matches_for(demand.demand_id))
            workload.engine.close_demand(demand.demand_id)
            body = json.dumps(demand_body(demand)).encode()
            plan.append(_Post(body, measure=will_match and measured % args.api_sample == 0))
            measured += will_match
        else:
            plan.append(_outgoing(workload._profile_update(rng), COOPERATIVES.name))
    host, port = url.removeprefix("http://").split(":")
    client = ConnectionPool(host, int(port), token, size=args.api_connections)
    pids = {**service_pids(), "worker": worker_pid, **roles_elsewhere}
    cpu_before = {role: cpu_seconds(pid) for role, pid in pids.items()}
    cpu_before["load generator"] = time.process_time()
    tasks = []
    posted: dict[str, float] = {}  # measured demand id -> when its POST was sent
    watcher = FirstMatches(servers)
    start = time.monotonic()
    for number, event in enumerate(plan):
        wait = start + number / rate - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        if isinstance(event, _Post):
            tasks.append(
                asyncio.ensure_future(
                    post_and_wait(
                        client, event.body, event.measure, 120, args.api_poll_ms / 1000, posted
                    )
                )
            )
        else:
            topic, key, value, _ = event
            producer.send(topic, key=key, value=value)
    achieved = count / (time.monotonic() - start)
    results = await asyncio.gather(*tasks)
    elapsed = time.monotonic() - start
    await client.close()
    watcher.stop()
    on_topic = [watcher.seen[d] - sent for d, sent in posted.items() if d in watcher.seen]
    cpu = {role: cpu_seconds(pid) - cpu_before[role] for role, pid in pids.items()}
    cpu["load generator"] = time.process_time() - cpu_before["load generator"]
    latencies = [r for r in results if r is not None and 0 <= r != float("inf")]
    lost = sum(1 for r in results if r == float("inf"))
    refused = sum(1 for r in results if r == REFUSED)
    if not latencies:
        print(f"via the API at {rate:,.0f} events/s: nothing measured ({refused} POSTs failed)")
        return
    print(
        f"via the API at {rate:,.0f} events/s "
        f"(sent {achieved:,.0f}/s for {args.api_seconds:.0f} s; "
        f"{len(tasks):,} POSTs, {len(latencies):,} measured): POST to match readable "
        f"p50 {percentile_ms(latencies, 50):,.0f} ms, p99 {percentile_ms(latencies, 99):,.0f} ms, "
        f"max {max(latencies) * 1000:,.0f} ms"
        + (f"; {lost} not readable in 120 s" if lost else "")
        + (f"; {refused} POSTs failed (5xx or connection)" if refused else "")
        + "\n  of which POST to the first match on the topic (API, outbox relay, worker): "
        + (
            f"p50 {percentile_ms(on_topic, 50):,.0f} ms, p99 {percentile_ms(on_topic, 99):,.0f} ms"
            if on_topic
            else "none seen"
        )
        + "\n  CPU share of a core while it ran: "
        + ", ".join(f"{role} {seconds / elapsed:.0%}" for role, seconds in cpu.items())
        + f"\n  CPU per event ({count:,} events): "
        + ", ".join(f"{role} {seconds / count * 1000:.2f} ms" for role, seconds in cpu.items())
        + f"; in all {sum(cpu.values()) / count * 1000:.2f} ms"
    )


# --- the run --------------------------------------------------------------------------------


def main() -> None:
    # Stopped by a signal, still stop the worker and the broker (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cooperatives", type=int, default=5000)
    parser.add_argument("--open-demands", type=int, default=2000)
    parser.add_argument("--events", type=int, default=6000, help="for the throughput run")
    parser.add_argument("--rates", default="250,500,1000", help="events per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="of each rate")
    parser.add_argument("--demand-share", type=float, default=0.5)
    parser.add_argument("--api-rates", default="", help="events per second through the API")
    parser.add_argument("--api-seconds", type=float, default=20.0)
    parser.add_argument("--api-sample", type=int, default=10, help="measure 1 demand in N")
    parser.add_argument(
        "--api-connections", type=int, default=64, help="the load generator's keep-alive pool"
    )
    parser.add_argument(
        "--api-poll-ms", type=float, default=50.0, help="how often a measured demand is read"
    )
    parser.add_argument(
        "--api-post-share",
        type=float,
        default=1.0,
        help="of the new demands, the share POSTed here; the rest published to Kafka directly, "
        "as by the businesses API's processes on other machines",
    )
    args = parser.parse_args()
    print(describe())
    print(load())

    workload = Workload(synthetic.cooperatives(args.cooperatives, seed=1))
    with tempfile.TemporaryDirectory(prefix="ketnoi-bench-") as folder:
        state = Path(folder)
        with broker(state / "broker") as servers:
            pid = broker_pid(state / "broker")
            kafka = {"broker": pid} if pid is not None else {}
            ensure_topics(KafkaSettings(bootstrap_servers=servers))
            producer = make_producer(servers)
            catalogue = workload.catalogue(args.open_demands)
            publish(producer, catalogue, rate=None)
            offers = sum(len(c.products) for c in workload.cooperatives)
            print(
                f"catalogue: {args.cooperatives:,} cooperatives ({offers:,} offers) and "
                f"{args.open_demands:,} open demands on {servers}"
            )
            started = time.monotonic()
            (state / "worker").mkdir()
            with matching_worker(servers, state / "worker") as worker:
                print(f"worker serving after {time.monotonic() - started:.1f} s (reads it all)")
                run_throughput(workload, producer, servers, worker.pid, args)
                for rate in (float(r) for r in args.rates.split(",") if r):
                    run_rate(workload, producer, servers, rate, args)
                print(load())
                if args.api_rates:
                    (state / "businesses").mkdir()
                    with businesses_service(servers, state / "businesses") as (url, token):
                        took = wait_caught_up(
                            servers,
                            "ketnoi-businesses-read-models",
                            [COOPERATIVES.name, SOURCING_MATCHES.name],
                            give_up=600,
                        )
                        print(f"businesses consumer caught up with the topics in {took:.0f} s")
                        for rate in (float(r) for r in args.api_rates.split(",")):
                            asyncio.run(
                                api_load(
                                    servers,
                                    url,
                                    token,
                                    producer,
                                    workload,
                                    rate,
                                    args,
                                    worker.pid,
                                    kafka,
                                )
                            )
            producer.close()


def run_throughput(
    workload: Workload,
    producer: KafkaProducer,
    servers: str,
    pid: int,
    args: argparse.Namespace,
) -> None:
    events, matched = workload.stream(args.events, args.demand_share, seed=10)
    watcher = FirstMatches(servers)
    cpu_before = cpu_seconds(pid)
    start = time.time()
    publish(producer, events, rate=None)
    published = time.time() - start
    done = watcher.wait_for(matched, timeout=600)
    first_matches = max((watcher.seen.get(d, time.time()) for d in matched), default=start) - start
    # Profile updates travel on their own topic: the worker is done when its output stops.
    watcher.wait_quiet()
    elapsed = watcher.last - start
    watcher.stop()
    cpu = cpu_seconds(pid) - cpu_before
    demands = sum(1 for e in events if e[3] is not None)
    print(
        f"throughput: {len(events):,} events ({demands:,} new demands, "
        f"{len(events) - demands:,} profile updates) published in {published:.2f} s; "
        f"{'all' if done else 'NOT all'} {len(matched):,} matched demands had a match after "
        f"{first_matches:.2f} s, the last output came after {elapsed:.2f} s: "
        f"{len(events) / elapsed:,.0f} events/s through one worker; "
        f"{watcher.records:,} sourcing records; worker CPU {cpu:.1f} s "
        f"({cpu / len(events) * 1000:.2f} ms per event), peak memory "
        f"{peak_memory_mib(pid):,.0f} MiB"
    )


def run_rate(
    workload: Workload,
    producer: KafkaProducer,
    servers: str,
    rate: float,
    args: argparse.Namespace,
) -> None:
    count = int(rate * args.seconds)
    events, matched = workload.stream(count, args.demand_share, seed=int(rate))
    watcher = FirstMatches(servers)
    start = time.monotonic()
    sent = publish(producer, events, rate=rate)
    achieved = count / (time.monotonic() - start)
    done = watcher.wait_for(matched, timeout=600)
    watcher.wait_quiet()
    watcher.stop()
    latencies = [watcher.seen[d] - sent[d] for d in matched if d in watcher.seen]
    late = len(matched) - len(latencies)
    print(
        f"at {rate:,.0f} events/s (sent {achieved:,.0f}/s for {args.seconds:.0f} s, "
        f"{len(matched):,} matched new demands): send to first match "
        f"p50 {percentile_ms(latencies, 50):,.0f} ms, p99 {percentile_ms(latencies, 99):,.0f} ms, "
        f"max {max(latencies) * 1000:,.0f} ms" + ("" if done else f"; {late} never arrived")
    )


if __name__ == "__main__":
    main()
