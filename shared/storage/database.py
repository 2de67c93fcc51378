"""An engine and a session factory from a database URL, with the dialect's sharp edges filed."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from shared.storage.settings import SqliteSettings

# Pools for the web services, whose sync routes run on a pool of 40 threads (shared.web.routing);
# each request holds a connection only while its endpoint runs, so the threads share the pool
# without starving it.
#
# SQLite: a connection to a file costs next to nothing and the file lock orders the writers
# (they queue in the busy timeout), so the pool keeps one per thread and never refuses one.
SQLITE_POOL: dict[str, Any] = {"pool_size": 40, "max_overflow": -1}
# PostgreSQL: the services share one server (100 connections by default), so each keeps
# SQLAlchemy's ceiling of 5 + 10; a request that waits 10 s for one (not the default 30) is
# answered 503 ``service_busy`` with ``Retry-After`` (shared.web.errors).
POSTGRESQL_POOL: dict[str, Any] = {"pool_size": 5, "max_overflow": 10, "pool_timeout": 10.0}
# How long SQLite lets a writer wait for another (the relay, the consumer, another request) to
# commit before it says "database is locked" (answered 503 too).
SQLITE_BUSY_TIMEOUT_S = 10


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs that name no driver (SQLAlchemy would pick psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_tuner(synchronous: str) -> Callable[[Any, Any], None]:
    def tune(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets the API read while the relay writes; the busy timeout makes writers queue
        # instead of failing at once; foreign keys are off in SQLite unless asked for;
        # ``synchronous``: see SqliteSettings (FULL unless the operator chose otherwise).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    return tune


class WriterTurn:
    """One process's writers to a SQLite file, one at a time, each waiting at most as long as
    SQLite's busy timeout: past it the writer gets SQLite's own "database is locked" (which the
    services answer 503 ``service_busy``), as it would have waiting in SQLite."""

    def __init__(self, timeout: float = SQLITE_BUSY_TIMEOUT_S) -> None:
        self._lock = threading.Lock()
        self._timeout = timeout

    def __enter__(self) -> None:
        if not self._lock.acquire(timeout=self._timeout):
            raise OperationalError(
                "waiting for this process's other writers",
                None,
                sqlite3.OperationalError("database is locked"),
            )

    def __exit__(self, *_exc: object) -> None:
        self._lock.release()


@dataclass(frozen=True)
class Database:
    engine: Engine
    sessions: sessionmaker[Session]
    writer: AbstractContextManager[Any] = field(default_factory=nullcontext)
    """Held around a write transaction of this process (``shared.web.idempotency.Write``).

    SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps
    and looks again (1, 2, 5, 10, ... 100 ms), so under load writers sleep long past the
    moment the file is free: the API answered in seconds at a few hundred writes a second.
    A turn in the process (:class:`WriterTurn`) hands it on at once instead, and still
    answers "database is locked" after the busy timeout. Other processes (relay, consumer)
    queue in the busy handler. PostgreSQL locks rows: nothing to hold."""

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str, **engine_options: Any) -> Database:
    """Connect lazily to ``url`` (SQLite file or PostgreSQL); nothing is opened until first use.

    ``engine_options`` go to :func:`sqlalchemy.create_engine` and win over the defaults here.
    """
    url = normalise_url(url)
    parsed = make_url(url)
    # A pooled connection to a server may have been closed by it; one to a SQLite file not.
    options: dict[str, Any] = {"pool_pre_ping": parsed.get_backend_name() != "sqlite"}
    dialect = parsed.get_dialect()
    queue_pool = (  # an in-memory SQLite database, say, has a pool of another kind
        "poolclass" not in engine_options
        and issubclass(dialect, DefaultDialect)
        and dialect.get_pool_class(parsed) is QueuePool
    )
    if parsed.get_backend_name() == "sqlite":
        # FastAPI runs sync routes in a thread pool: one connection may serve several threads.
        options["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}
        if queue_pool:
            options.update(SQLITE_POOL)
    elif parsed.get_backend_name() == "postgresql" and queue_pool:
        options.update(POSTGRESQL_POOL)
    options.update(engine_options)
    engine = create_engine(url, **options)
    sessions = sessionmaker(engine, expire_on_commit=False)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_tuner(SqliteSettings().synchronous))
        return Database(engine, sessions, WriterTurn())
    return Database(engine, sessions)
