"""The command line of one service's processes: ``python -m services.<name> serve|relay|consume``.

- ``serve``: migrate the service's tables, then answer HTTP (uvicorn; ``<SERVICE>_WORKERS``
  processes on the one port when more than one core should answer).
- ``relay``: publish the outbox to Kafka until stopped (one per SQLite file; several on PostgreSQL).
- ``consume``: store what the scoring service emits, for the read endpoints.
- ``migrate`` / ``revision``: Alembic, for operators and developers.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import threading
from collections.abc import Callable
from typing import Annotated, Any

import typer
import uvicorn
from fastapi import FastAPI

from shared.kafka.consumer import EventConsumer
from shared.outbox.relay import OutboxRelay, relay_publisher_factory
from shared.settings import KafkaSettings
from shared.storage import migrations
from shared.storage.database import open_database
from shared.web.service import ServiceSpec
from shared.web.settings import ServiceSettings


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def _logging(settings: ServiceSettings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


# uvicorn starts each of several API processes from an import string: ``app_of_environment``,
# told here which service it builds.
_SERVICE_MODULE = "KETNOI_SERVE_MODULE"

log = logging.getLogger(__name__)


def app_of_environment() -> FastAPI:
    """The app of the service named by ``KETNOI_SERVE_MODULE`` (a module with ``SPEC`` and
    ``create_app``), from its settings: what each of several API processes runs."""
    module = importlib.import_module(os.environ[_SERVICE_MODULE])
    app: FastAPI = module.create_app(module.SPEC.settings())
    return app


def command_line(
    spec: ServiceSpec, create_app: Callable[[ServiceSettings], FastAPI]
) -> typer.Typer:
    cli = typer.Typer(help=f"{spec.title}: its processes.", no_args_is_help=True)

    def migrate_to_head(settings: ServiceSettings) -> None:
        migrations.upgrade(spec.name, spec.migrations, settings.resolved_database_url())

    @cli.command()
    def serve() -> None:
        """Migrate, then serve HTTP on <SERVICE>_HOST:<SERVICE>_PORT."""
        settings = spec.settings()
        _logging(settings)
        migrate_to_head(settings)
        options: dict[str, Any] = {
            "host": settings.host,
            "port": settings.port,
            "log_level": settings.log_level,
            "proxy_headers": False,
        }
        if settings.workers == 1:
            uvicorn.run(create_app(settings), **options)
            return
        if not settings.resolved_database_url().startswith("postgresql"):
            log.warning(
                "%d API processes on one SQLite file take turns at its single write lock; "
                "PostgreSQL (DATABASE_URL) lets their writes run side by side",
                settings.workers,
            )
        os.environ[_SERVICE_MODULE] = f"services.{spec.name}.service"
        uvicorn.run(
            f"{__name__}:app_of_environment",
            factory=True,
            workers=settings.workers,
            **options,
        )

    @cli.command()
    def migrate() -> None:
        """Bring the service's tables to the newest revision."""
        settings = spec.settings()
        _logging(settings)
        migrate_to_head(settings)

    @cli.command()
    def revision(message: Annotated[str, typer.Option("-m", "--message")]) -> None:
        """Write a new migration from the difference between the models and the database."""
        settings = spec.settings()
        migrations.revision(spec.name, spec.migrations, settings.resolved_database_url(), message)

    @cli.command()
    def relay() -> None:
        """Publish the outbox to Kafka until SIGTERM."""
        settings = spec.settings()
        _logging(settings)
        migrate_to_head(settings)
        database = open_database(settings.resolved_database_url())
        publishers = relay_publisher_factory(f"{spec.name}-relay", KafkaSettings())
        OutboxRelay(database, spec.outbox, publishers).run(_stop_on_signals())
        database.dispose()

    @cli.command()
    def consume() -> None:
        """Store the scoring service's events for the read endpoints, until SIGTERM."""
        if spec.consumer is None:
            raise typer.BadParameter(f"{spec.name} consumes no events")
        settings = spec.settings()
        _logging(settings)
        migrate_to_head(settings)
        database = open_database(settings.resolved_database_url())
        consumer = EventConsumer(
            [topic.name for topic in spec.consumer.topics],
            spec.consumer.group_id,
            spec.consumer.handler(database),
        )
        try:
            consumer.run(_stop_on_signals())
        finally:
            consumer.close()
            database.dispose()

    return cli
