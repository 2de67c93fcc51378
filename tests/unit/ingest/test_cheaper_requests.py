"""What made a request cheaper must not change what it does: a demand inserted without the ORM's
unit of work is the row the ORM would have written and answers the same bytes; sessions are
closed by the route, for sync and async endpoints alike, and a route that would not close them
is refused one; a sync endpoint still runs off the event loop, with the request's context."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from services.businesses.orm import DemandRow
from services.businesses.repository import Demands
from services.businesses.schemas import DEMAND_EXAMPLE, DemandPublic
from services.businesses.service import SPEC as BUSINESSES
from services.businesses.views import public
from shared.contract.events import Recurrence, SourcingDemand
from shared.contract.values import Quantity, RequiredCertification
from shared.identity.settings import IdentitySettings
from shared.storage.database import Database, open_database
from shared.web.context import ServiceContext, VerifierSource
from shared.web.dependencies import SessionDep
from shared.web.routing import SessionScopedRoute
from tests.unit.ingest.test_overload import Service, businesses


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    running = businesses(tmp_path)
    yield running
    running.database.dispose()


def _through_the_contract(row: DemandRow) -> DemandPublic:
    """The answer as it was made before: the row checked against the contract, then dumped."""
    demand = SourcingDemand(
        demand_id=row.id,
        business_id=row.organisation_id,
        product=row.product,
        description=row.description,
        quantity=Quantity(amount=row.quantity_amount, unit=row.quantity_unit),
        recurrence=Recurrence(row.recurrence),
        required_certifications=[
            RequiredCertification.model_validate(c) for c in row.required_certifications
        ],
        delivery_place=row.delivery_place,
        delivery_from=row.delivery_from,
        delivery_until=row.delivery_until,
        price_min_vnd=row.price_min_vnd,
        price_max_vnd=row.price_max_vnd,
    )
    return DemandPublic.model_validate(
        {
            **demand.model_dump(),
            "status": row.status,
            "closed_reason": row.closed_reason,
            "version": row.version,
            "posted_at": row.created_at,
            "updated_at": row.updated_at,
        }
    )


def test_a_posted_demand_is_the_row_the_orm_would_write_and_reads_back_the_same(
    service: Service,
) -> None:
    client = TestClient(service.app)
    headers = {**service.headers, "Idempotency-Key": "k-1"}
    posted = client.post("/v1/demands", json=DEMAND_EXAMPLE, headers=headers)
    assert posted.status_code == 201, posted.text
    demand_id = posted.json()["demand_id"]

    read = client.get(f"/v1/demands/{demand_id}", headers=service.headers)
    assert read.content == posted.content  # loaded by the ORM, answered byte for byte alike
    replayed = client.post("/v1/demands", json=DEMAND_EXAMPLE, headers=headers)
    assert replayed.content == posted.content
    assert replayed.headers["Idempotent-Replayed"] == "true"

    with Session(service.database.engine) as session:
        row = session.execute(select(DemandRow)).scalar_one()
        assert row.version == 1  # the first of the ORM's version counter
        assert row.created_at == row.updated_at
        assert row.status == "open" and row.closed_reason == ""
        assert public(row).model_dump_json() == _through_the_contract(row).model_dump_json()
    assert service.count(BUSINESSES.outbox) == 1

    changed = client.put(
        f"/v1/demands/{demand_id}",
        json={**DEMAND_EXAMPLE, "quantity": {"amount": 8, "unit": "tạ"}},
        headers=service.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2  # the ORM takes it on from the inserted row


# --- sessions and the route --------------------------------------------------------------------


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    opened = open_database(f"sqlite:///{tmp_path / 'kit.sqlite3'}")
    yield opened
    opened.dispose()


def _app(database: Database, router: APIRouter) -> FastAPI:
    app = FastAPI()
    app.include_router(router)
    app.state.context = ServiceContext(BUSINESSES, database, VerifierSource(IdentitySettings()))
    return app


def test_a_route_that_would_not_close_its_session_is_refused_one(database: Database) -> None:
    router = APIRouter(route_class=APIRoute)

    @router.get("/plain")
    def plain(session: SessionDep) -> int:
        return 1

    with pytest.raises(RuntimeError, match="SessionScopedRoute"):
        TestClient(_app(database, router)).get("/plain")


def test_sync_and_async_endpoints_close_their_sessions(database: Database) -> None:
    router = APIRouter(route_class=SessionScopedRoute)
    seen: list[Session] = []

    @router.get("/sync")
    def in_a_thread(session: SessionDep) -> int:
        seen.append(session)
        return int(session.execute(text("SELECT 1")).scalar_one())

    @router.get("/async")
    async def on_the_loop(session: SessionDep) -> int:
        seen.append(session)
        return int(session.execute(text("SELECT 2")).scalar_one())

    @router.get("/fails")
    async def failing(session: SessionDep) -> int:
        seen.append(session)
        session.execute(text("SELECT 3"))
        raise ValueError("after a query")

    client = TestClient(_app(database, router), raise_server_exceptions=False)
    assert client.get("/sync").json() == 1
    assert client.get("/async").json() == 2
    assert client.get("/fails").status_code == 500
    assert len(seen) == 3
    assert not any(session.in_transaction() for session in seen)
    assert database.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


async def _tagged() -> None:
    REQUEST_ID.set("tagged")


def test_a_sync_endpoint_runs_off_the_loop_with_the_requests_context(database: Database) -> None:
    router = APIRouter(route_class=SessionScopedRoute)
    threads: dict[str, Any] = {}

    @router.get("/where", dependencies=[Depends(_tagged)])
    async def loop_thread() -> int:
        threads["loop"] = threading.get_ident()
        return 0

    @router.get("/work", dependencies=[Depends(_tagged)])
    def work(session: SessionDep) -> str:
        threads["endpoint"] = threading.get_ident()
        return REQUEST_ID.get()

    # One portal (``with``): both requests on the same event loop thread. Without it each
    # request gets a loop thread of its own, whose id the endpoint's pool thread may reuse.
    with TestClient(_app(database, router)) as client:
        client.get("/where")
        assert client.get("/work").json() == "tagged"
    assert threads["endpoint"] != threads["loop"]


def test_a_rows_owner_and_row_are_told_as_the_orm_queries_tell_them(service: Service) -> None:
    client = TestClient(service.app)
    posted = client.post("/v1/demands", json=DEMAND_EXAMPLE, headers=service.headers)
    demand_id = posted.json()["demand_id"]
    with Session(service.database.engine) as session:
        demands = Demands(session)
        for identifier in (demand_id, "no-such-demand"):
            by_orm = select(DemandRow.organisation_id).where(DemandRow.id == identifier)
            assert demands.owner(identifier) == session.execute(by_orm).scalar_one_or_none()
            row = session.execute(
                select(DemandRow).where(DemandRow.id == identifier)
            ).scalar_one_or_none()
            assert demands.get(identifier) is row
            assert demands.get(identifier, lock=True) is row
        assert demands.owner(demand_id) == "org-business-1"
        assert demands.owner("no-such-demand") is None
