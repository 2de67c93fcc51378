"""What the matching worker's tests share: publishing events, the worker run as its own process
(as in production), readers of whole topics, and what one engine makes of every input.

The broker is shared by the session and topics keep everything, so each test names its
organisations with a fresh run id and only looks at records that carry it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.partitioner.default import murmur2

from services.matching import contract_mapping
from services.matching.domain.engine import MatchingEngine
from shared.contract import events as contract
from shared.contract.envelope import ContractError, decode, wrap
from shared.kafka.producer import EventPublisher, make_producer
from shared.settings import REPO_ROOT, KafkaSettings
from shared.topics import (
    BY_NAME,
    COOPERATIVES,
    DEMANDS,
    FEEDBACK,
    LOAN_LEADS,
    LOAN_PRODUCTS,
    SOURCING_MATCHES,
)

T = TypeVar("T")

# No faust web server: health is the group's state, and workers on one host share no port.
WORKER_ARGS = ("worker", "--without-web", "--loglevel", "info")


def run_id() -> str:
    return uuid.uuid4().hex[:10]


def partition_of(key: str, partitions: int = 3) -> int:
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


# --- publishing -----------------------------------------------------------------------------


TOPIC_OF = {
    event_type: topic.name for topic in BY_NAME.values() for event_type in topic.event_types
}


def publish(settings: KafkaSettings, payloads: Iterable[contract.EventPayload]) -> int:
    """Publish in order (each to its topic) and wait for every acknowledgement."""
    publisher = EventPublisher(make_producer("matching-test", settings, linger_ms=2))
    sent = 0
    try:
        for payload in payloads:
            publisher.publish(TOPIC_OF[payload.event_type], wrap(payload, "matching-test"))
            sent += 1
        publisher.flush(timeout=60)
    finally:
        publisher.close()
    return sent


def publish_raw(settings: KafkaSettings, topic: str, key: bytes, value: bytes) -> None:
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    try:
        producer.send(topic, key=key, value=value).get(timeout=30)
    finally:
        producer.close()


# --- reading topics -------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    partition: int
    offset: int
    key: str
    payload: Any  # the decoded event, or the raw bytes of a record that is not one
    occurred_on: date | None  # the envelope's date


def read_all(
    settings: KafkaSettings, topic: str, keep: Callable[[Published], bool] = lambda _: True
) -> list[Published]:
    """Every record of the topic, up to its end now, in order per partition."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers, enable_auto_commit=False, group_id=None
    )
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        found: list[Published] = []
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            for tp, records in consumer.poll(timeout_ms=500).items():
                for record in records:
                    if record.offset >= ends[tp]:
                        continue
                    occurred_on = None
                    try:
                        envelope = decode(topic, record.value)
                        payload: Any = envelope.payload
                        occurred_on = envelope.occurred_at.date()
                    except ContractError:
                        payload = record.value
                    item = Published(
                        record.partition,
                        record.offset,
                        (record.key or b"").decode(errors="replace"),
                        payload,
                        occurred_on,
                    )
                    if keep(item):
                        found.append(item)
        return found
    finally:
        consumer.close()


def latest(records: Iterable[Published]) -> dict[str, Any]:
    """The compacted view: the last payload per key."""
    return {record.key: record.payload for record in records}


def wait_for(check: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll ``check`` until it returns something truthy; fail saying what did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.5)


def mentions(run: str) -> Callable[[Published], bool]:
    """Records of one test run: their payload names one of its ids."""

    def keep(record: Published) -> bool:
        payload = record.payload
        if isinstance(payload, bytes):
            return run.encode() in payload
        return run in payload.model_dump_json()

    return keep


# --- the worker as a process ----------------------------------------------------------------


@dataclass
class Worker:
    """One ``python -m services.matching worker`` process with its own state directory."""

    name: str
    app_id: str
    state_dir: Path
    settings: KafkaSettings
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    env: dict[str, str] = field(default_factory=dict)

    @property
    def log_file(self) -> Path:
        return self.state_dir / f"{self.name}.log"

    def start(self) -> Worker:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": self.settings.bootstrap_servers,
            "KETNOI_MATCHING_APP_ID": self.app_id,
            "KETNOI_STATE_DIR": str(self.state_dir),
            **self.env,
        }
        with self.log_file.open("ab") as log:
            log.write(f"\n=== start {self.starts + 1} at {datetime.now(UTC)} ===\n".encode())
            self.process = subprocess.Popen(
                [sys.executable, "-m", "services.matching", *WORKER_ARGS],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        return self

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def serving(self) -> list[list[int]]:
        """The partition lists this worker reported serving, in order, for this start."""
        current = self.log().rsplit("=== start ", 1)[-1]
        return [
            [int(p) for p in found.split(",") if p.strip()]
            for found in re.findall(r"serving partitions \[([\d, ]*)\]", current)
        ]

    def wait_serving(self, timeout: float = 90.0) -> list[int]:
        def check() -> list[int] | None:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"worker {self.name} exited:\n{self.log()[-3000:]}")
            served = self.serving()
            return served[-1] if served and served[-1] else None

        return wait_for(check, timeout, f"worker {self.name} to serve partitions")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no commit, no flush."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- what one engine makes of every input, to compare workers with ----------------------------

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Outcome:
    """Live sourcing matches and leads of one run, by id, with what a reader would store."""

    sourcing: dict[str, Row]
    leads: dict[str, Row]

    def describe_difference(self, other: Outcome) -> str:
        lines = []
        for name, mine, theirs in (
            ("sourcing", self.sourcing, other.sourcing),
            ("leads", self.leads, other.leads),
        ):
            for key in sorted(set(mine) | set(theirs)):
                if mine.get(key) != theirs.get(key):
                    lines.append(f"{name} {key}: {mine.get(key)} != {theirs.get(key)}")
        return "\n".join(lines[:20]) or "no difference"


def _match_row(m: Any) -> Row:
    return (m.demand_id, m.cooperative_id, m.product_id, m.score, tuple(m.partners))


def _lead_row(lead: Any) -> Row:
    return (lead.credit_need_id, lead.loan_product_id, lead.bank_id, lead.score)


def one_engine_outcome(settings: KafkaSettings, run: str) -> Outcome:
    """Every event on the input topics (the test's and any other), applied to one engine:
    what a single worker ends with. The run's demands and banks carry its id."""
    engine = MatchingEngine()
    events = [
        (record.payload, record.occurred_on)
        for topic in (COOPERATIVES, LOAN_PRODUCTS, DEMANDS, FEEDBACK)
        for record in read_all(settings, topic.name)
        if record.occurred_on is not None
    ]
    contract_mapping.apply_events(engine, events)
    demand_ids = {p.demand_id for p, _ in events if hasattr(p, "demand_id") and run in p.demand_id}
    bank_ids = {p.bank_id for p, _ in events if hasattr(p, "bank_id") and run in p.bank_id}
    return Outcome(
        {m.match_id: _match_row(m) for d in demand_ids for m in engine.matches_for(d)},
        {lead.lead_id: _lead_row(lead) for b in bank_ids for lead in engine.leads_for(b)},
    )


def published_outcome(settings: KafkaSettings, run: str) -> Outcome:
    """The compacted output topics, as a reader storing each id once would hold them."""
    sourcing = latest(read_all(settings, SOURCING_MATCHES.name, mentions(run)))
    leads = latest(read_all(settings, LOAN_LEADS.name, mentions(run)))
    return Outcome(
        {
            key: _match_row(p)
            for key, p in sourcing.items()
            if isinstance(p, contract.SourcingMatchFound) and run in p.demand_id
        },
        {
            key: _lead_row(p)
            for key, p in leads.items()
            if isinstance(p, contract.LoanLeadScored) and run in p.bank_id
        },
    )


def repeated_records(records: Iterable[Published]) -> list[str]:
    """Keys published twice in a row with the same content: what an idempotent reader would
    have been sent for nothing (the envelope's id and time aside)."""
    last: dict[str, Any] = {}
    repeated = []
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        if last.get(record.key) == record.payload:
            repeated.append(f"{record.key}@{record.partition}:{record.offset}")
        last[record.key] = record.payload
    return repeated


class Tail:
    """Records arriving on a topic from now on (a consumer placed at its end)."""

    def __init__(self, settings: KafkaSettings, topic: str) -> None:
        self._consumer = KafkaConsumer(
            bootstrap_servers=settings.bootstrap_servers, enable_auto_commit=False, group_id=None
        )
        partitions = [TopicPartition(topic, p) for p in self._consumer.partitions_for_topic(topic)]
        self._consumer.assign(partitions)
        self._consumer.seek_to_end(*partitions)
        for tp in partitions:
            self._consumer.position(tp)  # resolve the end now, before anything is published

    def wait_for(self, needle: bytes, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for records in self._consumer.poll(timeout_ms=50).values():
                if any(needle in (record.value or b"") for record in records):
                    return
        raise AssertionError(f"nothing with {needle!r} arrived within {timeout:.0f} s")

    def close(self) -> None:
        self._consumer.close()
