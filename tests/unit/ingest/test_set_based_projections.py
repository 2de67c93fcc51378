"""The hot projections store a poll's events set-based (``apply_all``): the same table as ``apply``
on each event in order, whatever the batches, timestamps (equal, out of order) and replays."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Table, delete, event, select
from sqlalchemy.orm import Session

from services.banks.orm import LeadRow
from services.banks.repository import LeadsProjection
from services.banks.service import SPEC as BANKS
from services.businesses import orm as businesses_orm
from services.businesses.service import SPEC as BUSINESSES
from services.conferences.candidate_pairs import CandidatePairs
from services.conferences.orm import CandidatePairRow
from services.conferences.service import SPEC as CONFERENCES
from shared.contract.envelope import Envelope
from shared.contract.events import EventPayload
from shared.storage import latest_rows
from shared.storage.database import Database
from shared.storage.projections import BatchProjection, ProjectingHandler
from shared.storage.sourcing_matches import SourcingMatches
from shared.web.service import ServiceSpec
from tests.unit.ingest import read_models
from tests.unit.ingest.read_models import found, retracted, scored

IDS = ("m-1", "m-2", "m-3", "m-4")
SCORES = (0.2, 0.4, 0.6, 0.8)


@dataclass(frozen=True)
class Case:
    """A projection, the table it keeps, and how to make its events."""

    spec: ServiceSpec
    make: Callable[[], BatchProjection]
    table: Table
    key: str
    events: Callable[[str, str, float], EventPayload]


def _sourcing(kind: str, match_id: str, score: float) -> EventPayload:
    if kind == "found":
        return found(match_id, "d-1", f"coop-{match_id}", score)
    # A lead retraction with the same id is not this projection's.
    return retracted(match_id, "sourcing" if kind == "retracted" else "lead")


def _lead(kind: str, lead_id: str, score: float) -> EventPayload:
    if kind == "found":
        return scored(lead_id, "bank-1", score)
    return retracted(lead_id, "lead" if kind == "retracted" else "sourcing")


def _pair(kind: str, match_id: str, score: float) -> EventPayload:
    # Sourcing matches and leads alike; every retraction counts.
    if kind == "found":
        return found(match_id, "d-1", "coop-1", score)
    if kind == "retracted":
        return retracted(match_id)
    return scored(match_id, "bank-1", score)


CASES = {
    "sourcing matches": Case(
        BUSINESSES,
        lambda: SourcingMatches(businesses_orm.sourcing_matches),
        businesses_orm.sourcing_matches,
        "match_id",
        _sourcing,
    ),
    "loan leads": Case(
        BANKS,
        LeadsProjection,
        LeadRow.__table__,
        "lead_id",
        _lead,  # type: ignore[arg-type]
    ),
    "candidate pairs": Case(
        CONFERENCES,
        CandidatePairs,
        CandidatePairRow.__table__,  # type: ignore[arg-type]
        "match_id",
        _pair,
    ),
}


@dataclass
class Pair:
    """Two databases of one service: one fed event by event, one batch by batch."""

    case: Case
    one_by_one: Database
    batched: Database


@pytest.fixture(scope="module", params=list(CASES))
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pair]:
    case = CASES[request.param]
    folder: Path = tmp_path_factory.mktemp(request.param.replace(" ", "-"))
    (folder / "a").mkdir()
    (folder / "b").mkdir()
    databases = Pair(
        case,
        read_models.migrated(case.spec, folder / "a"),
        read_models.migrated(case.spec, folder / "b"),
    )
    yield databases
    databases.one_by_one.dispose()
    databases.batched.dispose()


def _rows(database: Database, case: Case) -> list[tuple[Any, ...]]:
    with database.sessions() as session:
        query = select(case.table).order_by(case.table.c[case.key])
        return [tuple(row) for row in session.execute(query)]


def _clear(database: Database, table: Table) -> None:
    with database.sessions.begin() as session:
        session.execute(delete(table))


steps = st.lists(
    st.tuples(
        st.sampled_from(IDS),
        st.sampled_from(("found", "found", "retracted", "other")),
        st.integers(min_value=0, max_value=4),  # minutes: few, so many times are equal
        st.sampled_from(SCORES),
    ),
    min_size=1,
    max_size=30,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=steps, cuts=st.lists(st.integers(min_value=0, max_value=30), max_size=6))
def test_batches_store_what_events_one_by_one_store(
    pair: Pair, steps: list[tuple[str, str, int, float]], cuts: list[int]
) -> None:
    assert_batches_store_what_events_one_by_one_store(pair, steps, cuts)


def assert_batches_store_what_events_one_by_one_store(
    pair: Pair, steps: list[tuple[str, str, int, float]], cuts: list[int]
) -> None:
    """Also run on PostgreSQL by tests/integration/ingest/test_set_based_projections_pg.py."""
    case = pair.case
    _clear(pair.one_by_one, case.table)
    _clear(pair.batched, case.table)
    events = [
        read_models.event(case.events(kind, key, score), minute)
        for key, kind, minute, score in steps
    ]

    projection = case.make()
    for _topic, envelope in events:
        with pair.one_by_one.sessions.begin() as session:
            projection.apply(session, envelope)
    expected = _rows(pair.one_by_one, case)

    handler = ProjectingHandler(pair.batched, [case.make()])
    bounds = [0, *sorted({cut for cut in cuts if 0 < cut < len(events)}), len(events)]
    for start, end in itertools.pairwise(bounds):
        handler.handle_batch(events[start:end])
    assert _rows(pair.batched, case) == expected

    # The whole sequence redelivered. Events in time order change nothing then; out of order,
    # a retraction that came before its match was found now counts (so it does one by one).
    handler.handle_batch(events)
    for _topic, envelope in events:
        with pair.one_by_one.sessions.begin() as session:
            projection.apply(session, envelope)
    assert _rows(pair.batched, case) == _rows(pair.one_by_one, case)
    if [minute for _key, _kind, minute, _score in steps] == sorted(
        minute for _key, _kind, minute, _score in steps
    ):
        assert _rows(pair.batched, case) == expected


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=steps, cuts=st.lists(st.integers(min_value=0, max_value=30), max_size=6))
def test_a_redelivered_batch_of_events_in_time_order_changes_nothing(
    pair: Pair, steps: list[tuple[str, str, int, float]], cuts: list[int]
) -> None:
    case = pair.case
    _clear(pair.batched, case.table)
    in_time_order = sorted(steps, key=lambda step: step[2])  # equal times stay as drawn
    events = [
        read_models.event(case.events(kind, key, score), minute)
        for key, kind, minute, score in in_time_order
    ]
    handler = ProjectingHandler(pair.batched, [case.make()])
    bounds = [0, *sorted({cut for cut in cuts if 0 < cut < len(events)}), len(events)]
    for start, end in itertools.pairwise(bounds):
        handler.handle_batch(events[start:end])
    stored = _rows(pair.batched, case)
    for start, end in itertools.pairwise(bounds):
        handler.handle_batch(events[start:end])
    handler.handle_batch(events)
    assert _rows(pair.batched, case) == stored


def test_the_rule_holds_in_a_batch_against_stored_rows(tmp_path: Path) -> None:
    """A hand-made case, so that a fold that ignores the stored rows fails plainly."""
    database = read_models.migrated(BUSINESSES, tmp_path)
    handler = ProjectingHandler(database, [SourcingMatches(businesses_orm.sourcing_matches)])
    table = businesses_orm.sourcing_matches
    try:
        handler.handle_batch(
            [
                read_models.event(found("m-old", "d-1", "coop-a", 0.5), 5),
                read_models.event(found("m-live", "d-1", "coop-b", 0.5), 5),
            ]
        )
        handler.handle_batch(
            [
                read_models.event(found("m-old", "d-1", "coop-a", 0.9), 4),  # older: ignored
                read_models.event(retracted("m-old"), 3),  # older: ignored
                read_models.event(retracted("m-live"), 5),  # as new: retracted
                read_models.event(retracted("m-unknown"), 6),  # unknown: nothing
                read_models.event(found("m-live", "d-1", "coop-b", 0.7), 5),  # live again
                read_models.event(retracted("m-live"), 4),  # older: ignored
            ]
        )
        with database.sessions() as session:
            rows = {
                row.match_id: (row.score, row.retracted)
                for row in session.execute(
                    select(table.c.match_id, table.c.score, table.c.retracted)
                )
            }
        assert rows == {"m-old": (0.5, False), "m-live": (0.7, False)}
    finally:
        database.dispose()


def test_a_poll_is_a_few_statements_not_two_per_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(latest_rows, "IN_CHUNK", 100)
    database = read_models.migrated(BUSINESSES, tmp_path)
    assert BUSINESSES.consumer is not None
    handler = BUSINESSES.consumer.handler(database)
    statements: list[tuple[str, int]] = []

    def count(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        statements.append((statement.split()[0].upper(), len(parameters) if executemany else 1))

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        first = [read_models.event(found(f"m-{n}", "d-1", f"c-{n}", 0.5), 1) for n in range(250)]
        handler.handle_batch(first)
        assert statements == [("SELECT", 1)] * 3 + [("INSERT", 250)]

        statements.clear()
        second: list[tuple[str, Envelope[EventPayload]]] = [
            read_models.event(found(f"m-{n}", "d-1", f"c-{n}", 0.6), 2) for n in range(0, 250, 2)
        ]
        second += [read_models.event(retracted(f"m-{n}"), 2) for n in range(1, 250, 2)]
        second += [read_models.event(found("m-new", "d-1", "c-new", 0.6), 2)]
        handler.handle_batch(second)
        assert statements == [
            ("SELECT", 1),
            ("SELECT", 1),
            ("SELECT", 1),
            ("INSERT", 1),
            ("UPDATE", 125),
            ("UPDATE", 125),
        ]
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
        database.dispose()


def test_the_handler_hands_the_batch_to_apply_all_and_events_to_the_others(
    tmp_path: Path,
) -> None:
    calls: list[tuple[str, int]] = []

    class Batched:
        def apply(self, session: Session, envelope: Envelope[Any]) -> None:
            calls.append(("apply", 1))

        def apply_all(self, session: Session, envelopes: Sequence[Envelope[Any]]) -> None:
            calls.append(("apply_all", len(envelopes)))

    class Plain:
        def apply(self, session: Session, envelope: Envelope[Any]) -> None:
            calls.append(("plain", 1))

    database = read_models.migrated(BUSINESSES, tmp_path)
    try:
        batch = [read_models.event(found(f"m-{n}", "d-1", "c", 0.5), 1) for n in range(3)]
        ProjectingHandler(database, [Batched(), Plain()]).handle_batch(batch)
    finally:
        database.dispose()
    assert calls == [("apply_all", 3), ("plain", 1), ("plain", 1), ("plain", 1)]
