"""An engine and a session factory from a database URL, with the dialect's sharp edges filed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs that name no driver (SQLAlchemy would pick psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the API read while the relay writes; the busy timeout makes writers queue
    # instead of failing at once; foreign keys are off in SQLite unless asked for.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@dataclass(frozen=True)
class Database:
    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str, **engine_options: Any) -> Database:
    """Connect lazily to ``url`` (SQLite file or PostgreSQL); nothing is opened until first use."""
    url = normalise_url(url)
    options: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        # FastAPI runs sync routes in a thread pool: one connection may serve several threads.
        options["connect_args"] = {"check_same_thread": False, "timeout": 10}
    options.update(engine_options)
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _tune_sqlite)
    return Database(engine, sessionmaker(engine, expire_on_commit=False))
