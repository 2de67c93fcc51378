"""Two matching workers in one consumer group: they split the demands' partitions, and what
they publish together is what one engine makes of the same inputs."""

from __future__ import annotations

import itertools
import json

import pytest
from kafka import KafkaAdminClient

from services.matching.domain import ids
from shared.contract import events as contract
from shared.settings import KafkaSettings
from tests.integration.matching.conftest import WorkerFactory
from tests.integration.matching.harness import (
    Outcome,
    Worker,
    one_engine_outcome,
    partition_of,
    publish,
    published_outcome,
    run_id,
    wait_for,
)
from tests.unit.matching.contract_events import (
    cooperative,
    credit_need,
    demand,
    loan_product,
    product,
)

pytestmark = pytest.mark.kafka

ALL = {0, 1, 2}


def split_between(first: Worker, second: Worker) -> tuple[set[int], set[int]] | None:
    """The two workers' latest assignments, once they are disjoint and cover every partition."""
    mine, theirs = first.serving(), second.serving()
    if not mine or not theirs:
        return None
    a, b = set(mine[-1]), set(theirs[-1])
    return (a, b) if a and b and not a & b and a | b == ALL else None


def ids_on(prefix: str, partitions: set[int], count: int) -> list[str]:
    """``count`` ids starting with ``prefix`` whose records land on ``partitions``."""
    chosen = (f"{prefix}{n}" for n in itertools.count())
    return list(itertools.islice((i for i in chosen if partition_of(i) in partitions), count))


def test_two_workers_split_the_partitions_and_publish_what_one_engine_would(
    kafka_settings: KafkaSettings, workers: WorkerFactory
) -> None:
    run = run_id()
    group = f"ketnoi-matching-pair-{run}"
    first = workers("first", group).start()
    first.wait_serving()
    second = workers("second", group).start()
    owned_first, owned_second = wait_for(
        lambda: split_between(first, second), 120, "the two workers to split the partitions"
    )

    admin = KafkaAdminClient(bootstrap_servers=kafka_settings.bootstrap_servers)
    try:
        description = admin.describe_groups([group])[group]
    finally:
        admin.close()
    assert description["group_state"] == "Stable" and len(description["members"]) == 2

    # Demands on both workers' partitions, and leads published by each: a lead's buyer
    # component then often depends on a sourcing match the other worker holds.
    demands_first = ids_on(f"{run}-d", owned_first, 6)
    demands_second = ids_on(f"{run}-e", owned_second, 6)
    bank, loan = f"{run}-bank", f"{run}-lp"
    suppliers = [f"{run}-c{n}" for n in range(12)]
    needs = [
        next(
            need
            for need in (f"{run}-n{i}-{k}" for k in itertools.count())
            if partition_of(ids.lead_id(need, loan)) in (owned_second if i % 2 else owned_first)
        )
        for i in range(len(suppliers))
    ]
    events: list[contract.EventPayload] = [
        cooperative(
            supplier,
            product(f"{run}-p{n}", "Hồ tiêu" if n % 2 else "Hạt tiêu đen", 5 + n),
            product(f"{run}-q{n}", "Gà đồi", 100 + 40 * n, unit="kg"),
            members=20 + 7 * n,
        )
        for n, supplier in enumerate(suppliers)
    ]
    events += [loan_product(loan, bank), loan_product(f"{run}-lp2", bank, min_members=70)]
    events += [credit_need(need, supplier) for need, supplier in zip(needs, suppliers, strict=True)]
    events += [
        demand(
            d,
            f"{run}-b{n % 3}",
            "hồ tiêu" if n % 3 else "gà đồi thả vườn",
            8 + 3 * n,
            unit="tan" if n % 3 else "kg",
        )
        for n, d in enumerate(demands_first + demands_second)
    ]
    publish(kafka_settings, events)

    expected = one_engine_outcome(kafka_settings, run)
    assert len(expected.sourcing) >= 12 and len(expected.leads) >= 12

    def converged() -> Outcome | None:
        now = published_outcome(kafka_settings, run)
        return now if now == expected else None

    try:
        wait_for(converged, 90, "the two workers to publish what one engine would")
    except AssertionError:
        raise AssertionError(
            published_outcome(kafka_settings, run).describe_difference(expected)
        ) from None

    # Each worker published the results of its own share.
    first.stop()
    second.stop()
    for worker in (first, second):
        totals = [
            json.loads(line.split("published totals ", 1)[1])
            for line in worker.log().splitlines()
            if "published totals " in line
        ]
        assert totals and totals[-1]["sourcing"] > 0, f"{worker.name} published no match"
