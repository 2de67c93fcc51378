"""Ranks are worked out when read, as the contract says: a demand's live matches by score, ties
by cooperative id then product id; a bank's live leads by score, ties by lead id."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.banks.repository import Leads
from services.banks.service import SPEC as BANKS
from services.businesses import orm as businesses_orm
from services.businesses.service import SPEC as BUSINESSES
from services.cooperatives import orm as cooperatives_orm
from services.cooperatives.service import SPEC as COOPERATIVES
from shared.storage.database import Database
from shared.storage.projections import projecting_handler
from shared.storage.sourcing_matches import RankedMatch, SourcingMatches
from tests.unit.ingest.read_models import event, found, migrated, retracted, scored


def _ranked(ranked: list[RankedMatch]) -> list[tuple[str, int]]:
    return [(item.found["match_id"], item.rank) for item in ranked]


@pytest.fixture
def businesses(tmp_path: Path) -> Iterator[Database]:
    database = migrated(BUSINESSES, tmp_path)
    yield database
    database.dispose()


@pytest.fixture
def cooperatives(tmp_path: Path) -> Iterator[Database]:
    database = migrated(COOPERATIVES, tmp_path)
    yield database
    database.dispose()


@pytest.fixture
def banks(tmp_path: Path) -> Iterator[Database]:
    database = migrated(BANKS, tmp_path)
    yield database
    database.dispose()


MATCHES = [
    found("m-half-b", "d-1", "coop-b", 0.5, "prod-0"),
    found("m-best", "d-1", "coop-a", 0.9, "prod-2"),
    found("m-mid", "d-1", "coop-c", 0.7),
    found("m-gone", "d-1", "coop-d", 0.95),  # retracted below: it has no place
    found("m-half-a1", "d-1", "coop-a", 0.5, "prod-1"),
    found("m-half-a0", "d-1", "coop-a", 0.5, "prod-0"),
    found("m-other", "d-2", "coop-a", 0.3),  # another demand: ranked among its own
    found("m-other-top", "d-2", "coop-z", 0.99),
]
D1_RANKING = [
    ("m-best", 1),
    ("m-mid", 2),
    ("m-half-a0", 3),  # 0.5: coop-a before coop-b (whatever the product), then by product
    ("m-half-a1", 4),
    ("m-half-b", 5),
]


def _store_matches(database: Database, matches: SourcingMatches) -> None:
    events = [event(match, minute) for minute, match in enumerate(MATCHES)]
    events.append(event(retracted("m-gone"), 30))
    projecting_handler(database, [matches]).handle_batch(events)


def test_a_demands_live_matches_rank_by_score_then_cooperative_then_product(
    businesses: Database,
) -> None:
    matches = SourcingMatches(businesses_orm.sourcing_matches)
    _store_matches(businesses, matches)
    with businesses.sessions() as session:
        assert _ranked(matches.for_demand(session, "d-1", 20)) == D1_RANKING
        assert _ranked(matches.for_demand(session, "d-1", 2)) == D1_RANKING[:2]
        assert _ranked(matches.for_demand(session, "d-2", 20)) == [
            ("m-other-top", 1),
            ("m-other", 2),
        ]


def test_a_rank_moves_when_a_match_above_it_comes_or_goes_with_no_event_for_it(
    businesses: Database,
) -> None:
    matches = SourcingMatches(businesses_orm.sourcing_matches)
    _store_matches(businesses, matches)
    handler = projecting_handler(businesses, [matches])
    handler.handle_batch([event(found("m-new", "d-1", "coop-e", 0.8), 40)])
    with businesses.sessions() as session:
        assert _ranked(matches.for_demand(session, "d-1", 3)) == [
            ("m-best", 1),
            ("m-new", 2),
            ("m-mid", 3),
        ]
    handler.handle_batch([event(retracted("m-best"), 41), event(retracted("m-new"), 41)])
    with businesses.sessions() as session:
        assert _ranked(matches.for_demand(session, "d-1", 1)) == [("m-mid", 1)]


def test_a_cooperative_sees_its_place_in_each_demands_ranking(cooperatives: Database) -> None:
    matches = SourcingMatches(cooperatives_orm.sourcing_matches)
    _store_matches(cooperatives, matches)
    with cooperatives.sessions() as session:
        # Best score first; each rank is the match's place among its demand's live matches.
        assert _ranked(matches.for_cooperative(session, "coop-a", 20)) == [
            ("m-best", 1),
            ("m-half-a0", 3),
            ("m-half-a1", 4),
            ("m-other", 2),
        ]
        assert _ranked(matches.for_cooperative(session, "coop-b", 20)) == [("m-half-b", 5)]
        assert _ranked(matches.for_cooperative(session, "coop-d", 20)) == []  # retracted
        assert _ranked(matches.for_cooperative(session, "coop-a", 1)) == [("m-best", 1)]


def test_a_banks_live_leads_rank_by_score_then_lead_id(banks: Database) -> None:
    assert BANKS.consumer is not None
    handler = BANKS.consumer.handler(banks)
    leads = [
        scored("lead-c", "bank-1", 0.5),
        scored("lead-a", "bank-1", 0.9),
        scored("lead-b", "bank-1", 0.7),
        scored("lead-gone", "bank-1", 0.95),
        scored("lead-b2", "bank-1", 0.7),  # ties with lead-b: after it by id
        scored("lead-z", "bank-2", 0.6),  # another bank: ranked among its own
    ]
    handler.handle_batch(
        [event(lead, minute) for minute, lead in enumerate(leads)]
        + [event(retracted("lead-gone", "lead"), 30)]
    )
    with banks.sessions() as session:
        repository = Leads(session)
        best = [(row.lead_id, rank) for row, rank in repository.best("bank-1", 20)]
        assert best == [("lead-a", 1), ("lead-b", 2), ("lead-b2", 3), ("lead-c", 4)]
        assert [(row.lead_id, rank) for row, rank in repository.best("bank-1", 2)] == best[:2]
        everyone = [(row.lead_id, rank) for row, rank in repository.best(None, 20)]
        assert everyone == [
            ("lead-a", 1),
            ("lead-b", 2),
            ("lead-b2", 3),
            ("lead-z", 1),
            ("lead-c", 4),
        ]
        for lead_id, rank in best:
            row = repository.get(lead_id)
            assert row is not None
            assert repository.rank(row) == rank
        gone = repository.get("lead-gone")
        assert gone is not None
        assert repository.rank(gone) == 1  # where its score would place it
