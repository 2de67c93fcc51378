"""``python -m services.conferences serve|relay|consume|migrate|outbox-lag``.

The kit's commands, with the relay's producer allowed whole-schedule records (``relay.py``).
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta
from typing import Annotated

import typer
from sqlalchemy import func, select

from services.conferences.relay import large_record_publishers
from services.conferences.service import SPEC, create_app
from shared.outbox.relay import OutboxRelay
from shared.settings import KafkaSettings
from shared.storage import migrations
from shared.storage.database import open_database
from shared.storage.types import utc_now
from shared.web.process import command_line

cli = command_line(SPEC, create_app)
# The kit's relay uses Kafka's default 1 MB request limit; ours replaces it.
cli.registered_commands = [
    command
    for command in cli.registered_commands
    if getattr(command.callback, "__name__", "") != "relay"
]


@cli.command()
def relay() -> None:
    """Publish the outbox to Kafka until SIGTERM (records up to 8 MiB, compressed)."""
    settings = SPEC.settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    migrations.upgrade(SPEC.name, SPEC.migrations, settings.resolved_database_url())
    database = open_database(settings.resolved_database_url())
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    publishers = large_record_publishers(f"{SPEC.name}-relay", KafkaSettings())
    OutboxRelay(database, SPEC.outbox, publishers).run(stop)
    database.dispose()


@cli.command("outbox-lag")
def outbox_lag(
    max_seconds: Annotated[float, typer.Option(help="Healthy while nothing waits longer")] = 300,
) -> None:
    """Exit 1 when an event has waited in the outbox too long (the relay's health check)."""
    settings = SPEC.settings()
    database = open_database(settings.resolved_database_url())
    try:
        with database.engine.connect() as connection:
            oldest = connection.execute(
                select(func.min(SPEC.outbox.c.created_at)).where(SPEC.outbox.c.sent_at.is_(None))
            ).scalar_one_or_none()
    finally:
        database.dispose()
    if oldest is not None and utc_now() - oldest > timedelta(seconds=max_seconds):
        typer.echo(f"the oldest unsent event is from {oldest.isoformat()}")
        raise typer.Exit(1)
    typer.echo("the outbox keeps up")


if __name__ == "__main__":
    cli()
