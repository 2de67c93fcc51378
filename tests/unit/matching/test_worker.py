"""The matching worker's rules, without a broker: what it publishes after a rebuild, what it
skips, defers, leaves to another worker, and dead-letters once. The topics are lists here; the
integration tests run the same worker against the real broker."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from aiokafka.errors import KafkaTimeoutError
from aiokafka.partitioner import DefaultPartitioner

from services.matching.consumed import Record
from services.matching.domain import ids
from services.matching.domain.engine import MatchingEngine
from services.matching.feedback_file import read_examples
from services.matching.worker import (
    PUBLISHER_HEADER,
    LiveMatches,
    MatchingWorker,
    OutputRecord,
    partition_of,
)
from shared.collector import FreezingCollector
from shared.contract import events as contract
from shared.contract.envelope import decode, encode, wrap
from shared.province_time import province_today
from shared.topics import (
    COOPERATIVES,
    DEAD_LETTER,
    DEMANDS,
    FEEDBACK,
    LOAN_LEADS,
    LOAN_PRODUCTS,
    SOURCING_MATCHES,
)
from tests.unit.matching.contract_events import (
    YEAR,
    closed,
    cooperative,
    credit_need,
    demand,
    loan_product,
    product,
)

PARTITIONS = 3


@dataclass(frozen=True)
class Rec:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass
class Topics:
    """Topics as lists of records, partitioned like Kafka's default partitioner does."""

    logs: dict[str, list[Rec]] = field(default_factory=dict)

    def append(
        self,
        topic: str,
        key: str,
        value: bytes | None,
        partition: int | None = None,
        headers: tuple[tuple[str, bytes], ...] = (),
    ) -> Rec:
        records = self.logs.setdefault(topic, [])
        where = partition_of(key, PARTITIONS) if partition is None else partition
        offset = sum(1 for r in records if r.partition == where)
        record = Rec(topic, where, offset, key.encode(), value, headers)
        records.append(record)
        return record

    def event(self, payload: contract.EventPayload) -> Rec:
        topic = next(
            t
            for t in (COOPERATIVES, DEMANDS, LOAN_PRODUCTS, FEEDBACK)
            if payload.event_type in t.event_types
        )
        envelope = wrap(payload, "test")
        return self.append(topic.name, envelope.key, encode(topic.name, envelope))

    async def partition_count(self, topic: str) -> int:
        return PARTITIONS

    async def read_to_end(
        self, topic: str, partitions: Collection[int] | None = None
    ) -> AsyncIterator[Sequence[Record]]:
        wanted = [
            r for r in self.logs.get(topic, []) if partitions is None or r.partition in partitions
        ]
        if wanted:
            yield wanted

    def outlet(self, publisher: bytes) -> Outlet:
        return Outlet(self, publisher)

    def payloads(self, topic: str) -> list[contract.EventPayload]:
        return [decode(topic, r.value).payload for r in self.logs.get(topic, [])]


@dataclass
class Outlet:
    """One worker's producer: appends, stamped like ``KafkaOutputs`` stamps records; while
    ``acks`` is given, only once it is set."""

    topics: Topics
    publisher: bytes
    acks: asyncio.Event | None = None
    sends: list[int] = field(default_factory=list)  # records per send
    # The next send gets this many records out, then times out (as with the broker away).
    fail_after: int | None = None
    restarts: int = 0

    async def send_all(self, records: Sequence[OutputRecord]) -> None:
        if self.acks is not None:
            await self.acks.wait()
        self.sends.append(len(records))
        stamp = ((PUBLISHER_HEADER, self.publisher),)
        for number, (topic, key, value) in enumerate(records):
            if number == self.fail_after:
                self.fail_after = None
                raise KafkaTimeoutError("the broker did not answer")
            self.topics.append(topic, key.decode(), value, headers=stamp)

    async def restart(self) -> None:
        self.restarts += 1


def make_worker(
    topics: Topics,
    tmp_path: Path,
    consumer: str = "test-matching",
    outlet: Outlet | None = None,
    collector: FreezingCollector | None = None,
    today: Callable[[], date] = province_today,
) -> MatchingWorker:
    publisher = uuid.uuid4().hex.encode()
    return MatchingWorker(
        MatchingEngine(),
        consumer=consumer,
        outputs=outlet or topics.outlet(publisher),
        logs=topics,
        models_dir=tmp_path / "models",
        feedback_path=tmp_path / "feedback.jsonl",
        publisher=outlet.publisher if outlet else publisher,
        collector=collector,
        today=today,
    )


async def assign(worker: MatchingWorker, topics: Topics, partitions: set[int]) -> None:
    """Give the worker its partitions, its shared topics read to their end, and wait."""
    position = {name: 0 for name in SHARED}

    async def catch_up() -> None:
        for name in SHARED:
            fresh = topics.logs.get(name, [])[position[name] :]
            position[name] += len(fresh)
            if fresh:
                await worker.on_shared_records(fresh)

    task = await worker.on_assigned(partitions, catch_up)
    assert task is not None
    await task


SHARED = (
    COOPERATIVES.name,
    LOAN_PRODUCTS.name,
    FEEDBACK.name,
    SOURCING_MATCHES.name,
    DEAD_LETTER.name,
)


def ginseng_market(topics: Topics) -> tuple[str, str]:
    """One ginseng cooperative and one demand it fits: (demand id, match id)."""
    topics.event(cooperative("c1", product("p1", "Sâm bố chính")))
    topics.event(demand("d1", "b1", "sâm bố chính"))
    return "d1", ids.sourcing_match_id("d1", "c1", "p1")


async def test_nothing_is_published_before_the_rebuild_then_each_match_once(
    tmp_path: Path,
) -> None:
    topics = Topics()
    _, match_id = ginseng_market(topics)
    worker = make_worker(topics, tmp_path)
    await worker.on_shared_records(topics.logs[COOPERATIVES.name])
    assert SOURCING_MATCHES.name not in topics.logs, "published before owning anything"

    await assign(worker, topics, {0, 1, 2})

    found = topics.payloads(SOURCING_MATCHES.name)
    assert [p.match_id for p in found if isinstance(p, contract.SourcingMatchFound)] == [match_id]
    assert worker.ready.is_set()


async def test_a_demand_whose_delivery_ended_is_closed_with_its_matches_retracted(
    tmp_path: Path,
) -> None:
    topics = Topics()
    demand_id, match_id = ginseng_market(topics)  # delivery until 31 August next year
    topics.event(demand("d-over", "b1", "sâm bố chính", delivered_until=date(2026, 1, 31)))
    day = [date(YEAR, 8, 31)]
    worker = make_worker(topics, tmp_path, today=lambda: day[0])
    await assign(worker, topics, {0, 1, 2})
    found = [p for p in topics.payloads(SOURCING_MATCHES.name)]
    assert [p.match_id for p in found] == [match_id], "a demand already over is never ranked"

    await worker.expire_demands()  # still its last day
    assert len(topics.payloads(SOURCING_MATCHES.name)) == 1
    day[0] = date(YEAR, 9, 1)
    await worker.expire_demands()

    [retracted] = topics.payloads(SOURCING_MATCHES.name)[1:]
    assert isinstance(retracted, contract.MatchRetracted)
    assert (retracted.match_id, retracted.reason.code) == (match_id, "delivery_over")
    assert worker.engine.demand(demand_id) is None


async def test_after_a_failed_send_what_the_topic_lacks_is_published_once_and_the_worker_serves(
    tmp_path: Path,
) -> None:
    topics = Topics()
    for number in range(4):
        topics.event(cooperative(f"c{number}", product(f"p{number}", "Sâm bố chính")))
    outlet = Outlet(topics, uuid.uuid4().hex.encode())
    worker = make_worker(topics, tmp_path, outlet=outlet)
    await assign(worker, topics, {0, 1, 2})
    outlet.fail_after = 2  # of the demand's four matches, two get out

    await worker.on_demand_records([topics.event(demand("d1", "b1", "sâm bố chính"))])
    assert not worker.ready.is_set(), "it serves again only once the topics are read back"
    await asyncio.wait_for(worker.ready.wait(), 10)

    found = [
        p.match_id
        for p in topics.payloads(SOURCING_MATCHES.name)
        if isinstance(p, contract.SourcingMatchFound)
    ]
    assert sorted(found) == sorted(
        ids.sourcing_match_id("d1", f"c{n}", f"p{n}") for n in range(4)
    ), "each match exactly once"
    assert outlet.restarts == 1
    # And it goes on: the next demand's matches go out at once.
    await worker.on_demand_records([topics.event(demand("d2", "b1", "sâm bố chính"))])
    assert (
        sum(
            isinstance(p, contract.SourcingMatchFound) and p.demand_id == "d2"
            for p in topics.payloads(SOURCING_MATCHES.name)
        )
        == 4
    )


async def test_a_restarted_worker_publishes_only_what_never_made_it_out(tmp_path: Path) -> None:
    topics = Topics()
    topics.event(cooperative("c1", product("p1", "Sâm bố chính", certifications=["organic"])))
    topics.event(cooperative("c2", product("p2", "Sâm bố chính")))
    topics.event(demand("d1", "b1", "sâm bố chính"))
    topics.event(closed("d0", "b1"))
    first = make_worker(topics, tmp_path)
    await assign(first, topics, {0, 1, 2})
    published = topics.logs[SOURCING_MATCHES.name]
    assert len(published) == 2
    # The second match never made it out before the crash.
    topics.logs[SOURCING_MATCHES.name] = published[:1]

    restarted = make_worker(topics, tmp_path)
    await assign(restarted, topics, {0, 1, 2})

    again = topics.logs[SOURCING_MATCHES.name][1:]
    assert [r.key for r in again] == [published[1].key]


async def test_records_replayed_by_the_rebuild_are_skipped_when_faust_redelivers_them(
    tmp_path: Path,
) -> None:
    topics = Topics()
    topics.event(cooperative("c1", product("p1", "Sâm bố chính", 40.0)))
    posted = topics.event(demand("d1", "b1", "sâm bố chính", 10.0))
    topics.event(demand("d1", "b1", "sâm bố chính", 80.0))  # the same demand, grown
    worker = make_worker(topics, tmp_path)
    await assign(worker, topics, {0, 1, 2})
    before = len(topics.logs[SOURCING_MATCHES.name])

    # faust redelivers from the last commit: applied again, the old version would win.
    await worker.on_demand_records([posted])
    assert len(topics.logs[SOURCING_MATCHES.name]) == before

    await worker.on_demand_records([topics.event(closed("d1", "b1"))])
    last = topics.payloads(SOURCING_MATCHES.name)[-1]
    assert isinstance(last, contract.MatchRetracted) and last.reason.code == "demand_closed"


async def test_demand_records_arriving_during_a_rebuild_are_applied_when_it_ends(
    tmp_path: Path,
) -> None:
    topics = Topics()
    topics.event(cooperative("c1", product("p1", "Sâm bố chính")))
    worker = make_worker(topics, tmp_path)
    late = topics.event(demand("d1", "b1", "sâm bố chính"))
    gate = asyncio.Event()

    async def slow_catch_up() -> None:
        await gate.wait()
        await worker.on_shared_records(topics.logs[COOPERATIVES.name])

    task = await worker.on_assigned({0, 1, 2}, slow_catch_up)
    await worker.on_demand_records([late])  # returns at once, though the rebuild waits
    assert not worker.ready.is_set()
    gate.set()
    assert task is not None
    await task

    found = topics.payloads(SOURCING_MATCHES.name)
    assert [p.demand_id for p in found if isinstance(p, contract.SourcingMatchFound)] == ["d1"]


async def test_each_worker_publishes_its_own_demands_and_the_leads_that_hash_to_it(
    tmp_path: Path,
) -> None:
    topics = Topics()
    topics.event(cooperative("c1", product("p1", "Sâm bố chính")))
    topics.event(loan_product("lp1", "bank1"))
    demand_ids = [f"d{n}" for n in range(12)]
    need_ids = [f"n{n}" for n in range(12)]
    for demand_id in demand_ids:
        topics.event(demand(demand_id, "b1", "sâm bố chính"))
    for need_id in need_ids:
        topics.event(credit_need(need_id, "c1"))
    one = make_worker(topics, tmp_path / "one", consumer="group")
    other = make_worker(topics, tmp_path / "other", consumer="group")

    await assign(one, topics, {0})
    assert {
        partition_of(p.demand_id, PARTITIONS) for p in topics.payloads(SOURCING_MATCHES.name)
    } == {0}
    assert {partition_of(p.lead_id, PARTITIONS) for p in topics.payloads(LOAN_LEADS.name)} == {0}
    await assign(other, topics, {1, 2})

    matches = topics.payloads(SOURCING_MATCHES.name)
    assert sorted(p.demand_id for p in matches) == sorted(demand_ids), "each demand once"
    leads = topics.payloads(LOAN_LEADS.name)
    assert sorted(p.credit_need_id for p in leads) == sorted(need_ids), "each lead once"
    # A bank's leads are scored over all its leads, whichever worker published them.
    assert len({p.lead_id for p in leads if isinstance(p, contract.LoanLeadScored)}) == 12


async def test_a_poison_record_is_dead_lettered_once_though_met_again(tmp_path: Path) -> None:
    topics = Topics()
    poison = topics.append(DEMANDS.name, "bad", b"\x00 not json", partition=1)
    worker = make_worker(topics, tmp_path)
    await assign(worker, topics, {0, 1, 2})
    letters = topics.logs[DEAD_LETTER.name]
    assert len(letters) == 1
    letter = json.loads(letters[0].value or b"")
    assert (letter["topic"], letter["partition"], letter["offset"]) == (DEMANDS.name, 1, 0)
    assert "not UTF-8 JSON" in letter["error"]

    restarted = make_worker(topics, tmp_path)  # reads the letter back before it decides
    await assign(restarted, topics, {0, 1, 2})
    await restarted.on_demand_records([poison])
    assert len(topics.logs[DEAD_LETTER.name]) == 1


async def test_after_a_revocation_the_worker_publishes_nothing_until_reassigned(
    tmp_path: Path,
) -> None:
    topics = Topics()
    ginseng_market(topics)
    worker = make_worker(topics, tmp_path)
    await assign(worker, topics, {0, 1, 2})
    before = len(topics.logs[SOURCING_MATCHES.name])

    await worker.on_revoked()
    topics.event(cooperative("c9", product("p9", "Sâm bố chính loại 1")))
    await worker.on_shared_records(topics.logs[COOPERATIVES.name][-1:])
    assert len(topics.logs[SOURCING_MATCHES.name]) == before

    await assign(worker, topics, {0, 1, 2})
    assert len(topics.logs[SOURCING_MATCHES.name]) > before, "the new match once reassigned"


async def test_lead_decisions_become_examples_in_the_owners_file_once(tmp_path: Path) -> None:
    topics = Topics()
    topics.event(cooperative("c1"))
    topics.event(credit_need("n1", "c1"))
    topics.event(loan_product("lp1", "bank1"))
    worker = make_worker(topics, tmp_path)
    await assign(worker, topics, {0, 1, 2})
    lead_id = ids.lead_id("n1", "lp1")
    decision = topics.event(
        contract.LeadDecisionRecorded(
            lead_id=lead_id,
            bank_id="bank1",
            cooperative_id="c1",
            credit_need_id="n1",
            loan_product_id="lp1",
            decision=contract.LeadDecision.ACCEPTED,
        )
    )
    await worker.on_shared_records([decision])
    restarted = make_worker(topics, tmp_path)  # replays the decision
    await assign(restarted, topics, {0, 1, 2})

    examples = read_examples(tmp_path / "feedback.jsonl")
    assert [(e.kind, e.item_id, e.relevance) for e in examples] == [("lead", lead_id, 2)]
    lines = (tmp_path / "feedback.jsonl").read_text().splitlines()
    assert len(lines) == 1


def test_live_matches_say_when_a_cooperative_gains_its_first_and_loses_its_last_match() -> None:
    def found(match_id: str) -> bytes:
        return json.dumps(
            {"type": "SourcingMatchFound", "payload": {"match_id": match_id, "cooperative_id": "c"}}
        ).encode()

    def retracted(match_id: str) -> bytes:
        return json.dumps(
            {"type": "MatchRetracted", "payload": {"match_id": match_id, "cooperative_id": "c"}}
        ).encode()

    live = LiveMatches()
    assert live.apply(found("m1")) == ("c", True)
    assert live.apply(found("m2")) is None
    assert live.apply(found("m1")) is None  # a re-ranking of a live match
    assert live.apply(retracted("m1")) is None
    assert live.apply(retracted("m2")) == ("c", False)
    assert live.apply(b"\x00junk") is None


@pytest.mark.parametrize("partitions", [1, 3, 12])
def test_partition_of_agrees_with_kafkas_default_partitioner(partitions: int) -> None:
    every = list(range(partitions))
    for key in ("d1", "lead-abc", "Sâm", ids.lead_id("n1", "lp1")):
        # aiokafka's partitioner (faust's), an implementation of its own of the Java client's
        assert partition_of(key, partitions) == DefaultPartitioner()(key.encode(), every, every)


async def test_batches_arriving_while_a_round_is_sent_are_settled_together_next(
    tmp_path: Path,
) -> None:
    topics = Topics()
    topics.event(cooperative("c1", product("p1", "Sâm bố chính", 40.0)))
    topics.event(cooperative("c2", product("p2", "Sâm bố chính", 20.0)))
    outlet = Outlet(topics, b"worker-1")
    worker = make_worker(topics, tmp_path, outlet=outlet)
    await assign(worker, topics, {0, 1, 2})
    outlet.acks = asyncio.Event()  # the broker acknowledges nothing until set
    sends_before = len(outlet.sends)

    first = asyncio.ensure_future(
        worker.on_demand_records([topics.event(demand("d1", "b1", "sâm bố chính"))])
    )
    await asyncio.sleep(0)  # the first round is settled and waits on its send
    later = [topics.event(demand(f"d{n}", "b1", "sâm bố chính")) for n in (2, 3, 4)]
    for record in later:
        # A round is in flight: these are applied and left to the next round.
        await asyncio.wait_for(worker.on_demand_records([record]), timeout=5)
    assert not first.done()
    outlet.acks.set()
    await asyncio.wait_for(first, timeout=5)

    assert outlet.sends[sends_before:] == [2, 6], "d1's round, then d2-d4 in one round"
    found = [
        p
        for p in topics.payloads(SOURCING_MATCHES.name)
        if isinstance(p, contract.SourcingMatchFound)
    ]
    assert sorted({p.demand_id for p in found}) == ["d1", "d2", "d3", "d4"]
    assert len(found) == len({p.match_id for p in found}) == 8, "each match once"


class CountingCollector(FreezingCollector):
    """Notes when the worker would collect; the test process's collector is left alone."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def start(self) -> None:
        self.calls.append("start")

    def between_batches(self) -> None:
        self.calls.append("between")


async def test_garbage_is_collected_after_the_rebuild_and_between_rounds_never_inside(
    tmp_path: Path,
) -> None:
    topics = Topics()
    topics.event(cooperative("c1", product("p1", "Sâm bố chính", 40.0)))
    outlet = Outlet(topics, b"worker-1")
    collector = CountingCollector()
    worker = make_worker(topics, tmp_path, outlet=outlet, collector=collector)
    await assign(worker, topics, {0, 1, 2})
    assert collector.calls[0] == "start"
    del collector.calls[:]

    outlet.acks = asyncio.Event()
    first = asyncio.ensure_future(
        worker.on_demand_records([topics.event(demand("d1", "b1", "sâm bố chính"))])
    )
    await asyncio.sleep(0)
    await worker.on_demand_records([topics.event(demand("d2", "b1", "sâm bố chính"))])
    assert collector.calls == [], "not while a round is out"
    outlet.acks.set()
    await asyncio.wait_for(first, timeout=5)
    assert outlet.sends[-2:] == [1, 1]
    assert collector.calls == ["between", "between"], "after each of the two rounds"


def _lead_buyer(topics: Topics, lead_id: str) -> float:
    scored = [
        p
        for p in topics.payloads(LOAN_LEADS.name)
        if isinstance(p, contract.LoanLeadScored) and p.lead_id == lead_id
    ]
    return scored[-1].components["buyer"]


@pytest.mark.parametrize("same_worker", [True, False])
async def test_a_match_makes_its_cooperative_a_waiting_buyer_whichever_worker_owns_the_lead(
    tmp_path: Path, same_worker: bool
) -> None:
    lead_id = ids.lead_id("n1", "lp1")
    lead_partition = partition_of(lead_id, PARTITIONS)
    demand_id = next(
        f"d{n}"
        for n in range(100)
        if (partition_of(f"d{n}", PARTITIONS) == lead_partition) == same_worker
    )
    topics = Topics()
    topics.event(cooperative("c1", product("p1", "Sâm bố chính")))
    topics.event(loan_product("lp1", "bank1"))
    topics.event(credit_need("n1", "c1"))
    topics.event(demand(demand_id, "b1", "sâm bố chính"))
    owner = make_worker(topics, tmp_path / "owner", consumer="group")
    other = make_worker(topics, tmp_path / "other", consumer="group")
    read_back: list[bytes | None] = []
    live_apply = owner._live.apply

    def spy(raw: bytes | None) -> tuple[str, bool] | None:
        read_back.append(raw)
        return live_apply(raw)

    owner._live.apply = spy  # type: ignore[method-assign]

    demand_partition = partition_of(demand_id, PARTITIONS)
    await assign(owner, topics, {demand_partition})
    await assign(other, topics, set(range(PARTITIONS)) - {demand_partition})
    # The owner reads the topic back: the other's records only, its own it noted as it sent.
    await owner.on_shared_records(topics.logs[SOURCING_MATCHES.name] + topics.logs[LOAN_LEADS.name])

    assert read_back == [], "the demand's owner skipped its own match on the way back"
    assert _lead_buyer(topics, lead_id) == 0.6, "the credit need's cooperative has a buyer"


async def test_a_poison_record_is_dead_lettered_once_though_rounds_follow_each_other(
    tmp_path: Path,
) -> None:
    topics = Topics()
    topics.event(cooperative("c1", product("p1", "Sâm bố chính")))
    outlet = Outlet(topics, b"worker-1")
    worker = make_worker(topics, tmp_path, outlet=outlet)
    await assign(worker, topics, {0, 1, 2})
    outlet.acks = asyncio.Event()  # the broker acknowledges nothing until set
    poison = topics.append(DEMANDS.name, "bad", b"\x00 not json", partition=1)
    first = asyncio.ensure_future(worker.on_demand_records([poison]))
    await asyncio.sleep(0)
    await worker.on_demand_records([topics.event(demand("d1", "b1", "sâm bố chính"))])
    outlet.acks.set()
    await first
    await worker.on_demand_records([topics.event(demand("d2", "b1", "sâm bố chính"))])
    assert len(topics.logs[DEAD_LETTER.name]) == 1
