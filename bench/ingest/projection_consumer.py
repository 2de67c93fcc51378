"""How many records a second one read-model consumer stores: the businesses service's consumer
(``EventConsumer`` with its ``SourcingMatches`` and ``KnownCooperatives`` projections) on a
fresh SQLite file, reading ``SourcingMatchFound`` records published to the broker beforehand.

From the repository root, with the project's virtual environment::

    .venv/bin/python -m bench.ingest.projection_consumer                 # 20,000 records
    .venv/bin/python -m bench.ingest.projection_consumer --records 50000 --demands 5000

A broker of its own is started from ``deploy/kafka`` on a free port, unless
``KAFKA_BOOTSTRAP_SERVERS`` names one (then a fresh consumer group starts at the topics' ends,
so earlier records stay unread). Publishing is not timed: the clock runs from the consumer's
first poll until every record is stored (the table holds one row per match id); the CPU per
record is the process's (every thread of it) over the same span. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
import uuid
from pathlib import Path

from kafka import KafkaProducer
from sqlalchemy import func, select

from bench.broker import broker
from services.businesses import orm
from services.businesses.service import SPEC
from shared.contract.envelope import encode, wrap
from shared.contract.events import SourcingMatchFound
from shared.contract.values import Reason
from shared.kafka.admin import ensure_topics
from shared.kafka.consumer import EventConsumer
from shared.kafka.groups import start_group_at_end
from shared.settings import KafkaSettings
from shared.storage import migrations
from shared.storage.database import open_database
from shared.topics import SOURCING_MATCHES

REASONS = [
    Reason(code="product_fit", en="Grows the product they buy", vi="Trồng đúng sản phẩm cần mua"),
    Reason(code="capacity_fits", en="Capacity covers the quantity", vi="Đủ sản lượng"),
    Reason(code="near", en="Close to the delivery place", vi="Gần nơi giao hàng"),
]


def matches(records: int, demands: int, run: str) -> list[SourcingMatchFound]:
    """``records`` matches spread over ``demands`` demands, scores all different."""
    return [
        SourcingMatchFound(
            match_id=f"m-{run}-{n}",
            demand_id=f"d-{run}-{n % demands}",
            business_id=f"org-business-{n % demands % 97}",
            cooperative_id=f"coop-{n}",
            product_id=f"prod-{n % 3}",
            score=round(1 - n / (records + 1), 6),
            components={"product": 0.9, "capacity": 1.0, "distance": 0.7, "certificates": 0.5},
            reasons=REASONS,
            model_version="bench-1",
        )
        for n in range(records)
    ]


def publish(servers: str, found: list[SourcingMatchFound]) -> int:
    """Send every match, wait for the acks; returns the bytes sent (values only)."""
    producer = KafkaProducer(
        bootstrap_servers=servers, acks="all", linger_ms=20, batch_size=256 * 1024
    )
    sent = 0
    for payload in found:
        value = encode(SOURCING_MATCHES.name, wrap(payload, producer="bench"))
        sent += len(value)
        producer.send(SOURCING_MATCHES.name, key=payload.match_id.encode(), value=value)
    producer.flush(timeout=120)
    producer.close()
    return sent


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--demands", type=int, default=2_000)
    options = parser.parse_args()
    assert SPEC.consumer is not None
    topics = [topic.name for topic in SPEC.consumer.topics]
    run = uuid.uuid4().hex[:8]

    with (
        tempfile.TemporaryDirectory(prefix="ketnoi-bench-ingest-") as folder,
        broker(Path(folder)) as servers,
    ):
        settings = KafkaSettings(bootstrap_servers=servers)
        ensure_topics(settings)
        group = f"bench-ingest-{run}"
        start_group_at_end(group, topics, settings)
        found = matches(options.records, options.demands, run)
        size = publish(servers, found)

        url = f"sqlite:///{Path(folder) / 'businesses.sqlite3'}"
        migrations.upgrade(SPEC.name, SPEC.migrations, url)
        database = open_database(url)
        consumer = EventConsumer(topics, group, SPEC.consumer.handler(database), settings=settings)
        table = orm.sourcing_matches
        try:
            handled, polls = 0, 0
            started, cpu_started = time.perf_counter(), time.process_time()
            while handled < options.records:
                handled += consumer.poll_once(timeout_ms=1000)
                polls += 1
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            with database.sessions() as session:
                stored = session.execute(select(func.count()).select_from(table)).scalar_one()
        finally:
            consumer.close()
            database.dispose()

    print(
        f"machine: {os.cpu_count()} cores, {cpu_model()}, "
        f"Python {platform.python_version()}, SQLite (WAL), load {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{options.records:,} SourcingMatchFound records over {options.demands:,} demands, "
        f"{size / options.records:,.0f} bytes each on average ({size / 1e6:.1f} MB)"
    )
    print(
        f"stored {stored:,} rows in {elapsed:.2f} s over {polls} polls: "
        f"{handled / elapsed:,.0f} records/s, "
        f"{cpu / handled * 1e6:.1f} µs CPU per record (the benchmark's process: the consumer)"
    )


if __name__ == "__main__":
    main()
