"""Kafka stopped for a while under a serving matching worker, as an operator restarting the
broker would: the worker neither dies nor hangs, resumes by itself once the broker is back,
and what it publishes in the end is what one engine makes of every input, each record once."""

from __future__ import annotations

import random
import threading
import time

import pytest

from shared.contract import events as contract
from shared.contract.envelope import wrap
from shared.kafka.producer import EventPublisher, make_producer
from shared.settings import KafkaSettings
from shared.topics import LOAN_LEADS, SOURCING_MATCHES
from tests.fixtures.kafka import Broker
from tests.integration.matching.conftest import WorkerFactory
from tests.integration.matching.harness import (
    TOPIC_OF,
    Outcome,
    Tail,
    mentions,
    one_engine_outcome,
    publish,
    published_outcome,
    read_all,
    repeated_records,
    run_id,
    wait_for,
)
from tests.unit.matching.contract_events import (
    closed,
    cooperative,
    credit_need,
    demand,
    loan_product,
    product,
)

pytestmark = pytest.mark.kafka

DISTRICTS = ["dong-hoi", "ba-don", "le-thuy", "quang-ninh", "bo-trach"]
OUTAGE_SECONDS = 15.0  # from the stop until the start is asked for


def rice_market(run: str, rng: random.Random) -> list[contract.EventPayload]:
    """Rice cooperatives, a loan product and credit needs for leads."""
    events: list[contract.EventPayload] = [
        cooperative(
            f"{run}-c{n}",
            product(f"{run}-p{n}", "Gạo ST25", rng.randint(20, 400)),
            district=rng.choice(DISTRICTS),
            members=rng.randint(10, 200),
        )
        for n in range(30)
    ]
    events.append(loan_product(f"{run}-lp", f"{run}-bank"))
    events += [credit_need(f"{run}-n{n}", f"{run}-c{n}") for n in range(0, 30, 3)]
    return events


def demands(run: str, numbers: range, rng: random.Random) -> list[contract.EventPayload]:
    return [
        demand(
            f"{run}-d{n}",
            f"{run}-b{n % 20}",
            rng.choice(["gạo st25", "gao st25", "gạo thơm"]),
            rng.randint(5, 300),
            place=rng.choice(DISTRICTS),
        )
        for n in numbers
    ]


def publish_slowly(
    settings: KafkaSettings, payloads: list[contract.EventPayload], failures: list[BaseException]
) -> None:
    """Publish a few at a time over some seconds, as an outbox relay would; what is sent while
    the broker is down waits in the producer. Runs in a thread: errors go to ``failures``."""
    publisher = EventPublisher(make_producer("matching-outage-test", settings, linger_ms=2))
    try:
        for start in range(0, len(payloads), 10):
            for payload in payloads[start : start + 10]:
                publisher.publish(TOPIC_OF[payload.event_type], wrap(payload, "matching-test"))
            time.sleep(0.2)
        publisher.flush(timeout=120)
    except BaseException as error:
        failures.append(error)
    finally:
        publisher.close()


@pytest.mark.parametrize(
    "send_timeout",
    [
        pytest.param(None, id="sends-wait-for-the-broker"),
        # Sends fail while the broker is away: the worker reads the output topics back and
        # publishes what they lack with a fresh producer (the failed one's is out of step).
        pytest.param("4", id="sends-fail-and-are-published-again"),
    ],
)
def test_the_worker_rides_out_a_broker_restart_and_publishes_everything_once(
    kafka_broker: Broker,
    kafka_settings: KafkaSettings,
    workers: WorkerFactory,
    send_timeout: str | None,
) -> None:
    run = run_id()
    rng = random.Random(11)
    worker = workers("outage", f"ketnoi-matching-outage-{run}")
    if send_timeout is not None:
        worker.env["KETNOI_MATCHING_SEND_TIMEOUT_SECONDS"] = send_timeout
    worker.start()
    worker.wait_serving()

    # Before the outage: a market and demands; more demands keep coming while the broker
    # stops (as the matches come out), is down, and starts again.
    tail = Tail(kafka_settings, SOURCING_MATCHES.name)
    try:
        publish(kafka_settings, [*rice_market(run, rng), *demands(run, range(400), rng)])
        tail.wait_for(run.encode(), timeout=60)
    finally:
        tail.close()
    failures: list[BaseException] = []
    sender = threading.Thread(
        target=publish_slowly,
        args=(kafka_settings, demands(run, range(400, 700), rng), failures),
    )
    sender.start()
    stopped = time.monotonic()
    kafka_broker.stop()
    try:
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))
        assert worker.process is not None and worker.process.poll() is None, (
            f"the worker died while Kafka was down:\n{worker.log()[-3000:]}"
        )
    finally:
        kafka_broker.start()
        sender.join(timeout=150)
    assert not sender.is_alive() and not failures, failures

    # After it: new demands, closed ones, a changed profile and a new credit need.
    changed = cooperative(
        f"{run}-c1",
        product(f"{run}-p1", "Gạo ST25", 900),
        district="dong-hoi",
        members=150,
        updated=True,
    )
    publish(
        kafka_settings,
        [
            *demands(run, range(700, 800), rng),
            *(closed(f"{run}-d{n}", f"{run}-b{n % 20}") for n in range(0, 700, 10)),
            changed,
            credit_need(f"{run}-n-late", f"{run}-c2"),
        ],
    )

    expected = one_engine_outcome(kafka_settings, run)
    assert len(expected.sourcing) > 5000 and expected.leads, "the market should make matches"

    def converged() -> Outcome | None:
        assert worker.process is not None
        if worker.process.poll() is not None:
            raise AssertionError(f"the worker exited:\n{worker.log()[-3000:]}")
        now = published_outcome(kafka_settings, run)
        return now if now == expected else None

    try:
        wait_for(converged, 60, "the worker to publish every match and lead")
    except AssertionError as error:
        difference = published_outcome(kafka_settings, run).describe_difference(expected)
        raise AssertionError(f"{error}\n{difference}") from None

    # Every output of the run, read in full: no id was sent twice in a row with one content.
    for topic in (SOURCING_MATCHES.name, LOAN_LEADS.name):
        records = read_all(kafka_settings, topic, mentions(run))
        assert repeated_records(records) == [], f"{topic}: published again unchanged"
    late_leads = [
        r
        for r in read_all(kafka_settings, LOAN_LEADS.name, mentions(f"{run}-n-late"))
        if isinstance(r.payload, contract.LoanLeadScored)
    ]
    assert late_leads, "the credit need sent after the outage has its lead"
    assert worker.process is not None and worker.process.poll() is None, "the worker still runs"
    if send_timeout is not None:
        assert "publishing failed" in worker.log(), "no send failed: the outage missed a round"
