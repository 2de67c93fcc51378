"""``ketnoi evaluate``, ``train``, ``explain`` and ``explain-match``: the matching service's
commands.

The work is in ``services.matching.commands``; this module reads the command line, finds the
files and the Kafka records the commands need, and prints.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from services.matching import commands, contract_mapping, model_store
from services.matching.domain.engine import MatchingEngine
from services.matching.feedback_file import read_examples
from services.matching.log_reading import KafkaLogs
from services.matching.settings import MatchingSettings
from shared.contract import events as contract
from shared.contract.envelope import ContractError, decode
from shared.province_time import province_today
from shared.settings import KafkaSettings
from shared.topics import COOPERATIVES, DEMANDS, LOAN_PRODUCTS

matching_app = typer.Typer(help="Matching quality, learning from feedback, and explanations.")
console = Console()


@matching_app.command("evaluate")
def evaluate_command() -> None:
    """Matching quality on the labelled set: NDCG@5, hard exclusions, loan eligibility."""
    commands.evaluate(echo=console.print)


@matching_app.command("train")
def train_command(
    feedback: Annotated[
        list[Path] | None,
        typer.Option(
            "--feedback",
            help="Feedback file (JSON lines), repeatable; default: this host's worker's file.",
        ),
    ] = None,
    models_dir: Annotated[
        Path | None,
        typer.Option(help="Where models are saved (default: KETNOI_MODELS_DIR)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Save the model even if it ranks the held-out decisions no better than the "
            "model in use, or too few of them can judge it.",
        ),
    ] = False,
) -> None:
    """Learn score weights from feedback; save them as the next model version if they rank
    held-out decisions better than the model in use.

    The workers score with the newest version once they see it (KETNOI_MODELS_CHECK_SECONDS).
    """
    settings = MatchingSettings()
    files = feedback or [settings.feedback_path]
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        console.print(f"[red]no feedback file at {', '.join(missing)}[/red]")
        raise typer.Exit(1)
    examples = read_examples(*files)
    console.print(f"{len(examples)} feedback examples from {len(files)} file(s)")
    reports = commands.train(
        examples, models_dir or settings.models_path, echo=console.print, force=force
    )
    if not reports:
        raise typer.Exit(1)


@matching_app.command("explain")
def explain_command(
    credit_need_id: Annotated[str, typer.Argument(help="The credit need to explain.")],
    bank: Annotated[str | None, typer.Option(help="Only this bank's loan products.")] = None,
    vietnamese: Annotated[bool, typer.Option("--vi/--en", help="Language of the reasons.")] = False,
) -> None:
    """Which loan rules a credit need fails, product by product, and what would help.

    The need, its cooperative's profile and the loan products are read from Kafka.
    """
    need, cooperative, products = asyncio.run(_explain_inputs(credit_need_id, KafkaSettings()))
    if need is None:
        console.print(f"[red]no credit need {credit_need_id} on {COOPERATIVES.name}[/red]")
        raise typer.Exit(1)
    payload, submitted_on = need
    if cooperative is None:
        console.print(f"[red]no profile of cooperative {payload['cooperative_id']}[/red]")
        raise typer.Exit(1)
    offered = [p for p in products if bank is None or p["bank_id"] == bank]
    if not offered:
        console.print("[yellow]no loan product to compare with[/yellow]")
        raise typer.Exit(1)
    text = commands.explain(
        payload, offered, cooperative, submitted_on, language="vi" if vietnamese else "en"
    )
    typer.echo(text)  # plain: the lines are long and must not be re-wrapped


async def _explain_inputs(
    credit_need_id: str, settings: KafkaSettings
) -> tuple[tuple[dict[str, Any], date] | None, dict[str, Any] | None, list[dict[str, Any]]]:
    """The credit need (with its date), its cooperative's latest profile, and every loan
    product not withdrawn, as contract-shaped JSON objects."""
    logs = KafkaLogs(settings, "ketnoi-explain")
    need: tuple[dict[str, Any], date] | None = None
    profiles: dict[str, dict[str, Any]] = {}
    async for batch in logs.read_to_end(COOPERATIVES.name):
        for record in batch:
            try:
                envelope = decode(record.topic, record.value)
            except ContractError:
                continue
            payload = envelope.payload
            if isinstance(payload, contract.CreditNeedSubmitted):
                if payload.credit_need_id == credit_need_id:
                    need = (payload.model_dump(mode="json"), envelope.occurred_at.date())
            elif isinstance(payload, contract.CooperativeProfile):
                profiles[payload.cooperative_id] = payload.model_dump(mode="json")
    products: dict[str, dict[str, Any] | None] = {}
    async for batch in logs.read_to_end(LOAN_PRODUCTS.name):
        for record in batch:
            try:
                payload = decode(record.topic, record.value).payload
            except ContractError:
                continue
            if isinstance(payload, contract.LoanProductWithdrawn):
                products[payload.loan_product_id] = None
            elif isinstance(payload, contract.LoanProduct):
                products[payload.loan_product_id] = payload.model_dump(mode="json")
    cooperative = profiles.get(need[0]["cooperative_id"]) if need else None
    return need, cooperative, [p for p in products.values() if p is not None]


@matching_app.command("explain-match")
def explain_match_command(
    demand_id: Annotated[str, typer.Argument(help="The sourcing demand.")],
    cooperative_id: Annotated[str, typer.Argument(help="The cooperative asked about.")],
    vietnamese: Annotated[bool, typer.Option("--vi/--en", help="Language of the reasons.")] = False,
) -> None:
    """Whether a cooperative's products are among a demand's matches, at which rank and why,
    or which rules keep them out (a missing or lapsing certificate, another kind of product).

    Read from Kafka, ranked with the workers' models (KETNOI_MODELS_DIR).
    """
    settings = MatchingSettings()
    sourcing, lead = model_store.models_in_use(settings.models_path)
    engine = MatchingEngine(sourcing_model=sourcing, lead_model=lead)
    engine.expire_demands(province_today())  # as the workers do: a demand over is closed
    last = asyncio.run(_load_for_match(engine, demand_id, KafkaSettings()))
    if engine.demand(demand_id) is None:
        if last is None:
            why = f"no demand {demand_id} on {DEMANDS.name} (the order is DEMAND COOPERATIVE)"
        elif isinstance(last, contract.SourcingDemandClosed):
            why = f"demand {demand_id} was closed by its business"
        else:
            why = f"the delivery of demand {demand_id} ended on {last.delivery_until}"
        console.print(f"[red]{why}[/red]")
        raise typer.Exit(1)
    try:
        text = commands.explain_match(
            engine, demand_id, cooperative_id, language="vi" if vietnamese else "en"
        )
    except ValueError as error:
        console.print(f"[red]{error} on {COOPERATIVES.name}[/red]")
        raise typer.Exit(1) from None
    typer.echo(text)  # plain: the lines are long and must not be re-wrapped


_DEMAND_EVENTS = (contract.SourcingDemand, contract.SourcingDemandClosed)


async def _load_for_match(
    engine: MatchingEngine, demand_id: str, settings: KafkaSettings
) -> contract.SourcingDemand | contract.SourcingDemandClosed | None:
    """Every cooperative's latest profile, then the demand's own events, into ``engine``;
    returns the demand's last event (None when there is none)."""
    logs = KafkaLogs(settings, "ketnoi-explain-match")
    last: contract.SourcingDemand | contract.SourcingDemandClosed | None = None
    with engine.deferred():  # ranked once, at the end
        for topic in (COOPERATIVES.name, DEMANDS.name):
            async for batch in logs.read_to_end(topic):
                for record in batch:
                    try:
                        envelope = decode(record.topic, record.value)
                    except ContractError:
                        continue  # the worker dead-letters it; it changes nothing here
                    payload = envelope.payload
                    if isinstance(payload, _DEMAND_EVENTS):
                        if payload.demand_id != demand_id:
                            continue
                        last = payload
                    elif not isinstance(payload, contract.CooperativeProfile):
                        continue  # credit needs, loan products: nothing to do with the demand
                    contract_mapping.apply_event(engine, payload, envelope.occurred_at.date())
    engine.settle()
    return last
