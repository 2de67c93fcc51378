"""Each service's Alembic migrations build exactly its models' tables, next to the others'."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, Table, create_engine, insert, inspect

from services.banks.repository import Leads
from services.banks.service import SPEC as BANKS
from services.businesses import orm as businesses_orm
from services.businesses.service import SPEC as BUSINESSES
from services.cooperatives import orm as cooperatives_orm
from services.cooperatives.service import SPEC as COOPERATIVES
from shared.contract.envelope import wrap
from shared.contract.events import LoanLeadScored, MatchRetracted
from shared.contract.values import Reason
from shared.storage import migrations
from shared.storage.database import normalise_url, open_database
from shared.storage.migrations import version_table
from shared.storage.sourcing_matches import SourcingMatches
from tests.fixtures.postgres import PostgresServer
from tests.integration.ingest.harness import FACTORIES, Deployment


@pytest.mark.parametrize("service", sorted(FACTORIES))
def test_migrations_match_the_models(deployment: Deployment, service: str) -> None:
    running = deployment.services[service]
    own = set(running.spec.metadata.tables)
    with running.database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, _parents: kind != "table" or name in own,
            },
        )
        assert compare_metadata(context, running.spec.metadata) == []


def test_services_keep_their_own_tables_and_versions(deployment: Deployment) -> None:
    for name, running in deployment.services.items():
        tables = set(inspect(running.database.engine).get_table_names())
        assert version_table(name) in tables
        assert all(table.startswith(f"{name}_") for table in running.spec.metadata.tables)


@pytest.mark.parametrize("service", sorted(FACTORIES))
def test_a_service_migrates_down_to_nothing_and_up_again(tmp_path: Path, service: str) -> None:
    spec = FACTORIES[service][0]
    url = f"sqlite:///{tmp_path / service}.sqlite3"
    migrations.upgrade(service, spec.migrations, url)
    migrations.downgrade(service, spec.migrations, url)
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) == {version_table(service)}
    migrations.upgrade(service, spec.migrations, url)
    assert set(spec.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_stored_matches_and_leads_of_version_1_read_with_ranks_after_the_upgrade(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str
) -> None:
    """Rows stored when the events still carried a rank: the upgrade takes it out of the
    payloads and fills ``product_id``, and they read as today's events, ranked."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'v1.sqlite3'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.create_database()
    at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    reasons = [{"code": "fit", "en": "Fits", "vi": "Phù hợp"}]
    engine = create_engine(normalise_url(url))
    try:
        migrations.upgrade(BUSINESSES.name, BUSINESSES.migrations, url, "businesses_0001")
        migrations.upgrade(BANKS.name, BANKS.migrations, url, "banks_0001")
        old = MetaData()
        matches = Table("businesses_sourcing_matches", old, autoload_with=engine)
        leads = Table("banks_leads", old, autoload_with=engine)
        with engine.begin() as connection:
            for n, (cooperative_id, product_id, score) in enumerate(
                [("coop-b", "p-1", 0.5), ("coop-a", "p-2", 0.5), ("coop-c", "p-1", 0.9)]
            ):
                found = {
                    "match_id": f"m-{n}",
                    "demand_id": "d-1",
                    "business_id": "b-1",
                    "cooperative_id": cooperative_id,
                    "product_id": product_id,
                    "partners": [],
                    "score": score,
                    "rank": n + 1,  # as version 1 of the contract had it
                    "components": {},
                    "reasons": reasons,
                    "model_version": "v1",
                }
                connection.execute(
                    insert(matches).values(
                        match_id=f"m-{n}",
                        demand_id="d-1",
                        business_id="b-1",
                        cooperative_id=cooperative_id,
                        score=score,
                        found=found,
                        retracted=False,
                        updated_at=at,
                    )
                )
            scored = {
                "lead_id": "lead-1",
                "credit_need_id": "need-1",
                "cooperative_id": "coop-a",
                "loan_product_id": "loan-1",
                "bank_id": "bank-1",
                "score": 0.8,
                "rank": 3,
                "components": {},
                "reasons": reasons,
                "model_version": "v1",
            }
            connection.execute(
                insert(leads).values(
                    lead_id="lead-1",
                    bank_id="bank-1",
                    cooperative_id="coop-a",
                    credit_need_id="need-1",
                    loan_product_id="loan-1",
                    score=0.8,
                    scored=scored,
                    retracted=False,
                    updated_at=at,
                    decision=None,
                    decision_reason="",
                    decided_at=None,
                )
            )

        migrations.upgrade(BUSINESSES.name, BUSINESSES.migrations, url)
        migrations.upgrade(BANKS.name, BANKS.migrations, url)
        database = open_database(url)
        try:
            with database.sessions() as session:
                ranked = SourcingMatches(businesses_orm.sourcing_matches).for_demand(
                    session, "d-1", 10
                )
                ((lead, rank),) = Leads(session).best("bank-1", 10)
                scored_now = LoanLeadScored.model_validate(lead.scored)
        finally:
            database.dispose()
        assert [(item.found["match_id"], item.rank) for item in ranked] == [
            ("m-2", 1),
            ("m-1", 2),  # 0.5: coop-a before coop-b
            ("m-0", 3),
        ]
        assert [item.found["product_id"] for item in ranked] == ["p-1", "p-2", "p-1"]
        assert (scored_now.lead_id, rank) == ("lead-1", 1)

        migrations.downgrade(BUSINESSES.name, BUSINESSES.migrations, url, "businesses_0001")
        columns = {column["name"] for column in inspect(engine).get_columns(matches.name)}
        assert "product_id" not in columns
    finally:
        engine.dispose()
        if backend == "postgresql":
            server.drop_database(url)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_rows_retracted_before_reasons_were_kept_read_with_none_after_the_upgrade(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str
) -> None:
    """Version 0002's retracted matches and leads: the 0003 upgrades add ``retraction_reason``
    (SQL NULL for them), the withdrawn lists show them with no reason, a new retraction stores
    its reason, and the downgrades take the column away again."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'v2.sqlite3'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.create_database()
    at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    reasons = [{"code": "fit", "en": "Fits", "vi": "Phù hợp"}]
    engine = create_engine(normalise_url(url))
    specs = {"cooperatives": COOPERATIVES, "businesses": BUSINESSES, "banks": BANKS}
    try:
        for name, spec in specs.items():
            migrations.upgrade(name, spec.migrations, url, f"{name}_0002")
        old = MetaData()
        with engine.begin() as connection:
            for service in ("cooperatives", "businesses"):
                matches = Table(f"{service}_sourcing_matches", old, autoload_with=engine)
                found = {
                    "match_id": "m-1",
                    "demand_id": "d-1",
                    "business_id": "b-1",
                    "cooperative_id": "coop-a",
                    "product_id": "p-1",
                    "partners": [],
                    "score": 0.5,
                    "components": {},
                    "reasons": reasons,
                    "model_version": "v1",
                }
                connection.execute(
                    insert(matches).values(
                        match_id="m-1",
                        demand_id="d-1",
                        business_id="b-1",
                        cooperative_id="coop-a",
                        product_id="p-1",
                        score=0.5,
                        found=found,
                        retracted=True,
                        updated_at=at,
                    )
                )
            leads = Table("banks_leads", old, autoload_with=engine)
            connection.execute(
                insert(leads).values(
                    lead_id="lead-1",
                    bank_id="bank-1",
                    cooperative_id="coop-a",
                    credit_need_id="need-1",
                    loan_product_id="loan-1",
                    score=0.8,
                    scored={
                        "lead_id": "lead-1",
                        "credit_need_id": "need-1",
                        "cooperative_id": "coop-a",
                        "loan_product_id": "loan-1",
                        "bank_id": "bank-1",
                        "score": 0.8,
                        "components": {},
                        "reasons": reasons,
                        "model_version": "v1",
                    },
                    retracted=True,
                    updated_at=at,
                    decision=None,
                    decision_reason="",
                    decided_at=None,
                )
            )

        for name, spec in specs.items():
            migrations.upgrade(name, spec.migrations, url)
        retracted_now = wrap(
            MatchRetracted(
                match_id="m-1",
                match_kind="sourcing",
                cooperative_id="coop-a",
                reason=Reason(code="demand_closed", en="Closed", vi="Đã đóng"),
            ),
            producer="test",
            occurred_at=at + timedelta(minutes=1),
        )
        database = open_database(url)
        try:
            with database.sessions.begin() as session:
                businesses = SourcingMatches(businesses_orm.sourcing_matches)
                cooperatives = SourcingMatches(cooperatives_orm.sourcing_matches)
                (for_demand,) = businesses.withdrawn_for_demand(session, "d-1", 10)
                (for_coop,) = cooperatives.withdrawn_for_cooperative(session, "coop-a", 10)
                lead = Leads(session).get("lead-1")
                assert lead is not None
                assert (lead.retracted, lead.retraction_reason) == (True, None)
                cooperatives.apply_all(session, [retracted_now])
            with database.sessions() as session:
                (again,) = cooperatives.withdrawn_for_cooperative(session, "coop-a", 10)
        finally:
            database.dispose()
        assert (for_demand.found["match_id"], for_demand.reason) == ("m-1", None)
        assert (for_coop.retracted_at, for_coop.reason) == (at, None)
        assert again.reason == {"code": "demand_closed", "en": "Closed", "vi": "Đã đóng"}

        for name, spec in specs.items():
            migrations.downgrade(name, spec.migrations, url, f"{name}_0002")
        for table in (
            "cooperatives_sourcing_matches",
            "businesses_sourcing_matches",
            "banks_leads",
        ):
            columns = {column["name"] for column in inspect(engine).get_columns(table)}
            assert "retraction_reason" not in columns
            assert "retracted" in columns
    finally:
        engine.dispose()
        if backend == "postgresql":
            server.drop_database(url)
