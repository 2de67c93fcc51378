"""``ketnoi org``: the organiser's keys, organisations and their credentials.

A credential is a bearer token signed with the organiser's Ed25519 key (in the state folder,
readable by its owner only). Services verify it with the public key; see docs/identity.md.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shared.identity.model import Role
from shared.identity.organiser import LedgerConflict, OrganiserDesk
from shared.identity.settings import IdentitySettings

org_app = typer.Typer(help="Organisations and their credentials (bearer tokens).")
console = Console()

Days = Annotated[int, typer.Option("--days", min=1, max=3650, help="How long the token is valid")]


def desk() -> OrganiserDesk:
    return OrganiserDesk(IdentitySettings())


@org_app.command("init")
def init() -> None:
    """Make the organiser's key pair if there is none (services need the public key)."""
    organiser = desk()
    made = organiser.init()
    console.print(
        ("made" if made else "kept")
        + f" the key pair in {organiser.settings.private_key_file.parent}"
    )
    console.print(f"services verify tokens with {organiser.settings.public_key_file}")


@org_app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="e.g. 'HTX Nông nghiệp Sen Thủy'")],
    role: Annotated[Role, typer.Option("--role", case_sensitive=False)],
    organisation_id: Annotated[
        str | None, typer.Option("--id", help="Your own id; a new one is made if absent")
    ] = None,
    days: Days = 365,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only")] = False,
) -> None:
    """Create an organisation and print its credential."""
    try:
        organisation, _new = desk().create(name, role, organisation_id)
    except (LedgerConflict, ValueError) as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    token = desk().token(organisation, timedelta(days=days))
    if as_json:
        typer.echo(
            json.dumps(
                {"organisation_id": organisation.organisation_id, "role": role.value,
                 "name": name, "token": token},
                ensure_ascii=False,
            )
        )  # fmt: skip
        return
    console.print(
        f"organisation [bold]{organisation.organisation_id}[/bold] ({role.value}): {name}"
    )
    console.print(f"token, valid {days} days; send it as 'Authorization: Bearer <token>':")
    typer.echo(token)


@org_app.command("list")
def list_organisations() -> None:
    """The organisations this organiser created."""
    table = Table("id", "role", "name", "created")
    for organisation in desk().organisations().values():
        table.add_row(
            organisation.organisation_id,
            organisation.role.value,
            organisation.name,
            organisation.created_at[:19],
        )
    console.print(table)


@org_app.command("token")
def token(
    organisation_id: Annotated[str, typer.Argument(help="An id from `ketnoi org list`")],
    days: Days = 365,
) -> None:
    """Issue a fresh token for an organisation (the old one stays valid until it expires)."""
    try:
        typer.echo(desk().token_for(organisation_id, timedelta(days=days)))
    except KeyError as error:
        console.print(f"[red]{error.args[0]}[/red]")
        raise typer.Exit(2) from None
