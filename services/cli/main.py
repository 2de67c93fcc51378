"""``ketnoi``: the operators' command line (typer)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from services.cli import kafka_broker, smoke
from services.cli.conferences import conference_app
from services.cli.health import group_is_serving
from services.cli.importer import import_app
from services.cli.matching import matching_app
from services.cli.org import org_app
from services.cli.seed import seed_command
from services.cli.supervisor import Supervisor
from services.cli.topology import PROCESSES
from shared.kafka.admin import ensure_topics
from shared.settings import KafkaSettings, StateSettings

app = typer.Typer(help="Kết Nối: run and operate the matching system.", no_args_is_help=True)
kafka_app = typer.Typer(help="The local Apache Kafka broker (KRaft, no Docker needed).")
app.add_typer(kafka_app, name="kafka")
health_app = typer.Typer(help="Health checks, for scripts and container healthchecks.")
app.add_typer(health_app, name="health")
console = Console()


def _supervisor() -> Supervisor:
    return Supervisor(StateSettings().state_dir)


@kafka_app.command("start")
def kafka_start() -> None:
    """Fetch Kafka's jars if needed and start the broker on 127.0.0.1:9092."""
    kafka_broker.run("start")


@kafka_app.command("stop")
def kafka_stop() -> None:
    """Stop the broker; leaves no Java process behind."""
    kafka_broker.run("stop")


@kafka_app.command("status")
def kafka_status() -> None:
    """Say whether the broker runs (exit code 3 when it does not)."""
    raise typer.Exit(kafka_broker.run("status", check=False))


@app.command()
def topics() -> None:
    """Create the project's topics that are missing (partitions from KAFKA_TOPIC_PARTITIONS)."""
    reports = ensure_topics(KafkaSettings())
    table = Table("topic", "partitions", "")
    for report in reports:
        table.add_row(report.name, str(report.partitions), "created" if report.created else "")
    console.print(table)


@app.command()
def up(
    smoke_check: Annotated[
        bool, typer.Option("--smoke/--no-smoke", help="Round-trip pings through the worker.")
    ] = True,
) -> None:
    """Start the broker, create topics, start every service, and say where each listens."""
    kafka_broker.run("start")
    topics()
    supervisor = _supervisor()
    table = Table("process", "pid", "listens on", "log")
    for process in PROCESSES:
        running = supervisor.start(process)
        try:
            supervisor.wait_healthy(running)
        except RuntimeError as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(1) from None
        table.add_row(
            process.name, str(running.pid), running.url or "(Kafka worker)", str(running.log_file)
        )
    console.print(table)
    console.print(f"Kafka: {KafkaSettings().bootstrap_servers}")
    if smoke_check:
        check(count=20)
    console.print("Stop everything with: ketnoi down")


@app.command()
def down() -> None:
    """Stop every service, then the broker."""
    supervisor = _supervisor()
    for process in reversed(PROCESSES):
        if supervisor.stop(process):
            console.print(f"stopped {process.name}")
    kafka_broker.run("stop")


@app.command()
def status() -> None:
    """Show which processes run."""
    supervisor = _supervisor()
    table = Table("process", "state", "listens on")
    for process in PROCESSES:
        pid = supervisor.pid_of(process)
        state = f"running (pid {pid})" if pid else "stopped"
        table.add_row(process.name, state, supervisor.url_of(process) or "")
    console.print(table)
    kafka_broker.run("status", check=False)


@app.command("smoke")
def check(count: Annotated[int, typer.Option(min=1, max=100_000)] = 20) -> None:
    """Send pings through Kafka and the smoke worker, and wait for every answer."""
    answered, seconds = smoke.round_trip(count)
    if answered != count:
        console.print(f"[red]smoke: {answered} of {count} pings answered in {seconds:.1f} s[/red]")
        raise typer.Exit(1)
    console.print(f"smoke: {count} of {count} pings answered through Kafka in {seconds:.2f} s")


@health_app.command("worker")
def worker_health(group: str) -> None:
    """Exit 0 when the Kafka worker group GROUP is stable and has members, else 1."""
    if not group_is_serving(group):
        console.print(f"consumer group {group} is not serving")
        raise typer.Exit(1)
    console.print(f"consumer group {group} is serving")


# Organisations, demo data and imports (their code lives in org.py, seed.py, importer.py).
app.add_typer(org_app, name="org")
app.command("seed")(seed_command)
app.add_typer(import_app, name="import")
app.add_typer(conference_app, name="conference")
# evaluate, train and explain stand at the top level: `ketnoi explain NEED_ID`.
app.add_typer(matching_app)
