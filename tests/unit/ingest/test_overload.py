"""A busy database is 503 ``service_busy`` with ``Retry-After``, never a 500, and leaves nothing
half-written; many requests at once on one SQLite file all get through."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from services.banks.service import SPEC as BANKS
from services.businesses.schemas import DEMAND_EXAMPLE
from services.businesses.service import SPEC as BUSINESSES
from services.businesses.service import create_app
from services.businesses.settings import BusinessesSettings
from services.conferences.service import SPEC as CONFERENCES
from services.cooperatives.service import SPEC as COOPERATIVES
from shared.identity.keys import create_key_pair, load_private_key
from shared.identity.model import Caller, Role
from shared.identity.settings import IdentitySettings
from shared.identity.tokens import TokenIssuer
from shared.storage import migrations
from shared.storage.database import POSTGRESQL_POOL, Database, open_database
from shared.web.app import openapi_document
from shared.web.errors import RETRY_AFTER_S, busy_reason
from shared.web.routing import SessionScopedRoute
from shared.web.service import ServiceSpec

DEMANDS = BUSINESSES.metadata.tables["businesses_demands"]


@dataclass
class Service:
    url: str
    database: Database
    app: FastAPI
    headers: dict[str, str]

    def count(self, table: Any) -> int:
        with self.database.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(table)).scalar_one())

    def stored_demand_ids(self) -> set[str]:
        with self.database.engine.connect() as connection:
            return set(connection.execute(select(DEMANDS.c.id)).scalars())

    def outbox_keys(self) -> list[str]:
        with self.database.engine.connect() as connection:
            return list(connection.execute(select(BUSINESSES.outbox.c.key)).scalars())


def businesses(folder: Path, **engine_options: Any) -> Service:
    """The businesses service on a migrated SQLite file, and a business's token."""
    identity = IdentitySettings(
        public_key_file=folder / "organiser.pub.pem", private_key_file=folder / "organiser.pem"
    )
    create_key_pair(identity.private_key_file, identity.public_key_file)
    issuer = TokenIssuer(
        load_private_key(identity.private_key_file), identity.issuer, identity.audience
    )
    token = issuer.issue(Caller("org-business-1", Role.BUSINESS, "Test"), timedelta(hours=1))
    url = f"sqlite:///{folder / 'businesses.sqlite3'}"
    migrations.upgrade(BUSINESSES.name, BUSINESSES.migrations, url)
    database = open_database(url, **engine_options)
    settings = BusinessesSettings(database_url=url, identity=identity)
    return Service(
        url, database, create_app(settings, database), {"Authorization": f"Bearer {token}"}
    )


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    running = businesses(tmp_path)
    yield running
    running.database.dispose()


def assert_busy(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == str(RETRY_AFTER_S)
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "service_busy"
    assert "busy" in body["error"]["message"]
    assert body["error"]["fields"] == []


def test_no_free_connection_is_503_and_writes_nothing(tmp_path: Path) -> None:
    running = businesses(tmp_path, pool_size=1, max_overflow=0, pool_timeout=0.1)
    try:
        client = TestClient(running.app)
        with running.database.engine.connect():  # the pool's one connection, held
            response = client.post("/v1/demands", json=DEMAND_EXAMPLE, headers=running.headers)
            listing = client.get("/v1/demands", headers=running.headers)
        assert_busy(response)
        assert_busy(listing)
        assert running.count(DEMANDS) == 0
        assert running.count(BUSINESSES.outbox) == 0

        # The connection is back: the same request now succeeds.
        again = client.post("/v1/demands", json=DEMAND_EXAMPLE, headers=running.headers)
        assert again.status_code == 201, again.text
        assert running.count(DEMANDS) == 1
        assert running.outbox_keys() == [again.json()["demand_id"]]
    finally:
        running.database.dispose()


def test_a_write_lock_outlasting_the_busy_timeout_is_503_and_writes_nothing(
    service: Service,
) -> None:
    # Wait 50 ms for the lock instead of 10 s (this listener runs after the engine's own).
    event.listen(
        service.database.engine,
        "connect",
        lambda connection, _record: connection.execute("PRAGMA busy_timeout=50"),
    )
    client = TestClient(service.app)
    key = {"Idempotency-Key": "locked-then-free"}
    other_writer = sqlite3.connect(service.url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        other_writer.execute("BEGIN IMMEDIATE")  # the relay, say, in the middle of a write
        response = client.post(
            "/v1/demands", json=DEMAND_EXAMPLE, headers={**service.headers, **key}
        )
        other_writer.execute("ROLLBACK")
    finally:
        other_writer.close()

    assert_busy(response)
    assert service.count(DEMANDS) == 0
    assert service.count(BUSINESSES.outbox) == 0
    assert service.count(BUSINESSES.idempotency) == 0
    # A retry with the same key is carried out once the lock is gone.
    retried = client.post("/v1/demands", json=DEMAND_EXAMPLE, headers={**service.headers, **key})
    assert retried.status_code == 201, retried.text
    assert service.outbox_keys() == [retried.json()["demand_id"]]


class _DriverError(Exception):
    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("error", "busy"),
    [
        (PoolTimeout("QueuePool limit of size 5 overflow 10 reached"), True),
        (OperationalError("INSERT …", {}, sqlite3.OperationalError("database is locked")), True),
        (OperationalError("COMMIT", {}, sqlite3.OperationalError("database is busy")), True),
        (OperationalError("connect", {}, _DriverError("FATAL", sqlstate="53300")), True),
        (
            OperationalError(
                "connect", {}, _DriverError("FATAL:  sorry, too many clients already")
            ),
            True,
        ),
        (OperationalError("SELECT …", {}, sqlite3.OperationalError("no such table: x")), False),
        (OperationalError("connect", {}, _DriverError("password authentication failed")), False),
        (ValueError("database is locked"), False),
    ],
)
def test_what_counts_as_busy(error: BaseException, busy: bool) -> None:
    assert (busy_reason(error) is not None) is busy


def test_a_database_error_that_is_not_overload_stays_a_500(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise OperationalError("SELECT …", {}, sqlite3.OperationalError("disk I/O error"))

    monkeypatch.setattr("services.businesses.views.demands", broken)
    response = TestClient(service.app, raise_server_exceptions=False).get(
        "/v1/demands", headers=service.headers
    )
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"


def test_the_503_is_documented_with_its_retry_after() -> None:
    paths = openapi_document(BUSINESSES)["paths"]
    for path, method in (("/v1/demands", "post"), ("/v1/demands", "get")):
        documented = paths[path][method]["responses"]["503"]
        assert "service_busy" in documented["description"]
        assert "Retry-After" in documented["headers"]
        schema = documented["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorResponse"}


@pytest.mark.parametrize(
    "pool",
    [
        pytest.param({}, id="sqlite-pool"),
        pytest.param(POSTGRESQL_POOL, id="postgresql-sized-pool"),
        pytest.param({"pool_size": 2, "max_overflow": 0, "pool_timeout": 30}, id="two-connections"),
    ],
)
async def test_a_hundred_demands_at_once_are_all_stored_with_their_events(
    tmp_path: Path, pool: dict[str, Any]
) -> None:
    """100 POSTs and 100 listings at once, through the ASGI app and its 40 threads. Before,
    a listing held its connection while it queued for a thread to validate its answer, threads
    queued for connections, and the pool timed out: 500s (503s with only the error mapping)."""
    service = businesses(tmp_path, **pool)
    try:
        answers = await post_and_list_at_once(service, 100)
        statuses = Counter((r.request.method, r.status_code) for r in answers)
        assert statuses == {("POST", 201): 100, ("GET", 200): 100}, [
            r.text for r in answers if r.status_code >= 400
        ][:3]
        created = [r.json()["demand_id"] for r in answers if r.request.method == "POST"]
        assert len(set(created)) == 100
        assert service.stored_demand_ids() == set(created)
        assert sorted(service.outbox_keys()) == sorted(created)
    finally:
        service.database.dispose()


async def post_and_list_at_once(service: Service, count: int) -> list[httpx.Response]:
    """``count`` POSTs of a demand and ``count`` listings, all sent at once."""
    transport = httpx.ASGITransport(app=service.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

        async def post(number: int) -> httpx.Response:
            body = {**DEMAND_EXAMPLE, "description": f"lô số {number}"}
            return await client.post("/v1/demands", json=body, headers=service.headers)

        async def listing() -> httpx.Response:
            return await client.get("/v1/demands", headers=service.headers)

        return await asyncio.gather(
            *(request for n in range(count) for request in (post(n), listing()))
        )


@pytest.mark.parametrize(
    "spec", [COOPERATIVES, BUSINESSES, BANKS, CONFERENCES], ids=lambda spec: spec.name
)
def test_every_route_ends_its_sessions_with_its_endpoint(spec: ServiceSpec) -> None:
    routes = [route for router in spec.routers for route in router.routes]
    assert routes
    for route in routes:
        assert isinstance(route, SessionScopedRoute), f"{spec.name}: {route}"
