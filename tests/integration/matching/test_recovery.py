"""A matching worker killed with SIGKILL while it works through a batch, then restarted: it
loses nothing, and publishes nothing twice."""

from __future__ import annotations

import random

import pytest

from shared.contract import events as contract
from shared.contract.dead_letter import DeadLetter
from shared.settings import KafkaSettings
from shared.topics import DEAD_LETTER, DEMANDS, LOAN_LEADS, SOURCING_MATCHES
from tests.integration.matching.conftest import WorkerFactory
from tests.integration.matching.harness import (
    Outcome,
    Tail,
    mentions,
    one_engine_outcome,
    publish,
    publish_raw,
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

DISTRICTS = ["dong-hoi", "ba-don", "le-thuy", "quang-ninh", "bo-trach", "quang-trach"]
QUALIFIERS = ["", "truyền thống", "xuất khẩu", "loại 1", "in hoa"]


def sedge_mat_market(run: str, demands: int) -> list[contract.EventPayload]:
    """Sedge-mat cooperatives and many demands for them, then changes: some demands close,
    some profiles change; a few credit needs and a loan product for leads."""
    rng = random.Random(7)
    events: list[contract.EventPayload] = []
    cooperatives = []
    for number in range(40):
        name = f"Chiếu cói {rng.choice(QUALIFIERS)}".strip()
        certified = ["vietgap"] if number % 4 == 0 else []
        made = cooperative(
            f"{run}-c{number}",
            product(
                f"{run}-p{number}",
                name,
                rng.randint(200, 3000),
                unit="piece",
                certifications=certified,
            ),
            district=rng.choice(DISTRICTS),
            members=rng.randint(10, 200),
        )
        cooperatives.append(made)
        events.append(made)
    events.append(loan_product(f"{run}-lp", f"{run}-bank"))
    events += [credit_need(f"{run}-n{i}", f"{run}-c{i}") for i in range(0, 40, 4)]
    for number in range(demands):
        events.append(
            demand(
                f"{run}-d{number}",
                f"{run}-b{number % 25}",
                rng.choice(["chiếu cói", "chieu coi", "chiếu cói xuất khẩu"]),
                rng.randint(100, 5000),
                unit="piece",
                place=rng.choice(DISTRICTS),
                required=["vietgap"] if number % 10 == 0 else [],
            )
        )
    events += [closed(f"{run}-d{n}", f"{run}-b{n % 25}") for n in range(0, demands, 12)]
    for made in cooperatives[::5]:
        changed = made.products[0].model_copy(
            update={
                "monthly_capacity": made.products[0].monthly_capacity.model_copy(
                    update={"amount": 10.0}
                )
            }
        )
        events.append(
            cooperative(
                made.cooperative_id,
                changed,
                district=made.district,
                members=made.member_count,
                updated=True,
            )
        )
    return events


def test_a_worker_killed_mid_stream_and_restarted_loses_nothing_and_repeats_nothing(
    kafka_settings: KafkaSettings, workers: WorkerFactory
) -> None:
    run = run_id()
    worker = workers("killed", f"ketnoi-matching-kill-{run}").start()
    worker.wait_serving()
    tail = Tail(kafka_settings, SOURCING_MATCHES.name)
    try:
        publish(kafka_settings, sedge_mat_market(run, demands=1500))
        publish_raw(kafka_settings, DEMANDS.name, f"{run}-poison".encode(), b"{not json")
        tail.wait_for(run.encode(), timeout=60)  # the worker is at it
    finally:
        tail.close()
    worker.kill()

    expected = one_engine_outcome(kafka_settings, run)
    at_kill = published_outcome(kafka_settings, run)
    assert len(expected.sourcing) > 5000 and expected.leads, "the market should make matches"
    assert at_kill != expected, "the worker had finished before it was killed: nothing tested"

    worker.start()
    worker.wait_serving(timeout=120)

    def converged() -> Outcome | None:
        now = published_outcome(kafka_settings, run)
        return now if now == expected else None

    try:
        wait_for(converged, 120, "the restarted worker to publish everything")
    except AssertionError:
        raise AssertionError(
            published_outcome(kafka_settings, run).describe_difference(expected)
        ) from None

    # Every output of the run, read in full: no id was sent twice in a row with one content.
    for topic in (SOURCING_MATCHES.name, LOAN_LEADS.name):
        records = read_all(kafka_settings, topic, mentions(run))
        assert records
        assert repeated_records(records) == [], f"{topic}: published again unchanged"
    retracted = [
        r.payload
        for r in read_all(kafka_settings, SOURCING_MATCHES.name, mentions(run))
        if isinstance(r.payload, contract.MatchRetracted)
    ]
    assert {r.reason.code for r in retracted} >= {"demand_closed"}

    letters = [
        DeadLetter.model_validate_json(r.payload)
        for r in read_all(kafka_settings, DEAD_LETTER.name, lambda r: r.key == f"{run}-poison")
    ]
    assert [letter.consumer for letter in letters] == [worker.app_id], (
        "the poison record is dead-lettered once, not again after the restart"
    )
