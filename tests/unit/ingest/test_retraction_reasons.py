"""A retraction's reason is kept with the retracted row (the sourcing matches of the businesses and
cooperatives services, the banks' leads), cleared when a later found event makes the row live
again, and read back: a lead by its id, a cooperative's or a demand's withdrawn matches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, event, select

from services.banks import views as bank_views
from services.banks.orm import LeadRow
from services.banks.repository import Leads, LeadsProjection
from services.banks.service import SPEC as BANKS
from services.businesses import orm as businesses_orm
from services.businesses.service import SPEC as BUSINESSES
from services.cooperatives import orm as cooperatives_orm
from services.cooperatives.service import SPEC as COOPERATIVES
from shared.contract.values import Reason
from shared.storage.database import Database
from shared.storage.projections import ProjectingHandler
from shared.storage.sourcing_matches import SourcingMatches
from shared.web.service import ServiceSpec
from tests.unit.ingest.read_models import (
    EXPIRED,
    FEW_MEMBERS,
    REMOVED,
    START,
    found,
    migrated,
    retracted,
    scored,
)
from tests.unit.ingest.read_models import event as at_minute


def _reason(reason: Reason) -> dict[str, Any]:
    return reason.model_dump(mode="json")


@pytest.fixture(params=["businesses", "cooperatives"])
def matches_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Database, Table]]:
    spec: ServiceSpec = BUSINESSES if request.param == "businesses" else COOPERATIVES
    orm = businesses_orm if request.param == "businesses" else cooperatives_orm
    database = migrated(spec, tmp_path)
    yield database, orm.sourcing_matches
    database.dispose()


@pytest.fixture
def banks(tmp_path: Path) -> Iterator[Database]:
    database = migrated(BANKS, tmp_path)
    yield database
    database.dispose()


def _states(database: Database, table: Table) -> dict[str, tuple[bool, Any]]:
    with database.sessions() as session:
        rows = session.execute(
            select(table.c.match_id, table.c.retracted, table.c.retraction_reason)
        )
        return {row.match_id: (row.retracted, row.retraction_reason) for row in rows}


def _all_rows(database: Database, table: Table) -> list[tuple[Any, ...]]:
    with database.sessions() as session:
        return [tuple(row) for row in session.execute(select(table).order_by(table.c[0]))]


def test_a_retraction_keeps_its_reason_and_a_later_found_clears_it(
    matches_db: tuple[Database, Table],
) -> None:
    database, table = matches_db
    handler = ProjectingHandler(database, [SourcingMatches(table)])
    handler.handle_batch(
        [
            at_minute(found("m-1", "d-1", "coop-a", 0.5), 1),
            at_minute(found("m-2", "d-1", "coop-b", 0.6), 1),
            at_minute(found("m-3", "d-1", "coop-c", 0.7), 1),
            at_minute(retracted("m-2", reason=EXPIRED), 2),
        ]
    )
    assert _states(database, table) == {
        "m-1": (False, None),
        "m-2": (True, _reason(EXPIRED)),
        "m-3": (False, None),
    }
    # Found -> retracted -> found again, within one batch and across batches: live, no reason.
    handler.handle_batch(
        [
            at_minute(retracted("m-3", reason=REMOVED), 3),
            at_minute(found("m-3", "d-1", "coop-c", 0.8), 4),
            at_minute(found("m-2", "d-1", "coop-b", 0.6), 3),
            at_minute(retracted("m-1", reason=REMOVED), 2),
            at_minute(retracted("m-1", reason=EXPIRED), 3),  # the newer retraction's reason wins
        ]
    )
    assert _states(database, table) == {
        "m-1": (True, _reason(EXPIRED)),
        "m-2": (False, None),
        "m-3": (False, None),
    }


def test_an_older_or_unknown_retraction_changes_no_reason(
    matches_db: tuple[Database, Table],
) -> None:
    database, table = matches_db
    handler = ProjectingHandler(database, [SourcingMatches(table)])
    handler.handle_batch(
        [
            at_minute(found("m-1", "d-1", "coop-a", 0.5), 5),
            at_minute(retracted("m-2", reason=REMOVED), 5),
        ]
    )
    handler.handle_batch([at_minute(retracted("m-1", reason=EXPIRED), 4)])  # older than the row
    assert _states(database, table) == {"m-1": (False, None)}
    handler.handle_batch([at_minute(retracted("m-1", reason=EXPIRED), 6)])
    handler.handle_batch(
        [at_minute(retracted("m-1", reason=REMOVED), 5)]
    )  # older than the retraction
    assert _states(database, table) == {"m-1": (True, _reason(EXPIRED))}


def test_one_by_one_and_batched_store_the_same_reasons(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one_by_one, batched = migrated(BUSINESSES, tmp_path / "a"), migrated(BUSINESSES, tmp_path / "b")
    table = businesses_orm.sourcing_matches
    events = [
        at_minute(found("m-1", "d-1", "coop-a", 0.5), 1),
        at_minute(retracted("m-1", reason=EXPIRED), 2),
        at_minute(found("m-2", "d-1", "coop-b", 0.5), 1),
        at_minute(retracted("m-2", reason=REMOVED), 2),
        at_minute(found("m-2", "d-1", "coop-b", 0.6), 3),
    ]
    try:
        projection = SourcingMatches(table)
        for _topic, envelope in events:
            with one_by_one.sessions.begin() as session:
                projection.apply(session, envelope)
        ProjectingHandler(batched, [SourcingMatches(table)]).handle_batch(events)
        assert _all_rows(batched, table) == _all_rows(one_by_one, table)
        assert _states(batched, table) == {"m-1": (True, _reason(EXPIRED)), "m-2": (False, None)}
    finally:
        one_by_one.dispose()
        batched.dispose()


def test_replaying_the_same_batch_changes_nothing(matches_db: tuple[Database, Table]) -> None:
    database, table = matches_db
    handler = ProjectingHandler(database, [SourcingMatches(table)])
    batch = [
        at_minute(found("m-1", "d-1", "coop-a", 0.5), 1),
        at_minute(retracted("m-1", reason=EXPIRED), 2),
        at_minute(found("m-2", "d-1", "coop-b", 0.5), 1),
        at_minute(retracted("m-2", reason=REMOVED), 2),
        at_minute(found("m-2", "d-1", "coop-b", 0.7), 3),
        at_minute(found("m-3", "d-1", "coop-c", 0.4), 1),
        at_minute(retracted("m-3", reason=REMOVED), 4),
    ]
    handler.handle_batch(batch)
    stored = _all_rows(database, table)
    handler.handle_batch(batch)
    handler.handle_batch(batch[::-1])
    assert _all_rows(database, table) == stored


def test_reasons_cost_no_statement_more_per_poll(tmp_path: Path) -> None:
    """Retractions with their reasons are still one executemany UPDATE, found events still
    one INSERT and one UPDATE, whatever the number of records."""
    database = migrated(BUSINESSES, tmp_path)
    handler = ProjectingHandler(database, [SourcingMatches(businesses_orm.sourcing_matches)])
    statements: list[tuple[str, int]] = []

    def count(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        statements.append((statement.split()[0].upper(), len(parameters) if executemany else 1))

    try:
        handler.handle_batch(
            [at_minute(found(f"m-{n}", "d-1", f"c-{n}", 0.5), 1) for n in range(60)]
        )
        event.listen(database.engine, "before_cursor_execute", count)
        handler.handle_batch(
            [at_minute(retracted(f"m-{n}", reason=EXPIRED), 2) for n in range(0, 60, 2)]
            + [at_minute(found(f"m-{n}", "d-1", f"c-{n}", 0.6), 2) for n in range(1, 60, 2)]
            + [at_minute(found("m-new", "d-1", "c-new", 0.6), 2)]
        )
        assert statements == [("SELECT", 1), ("INSERT", 1), ("UPDATE", 30), ("UPDATE", 30)]
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
        database.dispose()


def test_withdrawn_matches_are_the_retracted_ones_newest_first_with_reasons(
    matches_db: tuple[Database, Table],
) -> None:
    database, table = matches_db
    matches = SourcingMatches(table)
    ProjectingHandler(database, [matches]).handle_batch(
        [
            at_minute(found("m-live", "d-1", "coop-a", 0.9), 1),
            at_minute(found("m-old", "d-1", "coop-a", 0.8), 1),
            at_minute(found("m-new", "d-2", "coop-a", 0.3), 1),
            at_minute(found("m-back", "d-3", "coop-a", 0.3), 1),
            at_minute(found("m-theirs", "d-1", "coop-b", 0.7), 1),
            at_minute(retracted("m-old", reason=EXPIRED), 2),
            at_minute(retracted("m-new", reason=REMOVED), 5),
            at_minute(retracted("m-back", reason=REMOVED), 3),
            at_minute(found("m-back", "d-3", "coop-a", 0.4), 4),  # live again
            at_minute(retracted("m-theirs", cooperative_id="coop-b", reason=FEW_MEMBERS), 6),
        ]
    )
    with database.sessions() as session:
        ours = matches.withdrawn_for_cooperative(session, "coop-a", 20)
        first = matches.withdrawn_for_cooperative(session, "coop-a", 1)
        theirs = matches.withdrawn_for_cooperative(session, "coop-b", 20)
        demand = matches.withdrawn_for_demand(session, "d-1", 20)
        live = [
            ranked.found["match_id"] for ranked in matches.for_cooperative(session, "coop-a", 20)
        ]
    assert [(m.found["match_id"], m.reason) for m in ours] == [
        ("m-new", _reason(REMOVED)),
        ("m-old", _reason(EXPIRED)),
    ]
    assert [m.retracted_at for m in ours] == [
        START.replace(minute=5),
        START.replace(minute=2),
    ]
    assert [m.found["match_id"] for m in first] == ["m-new"]
    assert [m.found["match_id"] for m in theirs] == ["m-theirs"]
    assert [m.found["match_id"] for m in demand] == ["m-theirs", "m-old"]
    assert sorted(live) == ["m-back", "m-live"]


def test_a_leads_reason_is_kept_served_by_its_id_and_cleared_when_scored_again(
    banks: Database,
) -> None:
    handler = ProjectingHandler(banks, [LeadsProjection()])
    handler.handle_batch(
        [
            at_minute(scored("lead-1", "bank-1", 0.8), 1),
            at_minute(scored("lead-2", "bank-1", 0.6), 1),
            at_minute(retracted("lead-1", "lead", reason=FEW_MEMBERS), 2),
            at_minute(retracted("lead-2", "lead", reason=FEW_MEMBERS), 2),
            at_minute(scored("lead-2", "bank-1", 0.7), 3),  # scored again: live, no reason
            at_minute(retracted("lead-2", reason=EXPIRED), 4),  # a sourcing match's: not a lead's
        ]
    )
    with banks.sessions() as session:
        leads = Leads(session)
        gone, back = leads.get("lead-1"), leads.get("lead-2")
        assert gone is not None and back is not None
        gone_public = bank_views.lead_public(session, gone)
        back_public = bank_views.lead_public(session, back)
    assert (gone_public.retracted, gone_public.retraction_reason) == (True, FEW_MEMBERS)
    assert (back_public.retracted, back_public.retraction_reason) == (False, None)
    assert back_public.model_dump(mode="json")["retraction_reason"] is None

    # One by one (the consumer's path for a batch with a poison record) stores the same.
    with banks.sessions.begin() as session:
        projection = LeadsProjection()
        projection.apply(session, at_minute(retracted("lead-2", "lead", reason=REMOVED), 5)[1])
    with banks.sessions() as session:
        row = session.get(LeadRow, "lead-2")
        assert row is not None and (row.retracted, row.retraction_reason) == (
            True,
            _reason(REMOVED),
        )
    with banks.sessions.begin() as session:
        projection.apply(session, at_minute(scored("lead-2", "bank-1", 0.7), 6)[1])
    with banks.sessions() as session:
        row = session.get(LeadRow, "lead-2")
        assert row is not None and (row.retracted, row.retraction_reason) == (False, None)
        stored_null = session.execute(
            select(LeadRow.lead_id).where(LeadRow.retraction_reason.is_(None))
        ).scalars()
        assert sorted(stored_null) == ["lead-2"]  # SQL NULL, not the JSON text null
