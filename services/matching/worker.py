"""The matching worker's state, and how events reach the engine and results leave it.

Who owns what, with several workers in one consumer group:

- Demands are split: the group gives each worker some partitions of ``ketnoi.demands.v1``,
  and its engine holds only those demands. Ranking demands is the heavy work; it scales out.
- Everything a demand is scored against, every worker holds in full, read from the start
  outside the group (the GlobalKTable pattern, ``log_reading.SharedStreams``): cooperatives
  and their credit needs, loan products, feedback, and which cooperatives have a live sourcing
  match anywhere (for the leads' buyer component: a worker notes its own matches as it
  publishes them, and reads the others' back from ``ketnoi.sourcing-matches.v1``, skipping
  the records stamped with its own ``PUBLISHER_HEADER``).
- Leads are computed by every worker (credit needs times loan products is small next to
  sourcing), so a bank's ranks are the same everywhere; each lead is published by one worker:
  the one owning partition ``p`` of the demands publishes the leads whose id hashes to ``p``,
  as the producer would partition them on ``ketnoi.loan-leads.v1``.

Recovery, after a start, a crash, a rebalance or a send the broker did not acknowledge: read
the shared topics and the owned demand partitions to their end (publishing nothing; after a
failed send the state is current and nothing is replayed), restore what the output topics say
is published, then ``engine.reconcile()`` publishes the difference, which is exactly what never
made it out, whichever input it came from. Events of the owned partitions already replayed are
skipped when faust delivers them again. So a restart emits nothing twice, and loses nothing.

Every change to the engine happens under one lock. Applying an event only notes what it
leaves to rank (``MatchingEngine.deferred``); ranking and publishing happen in one loop at a
time, which settles everything applied since its last round (group commit). Under load the
rounds grow, and a demand touched by many profile updates is ranked once per round, not once
per update; when idle, the caller that applied settles at once. During a rebuild nothing is
ranked (``reconcile`` ranks everything at its end). Publishing waits for the broker's
acknowledgements (acks=all); input offsets may be committed before the outputs are out, since
recovery never relies on them: it replays the inputs from the start.

A rebuild can take long, so it runs as a task of its own, never inside faust's rebalance
callbacks: aiokafka sends no heartbeats while the assignment callback runs, and the group would
evict a worker that rebuilds there. Meanwhile the agent hands over the records it receives
(``_deferred``) and returns at once, so a following rebalance never waits for a rebuild.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from aiokafka.errors import KafkaError
from kafka.partitioner.default import murmur2

from services.matching import contract_mapping, feedback_file, model_store
from services.matching.consumed import Record
from services.matching.dead_letters import DeadLetters
from services.matching.domain.engine import MatchingEngine
from services.matching.domain.learning import FeedbackExample
from services.matching.domain.proposals import LoanLead, MatchDelta, Retraction, SourcingMatch
from shared.collector import FreezingCollector
from shared.contract import events as contract
from shared.contract.envelope import ContractError, Envelope, decode, encode, wrap
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

log = logging.getLogger(__name__)

PRODUCER = "matching"
PUBLISHER_HEADER = "ketnoi-publisher"  # which worker process published a record
REPLAY_CHUNK = 2000  # events applied at once while rebuilding state

OutputRecord = tuple[str, bytes, bytes]  # topic, key, value


class Outputs(Protocol):
    async def send_all(self, records: Sequence[OutputRecord]) -> None:
        """Send, and return once the broker acknowledged every record; raise a KafkaError
        when it did not (then some of them may be out, and some not)."""

    async def restart(self) -> None:
        """Drop the producer after a failed send; the next send starts a fresh one."""


class Logs(Protocol):
    async def partition_count(self, topic: str) -> int: ...

    def read_to_end(
        self, topic: str, partitions: Collection[int] | None = None
    ) -> AsyncIterator[Sequence[Record]]:
        """The partitions' records from their start up to their end as of the call."""


def partition_of(key: str, partitions: int) -> int:
    """The partition Kafka's default partitioner gives a key."""
    return (murmur2(key.encode("utf-8")) & 0x7FFFFFFF) % partitions


class LiveMatches:
    """Which cooperatives have a live sourcing match on the output topic.

    A worker learns of its own matches as it publishes them (``published``) and of other
    workers' by reading the topic back (``apply``)."""

    def __init__(self) -> None:
        self._cooperative_of: dict[str, str] = {}
        self._count: Counter[str] = Counter()

    def apply(self, raw: bytes | None) -> tuple[str, bool] | None:
        """(cooperative, has a live match now) when a record changes that, else None."""
        try:
            document = json.loads(raw or b"null")
            event_type, payload = document["type"], document["payload"]
            match_id, cooperative_id = str(payload["match_id"]), str(payload["cooperative_id"])
        except (ValueError, TypeError, KeyError):
            return None  # not an event; the contract was checked when it was published
        if event_type == contract.SourcingMatchFound.event_type:
            return self.found(match_id, cooperative_id)
        if event_type == contract.MatchRetracted.event_type:
            return self.retracted(match_id)
        return None

    def published(self, payload: contract.EventPayload) -> tuple[str, bool] | None:
        """The same, for a payload this worker publishes."""
        if isinstance(payload, contract.SourcingMatchFound):
            return self.found(payload.match_id, payload.cooperative_id)
        if isinstance(payload, contract.MatchRetracted) and payload.match_kind == "sourcing":
            return self.retracted(payload.match_id)
        return None

    def found(self, match_id: str, cooperative_id: str) -> tuple[str, bool] | None:
        if match_id in self._cooperative_of:
            return None  # a re-ranking of a live match
        self._cooperative_of[match_id] = cooperative_id
        self._count[cooperative_id] += 1
        return (cooperative_id, True) if self._count[cooperative_id] == 1 else None

    def retracted(self, match_id: str) -> tuple[str, bool] | None:
        owner = self._cooperative_of.pop(match_id, None)
        if owner is None:
            return None
        self._count[owner] -= 1
        if self._count[owner]:
            return None
        del self._count[owner]
        return owner, False


@dataclass
class _Round:
    """What one settling round hands to the producer."""

    records: list[OutputRecord] = field(default_factory=list)
    # What among them goes on the sourcing topic, noted as live matches when sent.
    sourcing: list[contract.EventPayload] = field(default_factory=list)


async def _nothing_to_catch_up() -> None:
    return None


class MatchingWorker:
    def __init__(
        self,
        engine: MatchingEngine,
        *,
        consumer: str,
        outputs: Outputs,
        logs: Logs,
        models_dir: Path,
        feedback_path: Path,
        publisher: bytes = b"",
        collector: FreezingCollector | None = None,
        on_failure: Callable[[BaseException], object] = lambda _: None,
        today: Callable[[], date] = province_today,
    ) -> None:
        self.engine = engine
        self._today = today  # demands whose delivery ended before it are closed
        # Stamped on this process's records (``PUBLISHER_HEADER``): it skips them when it reads
        # the sourcing topic back, having noted them as it published them.
        self.publisher = publisher
        # The engine's state lives for hours: collected between rounds, not inside them.
        self._collector = collector
        self.ready = asyncio.Event()  # set while the worker serves its partitions
        self.published: Counter[str] = Counter()  # records sent, by topic
        self._state = asyncio.Lock()  # every change to the engine
        self._sending = asyncio.Lock()  # a publication in flight
        # Publishing waits while the worker rebuilds; each assignment is a new generation.
        self._rebuilding = True
        self._generation = 0
        self._closed = False
        self._rebuild: asyncio.Task[None] | None = None
        self._on_failure = on_failure
        self._outputs = outputs
        self._logs = logs
        self._models_dir = models_dir
        self._feedback_path = feedback_path
        self._written = feedback_file.written_sources(feedback_path)
        self._letters = DeadLetters(consumer)
        self._live = LiveMatches()
        self._partitions = 0  # of ketnoi.demands.v1, known at the first assignment
        self._owned: set[int] = set()
        self._demand_partition: dict[str, int] = {}  # every demand seen on an owned partition
        self._next_offset: dict[int, int] = {}  # owned partition -> first offset not applied
        self._deferred: list[Record] = []  # demand records received during a rebuild
        self._dirty = False  # applied changes not settled yet
        self._settling = False  # a settling loop runs
        self._pending_feedback: list[Envelope[contract.EventPayload]] = []
        # Reads the shared topics to their end (from the last assignment), for a rebuild.
        self._catch_up: Callable[[], Awaitable[None]] = _nothing_to_catch_up
        # Matches of a failed send, noted live as it went out: checked against the topic.
        self._unsure: list[contract.SourcingMatchFound] = []

    @property
    def owned(self) -> frozenset[int]:
        return frozenset(self._owned)

    def totals(self) -> dict[str, int]:
        """Records published since the start, for the log."""
        return {
            "sourcing": self.published[SOURCING_MATCHES.name],
            "leads": self.published[LOAN_LEADS.name],
            "dead_letters": self.published[DEAD_LETTER.name],
        }

    # --- ownership ------------------------------------------------------------------------

    def _owns(self, topic: str, partition: int) -> bool:
        """Partition ``p`` of the demands is owned through the group; partition ``p`` of the
        shared topics goes with it, for dead-lettering their poison records once."""
        if topic == DEMANDS.name:
            return partition in self._owned
        return bool(self._partitions) and partition % self._partitions in self._owned

    def _owns_lead(self, lead_id: str) -> bool:
        return bool(self._owned) and partition_of(lead_id, self._partitions) in self._owned

    def _owns_output(self, payload: contract.EventPayload) -> bool:
        if isinstance(payload, contract.LoanLeadScored):
            return self._owns_lead(payload.lead_id)
        if isinstance(payload, contract.MatchRetracted) and payload.match_kind == "lead":
            return self._owns_lead(payload.match_id)
        return True  # sourcing: the engine holds only owned demands

    def _owns_item(self, item: SourcingMatch | LoanLead | Retraction) -> bool:
        if isinstance(item, LoanLead):
            return self._owns_lead(item.lead_id)
        if isinstance(item, SourcingMatch) or item.match_kind == "sourcing":
            demand_id = item.demand_id
            return demand_id is not None and self._demand_partition.get(demand_id) in self._owned
        return self._owns_lead(item.match_id)

    def _owns_example(self, example: FeedbackExample) -> bool:
        if example.kind == "lead":
            return self._owns_lead(example.item_id)
        return self._demand_partition.get(example.query_id) in self._owned

    # --- consumed records -----------------------------------------------------------------

    def _decode(self, record: Record) -> Envelope[contract.EventPayload] | None:
        try:
            return decode(record.topic, record.value)
        except ContractError as error:
            self._letters.note_poison(record, error)
            return None

    def _settle(self) -> MatchDelta:
        """What the batch applied changed; nothing while rebuilding, where ``reconcile`` ranks
        everything once the state is whole."""
        return MatchDelta() if self._rebuilding else self.engine.settle()

    def _apply(self, records: Sequence[Record]) -> None:
        """Input events, in order, to the engine (inside ``deferred``); poison records are
        noted for dead-lettering."""
        events: list[tuple[contract.EventPayload, date]] = []
        for record in records:
            envelope = self._decode(record)
            if envelope is None:
                continue
            if record.topic == DEMANDS.name:
                self._demand_partition[envelope.key] = record.partition
            events.append((envelope.payload, envelope.occurred_at.date()))
        contract_mapping.route_events(self.engine, events)

    def _apply_demands(self, records: Sequence[Record]) -> None:
        """Demand records of owned partitions not applied yet (faust redelivers from the last
        commit, and the rebuild may have replayed them)."""
        fresh = [
            r
            for r in records
            if r.partition in self._owned and r.offset >= self._next_offset.get(r.partition, 0)
        ]
        self._apply(fresh)
        for record in fresh:
            self._next_offset[record.partition] = record.offset + 1

    def _apply_feedback(self, record: Record) -> tuple[str, list[FeedbackExample]]:
        """(source event id, examples to write) for a feedback record (inside ``deferred``)."""
        envelope = self._decode(record)
        if envelope is None:
            return "", []
        examples = self._feedback(envelope)
        if self._rebuilding:
            # Examples need what was published, restored at the end of the rebuild: the
            # rebuild derives them again then.
            self._pending_feedback.append(envelope)
            return "", []
        return str(envelope.event_id), examples

    def _feedback(self, envelope: Envelope[contract.EventPayload]) -> list[FeedbackExample]:
        applied = contract_mapping.apply_event(
            self.engine, envelope.payload, envelope.occurred_at.date()
        )
        source = str(envelope.event_id)
        return [
            example
            for example in applied.feedback
            if self._owns_example(example) and (source, example.item_id) not in self._written
        ]

    async def on_demand_records(self, records: Sequence[Record]) -> None:
        """A batch of the owned demand partitions, from the faust agent."""
        if self._rebuilding:
            self._deferred.extend(records)  # the rebuild applies them; never wait here
            return
        async with self._state:
            if self._rebuilding:
                self._deferred.extend(records)
                return
            with self.engine.deferred():
                self._apply_demands(records)
        await self._publish_pending()

    async def on_shared_records(self, records: Sequence[Record]) -> None:
        """A batch of the topics every worker reads in full."""
        async with self._state:
            examples: list[tuple[str, list[FeedbackExample]]] = []
            inputs: list[Record] = []
            with self.engine.deferred():
                for record in records:
                    if record.topic in (COOPERATIVES.name, LOAN_PRODUCTS.name):
                        inputs.append(record)
                        continue
                    self._apply(inputs)
                    inputs = []
                    if record.topic == FEEDBACK.name:
                        source, found = self._apply_feedback(record)
                        if found:
                            examples.append((source, found))
                    elif record.topic == SOURCING_MATCHES.name:
                        if self._published_here(record):
                            continue  # noted when it was published
                        change = self._live.apply(record.value)
                        if change is not None:
                            self.engine.note_published_match(*change)
                    elif record.topic == DEAD_LETTER.name:
                        self._letters.note_letter(record.value)
                self._apply(inputs)
            for source, found in examples:
                self._write_examples(source, found)
        await self._publish_pending()

    # --- publishing -----------------------------------------------------------------------

    async def _publish_pending(self) -> None:
        """Rank and publish what was applied, unless a settling loop already runs: it goes
        round again and takes these changes too."""
        self._dirty = True
        if self._settling:
            return
        self._settling = True
        try:
            while self._dirty and not self._rebuilding:
                self._dirty = False
                async with self._state:
                    generation = self._generation
                    output = self._output(self._settle())
                # Sent outside the lock: the next changes are applied meanwhile.
                await self._send(output, generation)
                if self._collector is not None:
                    self._collector.between_batches()
        finally:
            self._settling = False

    async def _publish(self, delta: MatchDelta) -> int:
        """Send what changed and is this worker's to send, with the dead letters due; nothing
        while rebuilding (the rebuild's reconciling sends it then). Returns the count sent.
        What its own matches change for leads is left to the settling loop."""
        if self._rebuilding:
            return 0
        return await self._send(self._output(delta), self._generation)

    def _output(self, delta: MatchDelta) -> _Round:
        output = _Round()
        for topic, payload in contract_mapping.delta_events(delta):
            if self._owns_output(payload):
                envelope = wrap(payload, PRODUCER)
                output.records.append((topic, envelope.key.encode(), encode(topic, envelope)))
                if topic == SOURCING_MATCHES.name:
                    output.sourcing.append(payload)
        return output

    def _published_here(self, record: Record) -> bool:
        return bool(self.publisher) and (PUBLISHER_HEADER, self.publisher) in record.headers

    async def _send(self, output: _Round, generation: int) -> int:
        """Send a round, with the dead letters due, and wait for the acknowledgements."""
        async with self._sending:
            if self._rebuilding or generation != self._generation:
                # A rebalance began while this was prepared; the rebuild restores what was
                # really published and reconciles, so nothing is lost.
                return 0
            letters = list(self._letters.due(self._owns))
            records = output.records + [
                (DEAD_LETTER.name, (letter.key or "").encode(), letter.to_bytes())
                for letter in letters
            ]
            if not records:
                return 0
            self._note_live(output.sourcing)
            try:
                await self._outputs.send_all(records)
            except (TimeoutError, KafkaError) as error:
                self._republish(error, output.sourcing)
                return 0
            for letter in letters:
                self._letters.sent(letter)
        self.published.update(topic for topic, _, _ in records)
        return len(records)

    def _note_live(self, sourcing: Sequence[contract.EventPayload]) -> None:
        """This worker's own matches, as they go out (it skips them when reading the topic
        back). No await runs between the generation check and here, so this is the state the
        lock's holder left; what it changes for leads is ranked in the next round."""
        changes = [change for p in sourcing if (change := self._live.published(p)) is not None]
        if changes:
            with self.engine.deferred():
                for change in changes:
                    self.engine.note_published_match(*change)
            self._dirty = True

    def _write_examples(self, source: str, examples: Sequence[FeedbackExample]) -> None:
        fresh = [e for e in examples if (source, e.item_id) not in self._written]
        if fresh:
            feedback_file.append_examples(self._feedback_path, fresh, source=source)
            self._written.update((source, e.item_id) for e in fresh)

    def _republish(self, error: BaseException, unsure: Sequence[contract.EventPayload]) -> None:
        """A send failed (the broker away longer than the producer waits, say): which of its
        records are out is unknown, and the producer's idempotent session is out of step with
        the broker. Publish nothing until the output topics are read back and reconciled, as
        after a restart but without the replay (the state is current), once the broker
        answers. Until then, records that come in wait, as during any rebuild."""
        log.warning("publishing failed (%r); publishing again once the broker answers", error)
        self._rebuilding = True
        self.ready.clear()
        self._generation += 1
        self._unsure.extend(p for p in unsure if isinstance(p, contract.SourcingMatchFound))
        self._rebuild = asyncio.ensure_future(self._recover(self._generation))
        self._rebuild.add_done_callback(self._rebuilt)

    async def _recover(self, generation: int) -> None:
        delay = 1.0
        while generation == self._generation and not self._closed:
            try:
                await self._outputs.restart()
                await self._take_over(set(self._owned), self._catch_up, generation)
                return
            except (TimeoutError, KafkaError, OSError) as error:
                log.warning("the broker is still away (%r); trying again in %.0f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    def _forget_unsent(self, published: Sequence[SourcingMatch | LoanLead | Retraction]) -> None:
        """Matches noted live as a failed send went out that the topic does not hold: not
        live after all (``reconcile`` publishes them again if they still hold)."""
        unsure, self._unsure = self._unsure, []
        if not unsure:
            return
        out: set[str] = set()
        for item in published:
            if isinstance(item, SourcingMatch):
                out.add(item.match_id)
            elif isinstance(item, Retraction) and item.match_kind == "sourcing":
                out.discard(item.match_id)
        changes = [
            change
            for payload in unsure
            if payload.match_id not in out
            if (change := self._live.retracted(payload.match_id)) is not None
        ]
        with self.engine.deferred():
            for change in changes:
                self.engine.note_published_match(*change)

    async def _stop_publishing(self) -> None:
        self._rebuilding = True
        self.ready.clear()
        async with self._sending:
            pass  # a publication in flight is acknowledged before the partitions move

    # --- rebalancing ----------------------------------------------------------------------

    async def close(self) -> None:
        """The process stops: publish nothing more."""
        self._closed = True
        await self._stop_publishing()

    async def on_revoked(self) -> None:
        """A rebalance begins: publish nothing until the next assignment is rebuilt."""
        self._generation += 1
        await self._stop_publishing()

    async def on_assigned(
        self, partitions: Collection[int], catch_up: Callable[[], Awaitable[None]]
    ) -> asyncio.Task[None] | None:
        """Take over ``partitions`` of the demands (the whole new assignment), in a task.

        ``catch_up`` reads the shared topics to their current end; it runs outside the lock,
        since those records come in through ``on_shared_records``.
        """
        self._generation += 1
        await self._stop_publishing()
        if self._closed:
            return None  # shutting down: a rebalance now must not start anything
        self._catch_up = catch_up
        self._rebuild = asyncio.ensure_future(
            self._take_over(set(partitions), catch_up, self._generation)
        )
        self._rebuild.add_done_callback(self._rebuilt)
        return self._rebuild

    def _rebuilt(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            assert error is not None
            log.error("rebuilding the worker's state failed", exc_info=error)
            self._on_failure(error)

    async def _take_over(
        self, wanted: set[int], catch_up: Callable[[], Awaitable[None]], generation: int
    ) -> None:
        if not self._partitions:
            self._partitions = await self._logs.partition_count(DEMANDS.name)
        await catch_up()
        async with self._state:
            if generation != self._generation or self._closed:
                return  # a newer assignment came; its own rebuild does the work
            self._forget(self._owned - wanted)
            new = wanted - self._owned
            self._owned = wanted
            # Before the replay, so demands already over are never ranked; what this changes
            # for demands held already, ``reconcile`` publishes below.
            self.engine.expire_demands(self._today())
            replayed = await self._replay(new)
            if generation != self._generation or self._closed:
                return
            items = [item async for item in self._published_items() if self._owns_item(item)]
            self.engine.restore_published(items)
            self._forget_unsent(items)
            deferred, self._deferred = self._deferred, []
            with self.engine.deferred():
                self._apply_demands(deferred)
            delta = self.engine.reconcile()
            pending = self._examples_of_pending_feedback()
            async with self._sending:
                if generation != self._generation or self._closed:
                    return
                self._rebuilding = False
            sent = await self._publish(delta)
            for source, found in pending:
                self._write_examples(source, found)
            if generation != self._generation:
                return  # publishing failed: the recovery it started serves from here
            if self._collector is not None:
                self._collector.start()  # the state just rebuilt, scanned once and frozen
            self.ready.set()
        log.info(
            "serving partitions %s of %s: replayed %d events, restored %d published records, "
            "published %d after reconciling",
            sorted(wanted),
            DEMANDS.name,
            replayed,
            len(items),
            sent,
        )
        if self._dirty:
            await self._publish_pending()  # leads that its own matches changed

    def _forget(self, partitions: set[int]) -> None:
        """Drop the demands of partitions another worker now owns (their matches are its)."""
        if not partitions:
            return
        for demand_id, partition in list(self._demand_partition.items()):
            if partition in partitions:
                self.engine.close_demand(demand_id)  # what it returns is the new owner's
                del self._demand_partition[demand_id]
        for partition in partitions:
            self._next_offset.pop(partition, None)

    async def _replay(self, partitions: set[int]) -> int:
        """Apply the demands of newly owned partitions from their start, publishing nothing."""
        if not partitions:
            return 0
        replayed = 0
        async for batch in self._logs.read_to_end(DEMANDS.name, partitions):
            with self.engine.deferred():  # ranked once, by ``reconcile``
                for start in range(0, len(batch), REPLAY_CHUNK):
                    self._apply_demands(batch[start : start + REPLAY_CHUNK])
            replayed += len(batch)
        return replayed

    async def _published_items(self) -> AsyncIterator[SourcingMatch | LoanLead | Retraction]:
        for topic in (SOURCING_MATCHES.name, LOAN_LEADS.name):
            async for batch in self._logs.read_to_end(topic):
                for record in batch:
                    try:
                        payload = decode(record.topic, record.value).payload
                    except ContractError as error:
                        log.warning("unreadable output %s@%s: %s", topic, record.offset, error)
                        continue
                    item = contract_mapping.published_item(payload)
                    if item is not None:
                        yield item

    def _examples_of_pending_feedback(self) -> list[tuple[str, list[FeedbackExample]]]:
        pending, self._pending_feedback = self._pending_feedback, []
        found = []
        for envelope in pending:
            examples = self._feedback(envelope)  # the state changes were applied already
            if examples:
                found.append((str(envelope.event_id), examples))
        return found

    # --- days ----------------------------------------------------------------------------

    async def expire_demands(self) -> None:
        """Close the demands whose delivery ended before today (the province's date), and
        publish the retraction of their matches. Called every hour; within a day it publishes
        nothing."""
        async with self._state:
            await self._publish(self.engine.expire_demands(self._today()))
        if self._dirty:
            await self._publish_pending()

    # --- models ---------------------------------------------------------------------------

    async def refresh_models(self) -> None:
        """Score with the newest trained models once ``ketnoi train`` saved new versions."""
        sourcing, lead = model_store.models_in_use(self._models_dir)
        current = (self.engine.sourcing_model.version, self.engine.lead_model.version)
        if (sourcing.version, lead.version) == current:
            return
        async with self._state:
            log.info("scoring with %s and %s from now on", sourcing.version, lead.version)
            await self._publish(self.engine.use_models(sourcing, lead))
        if self._dirty:
            await self._publish_pending()
