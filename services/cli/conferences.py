"""``ketnoi conference``: schedule a linkage conference and export its schedule, through the
conferences service's HTTP API (``CONFERENCES_PORT``, 8004).

``schedule`` starts a pairing job and follows it with a progress bar (score, bound, gap) until
it ends, then shows the optimality gap and what did not fit; it never waits past the time limit
plus a margin. ``export`` downloads the grid (or one participant's agenda) as a file.

Calls carry an organiser's token: ``--token`` (or ``KETNOI_TOKEN``), else one this organiser's
desk issues for its conference desk organisation (``ketnoi org init`` makes the keys).
"""

from __future__ import annotations

import time
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from services.conferences.settings import ConferencesSettings
from shared.identity.keys import MissingKey
from shared.identity.model import Role
from shared.identity.organiser import LedgerConflict, OrganiserDesk
from shared.identity.settings import IdentitySettings

conference_app = typer.Typer(
    help="Linkage conferences: generate schedules, follow the solver, export the files.",
    no_args_is_help=True,
)
console = Console()

CONFERENCE_DESK = ("org-conference-desk", "Ban tổ chức hội nghị kết nối")
# How long past the job's own time limit the command waits before giving up on it.
PATIENCE_SECONDS = 120.0


class Solver(StrEnum):
    CPSAT = "cpsat"
    FLOW = "flow"
    GREEDY = "greedy"


class Mode(StrEnum):
    HARD = "hard"
    SOFT = "soft"


class Lang(StrEnum):
    VI = "vi"
    EN = "en"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    ICS = "ics"
    PDF = "pdf"


Url = Annotated[
    str | None,
    typer.Option(
        "--url", envvar="CONFERENCES_URL", help="The service; default from CONFERENCES_PORT"
    ),
]
Token = Annotated[
    str | None,
    typer.Option("--token", envvar="KETNOI_TOKEN", help="An organiser's bearer token"),
]
Language = Annotated[Lang, typer.Option("--lang", help="vi or en")]


def open_client(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=60.0)


def _organiser_token(token: str | None) -> str:
    if token:
        return token
    desk = OrganiserDesk(IdentitySettings())
    try:
        organiser, _new = desk.create(CONFERENCE_DESK[1], Role.ORGANISER, CONFERENCE_DESK[0])
        return desk.token(organiser, timedelta(hours=2))
    except (MissingKey, LedgerConflict, ValueError) as error:
        console.print(f"[red]no organiser token: {error}[/red]; pass --token")
        raise typer.Exit(2) from None


def _refused(response: httpx.Response) -> NoReturn:
    """Say what the service refused, in its own words, and exit 1."""
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        console.print(f"[red]{response.status_code}: {response.text[:500]}[/red]")
        raise typer.Exit(1) from None
    console.print(f"[red]{error['message']}[/red]")
    for problem in error.get("fields", []):
        console.print(f"  {problem['field']}: {problem['reason']}")
    raise typer.Exit(1)


def _numbers(progress: dict[str, Any] | None) -> str:
    if not progress or progress.get("score") is None:
        return ""
    parts = [f"score {progress['score']:.2f}"]
    short = progress.get("floor_missing") or 0
    if short:
        # The bound is on score less the floor's penalty, not on the score: show the shortfall.
        parts.append(f"{short} meeting(s) short of the fairness floor")
    elif progress.get("bound") is not None:
        parts.append(f"bound {progress['bound']:.2f}")
    if progress.get("gap") is not None:
        parts.append(f"gap {progress['gap']:.1%}")
    return " · ".join(parts)


def _follow(
    client: httpx.Client,
    job: dict[str, Any],
    headers: dict[str, str],
    lang: Lang,
    poll_seconds: float,
) -> dict[str, Any]:
    """Poll the job until it ends, drawing its progress; exit 1 if it outlives its limit."""
    limit = float(job["time_limit_seconds"])
    give_up = time.monotonic() + limit + PATIENCE_SECONDS
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[numbers]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(f"{job['solver']}: {job['state']}", total=limit, numbers="")
        while True:
            answer = client.get(job["url"], params={"lang": lang.value}, headers=headers)
            if answer.status_code != 200:
                _refused(answer)
            job = answer.json()
            progress = job["progress"]
            elapsed = progress["elapsed_seconds"] if progress else 0.0
            finished = job["state"] in ("succeeded", "failed")
            bar.update(
                task,
                completed=limit if finished else min(elapsed, limit),
                description=f"{job['solver']}: {job['state']}",
                numbers=_numbers(progress),
            )
            if finished:
                return job
            if time.monotonic() > give_up:
                console.print(
                    f"[red]the job did not end within {limit:g} s and {PATIENCE_SECONDS:g} s "
                    f"more; see {job['url']}[/red]"
                )
                raise typer.Exit(1)
            time.sleep(poll_seconds)


@conference_app.command("schedule")
def schedule(
    conference_id: Annotated[str, typer.Argument(help="The conference's id (conf-…)")],
    solver: Annotated[Solver, typer.Option(help="cpsat: best; flow, greedy: fast")] = Solver.CPSAT,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=1, help="Seconds the solver may take")
    ] = 30.0,
    fairness: Annotated[
        int, typer.Option("--fairness", min=0, help="k: meetings every matched cooperative gets")
    ] = 1,
    mode: Annotated[Mode, typer.Option(help="hard: the floor first; soft: traded")] = Mode.HARD,
    lang: Language = Lang.VI,
    url: Url = None,
    token: Token = None,
    poll: Annotated[float, typer.Option(hidden=True, min=0.01)] = 0.5,
) -> None:
    """Generate the schedule, with a progress bar while the solver runs."""
    headers = {"Authorization": f"Bearer {_organiser_token(token)}"}
    base_url = url or ConferencesSettings().base_url
    client = open_client(base_url)
    try:
        started = client.post(
            f"/v1/conferences/{conference_id}/pairings",
            json={
                "solver": solver.value,
                "time_limit_seconds": time_limit,
                "fairness_floor": fairness,
                "fairness_mode": mode.value,
            },
            headers=headers,
        )
        if started.status_code != 202:
            _refused(started)
        job = _follow(client, started.json(), headers, lang, poll)
    except httpx.HTTPError as error:
        console.print(f"[red]cannot reach {base_url}: {error}[/red]")
        raise typer.Exit(1) from None
    finally:
        client.close()
    if job["state"] == "failed":
        failure = job["error"] or {"message": "the job failed", "fields": []}
        console.print(f"[red]{failure['message']}[/red]")
        for problem in failure.get("fields", []):
            console.print(f"  {problem['field']}: {problem['reason']}")
        raise typer.Exit(1)
    result = job["result"]
    progress = job["progress"] or {}
    bound = (
        f"bound {result['upper_bound']:.2f}, "
        if not progress.get("floor_missing")
        else "fairness floor out of reach, "
    )
    console.print(
        f"revision {result['revision']}: {result['meetings']} meetings, "
        f"score {result['total_score']:.2f}, {bound}gap {result['gap']:.2%} ({result['status']})"
    )
    console.print(result["capacity_message"])
    console.print(result["fairness_message"])


@conference_app.command("export")
def export(
    conference_id: Annotated[str, typer.Argument(help="The conference's id (conf-…)")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the file")],
    file_format: Annotated[
        ExportFormat, typer.Option("--format", help="csv, xlsx, ics or pdf")
    ] = ExportFormat.PDF,
    lang: Language = Lang.VI,
    participant: Annotated[
        str | None,
        typer.Option(help="One participant's agenda (csv, ics, pdf) instead of the grid"),
    ] = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """Download the newest schedule (or one participant's agenda) as a file."""
    headers = {"Authorization": f"Bearer {_organiser_token(token)}"}
    base_url = url or ConferencesSettings().base_url
    path = (
        f"/v1/conferences/{conference_id}/schedule.{file_format.value}"
        if participant is None
        else f"/v1/conferences/{conference_id}/agendas/{participant}.{file_format.value}"
    )
    client = open_client(base_url)
    try:
        answer = client.get(path, params={"lang": lang.value}, headers=headers)
    except httpx.HTTPError as error:
        console.print(f"[red]cannot reach {base_url}: {error}[/red]")
        raise typer.Exit(1) from None
    finally:
        client.close()
    if answer.status_code != 200:
        _refused(answer)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(answer.content)
    console.print(f"wrote {output} ({len(answer.content)} bytes, {answer.headers['content-type']})")
