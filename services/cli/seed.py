"""``ketnoi seed``: load the Quảng Bình demo data set through the public HTTP APIs.

The plan is built deterministically from ``seed_data/quang_binh.yaml`` (the same run gives the
same organisations and bodies), and every POST carries an ``Idempotency-Key`` made from what it
sends, so running the seed again replays the first answers instead of creating anything twice.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
import yaml
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from services.banks.settings import BanksSettings
from services.businesses.settings import BusinessesSettings
from services.cooperatives.settings import CooperativesSettings
from shared.identity.model import Role
from shared.identity.organiser import Organisation, OrganiserDesk, write_credentials
from shared.identity.settings import IdentitySettings
from shared.settings import StateSettings

DATA_FILE = Path(__file__).resolve().parent / "seed_data" / "quang_binh.yaml"
TOKEN_VALIDITY = timedelta(days=365)


# --- the plan: who, and what each sends ---------------------------------------------------


@dataclass(frozen=True)
class Request:
    path: str  # with {cooperative_id} for a credit need
    body: dict[str, Any]

    def idempotency_key(self, owner: str) -> str:
        digest = hashlib.sha256(
            json.dumps([owner, self.path, self.body], sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        return f"seed-{digest[:32]}"


@dataclass(frozen=True)
class Member:
    organisation_id: str
    role: Role
    name: str
    service: str  # cooperatives | businesses | banks
    requests: tuple[Request, ...]


@dataclass(frozen=True)
class SeedPlan:
    members: tuple[Member, ...]

    def of_role(self, role: Role) -> list[Member]:
        return [member for member in self.members if member.role is role]

    @property
    def request_count(self) -> int:
        return sum(len(member.requests) for member in self.members)


def load_data(path: Path = DATA_FILE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


def _spread(weights: dict[str, int], total: int) -> dict[str, int]:
    """``total`` shared out in proportion to ``weights`` (largest remainders first)."""
    whole = sum(weights.values())
    exact = {key: total * weight / whole for key, weight in weights.items()}
    counts = {key: int(value) for key, value in exact.items()}
    by_remainder = sorted(exact, key=lambda key: exact[key] - counts[key], reverse=True)
    for key in by_remainder[: total - sum(counts.values())]:
        counts[key] += 1
    return counts


def _certifications(rng: random.Random, chances: dict[str, float], year: int) -> list[Any]:
    found = []
    for kind, chance in chances.items():
        if rng.random() < chance:
            expires = date(year + rng.randint(1, 3), rng.choice([3, 6, 9, 12]), 28)
            certification: dict[str, Any] = {"kind": kind, "expires_on": expires.isoformat()}
            if kind == "ocop":
                certification["stars"] = rng.choices([3, 4, 5], weights=[6, 3, 1])[0]
            found.append(certification)
    return found


def _round(value: float) -> float:
    return float(round(value, -1)) if value >= 100 else float(round(value))


def _product(rng: random.Random, kind: dict[str, Any], place: str, year: int) -> dict[str, Any]:
    low, high = kind["capacity"]
    return {
        "product_id": kind["key"],
        "name": f"{kind['product']} {place}",
        "description": kind["description"],
        "monthly_capacity": {"amount": _round(rng.uniform(low, high)), "unit": kind["unit"]},
        "certifications": _certifications(rng, kind["certifications"], year),
        "harvest_months": kind["harvest_months"],
    }


def _credit_need(rng: random.Random, purposes: list[dict[str, str]]) -> dict[str, Any]:
    chosen = rng.choice(purposes)
    amount = rng.choice([50, 100, 150, 200, 300, 500, 800, 1000, 1500, 2000, 3000]) * 1_000_000
    offered = rng.random() < 0.6
    return {
        "amount_vnd": amount,
        "purpose": chosen["purpose"],
        "purpose_detail": chosen["detail"],
        "term_months": rng.choice([12, 24, 36, 48, 60]),
        "collateral_offered": offered,
        "collateral_description": "Quyền sử dụng đất, nhà xưởng của HTX" if offered else "",
    }


def _cooperatives(
    rng: random.Random, data: dict[str, Any], total: int, year: int
) -> Iterator[Member]:
    communes: dict[str, list[str]] = data["communes"]
    kinds = {kind["key"]: kind for kind in data["product_kinds"]}
    purposes = data["credit_need_purposes"]
    fixed = len(data["unions"]) + len(data["credit_funds"])
    counts = _spread({key: kind["weight"] for key, kind in kinds.items()}, max(total - fixed, 0))
    names: Counter[str] = Counter()
    number = 0

    def member(profile: dict[str, Any], with_need: bool) -> Member:
        nonlocal number
        number += 1
        requests = [Request("/v1/cooperatives", profile)]
        if with_need:
            requests.append(
                Request(
                    "/v1/cooperatives/{cooperative_id}/credit-needs", _credit_need(rng, purposes)
                )
            )
        return Member(
            f"org-seed-coop-{number:03d}",
            Role.COOPERATIVE,
            profile["name"],
            "cooperatives",
            tuple(requests),
        )

    for union in data["unions"]:
        kind = kinds[union["product_kind"]]
        yield member(
            {
                "name": union["name"],
                "kind": "union",
                "sector": kind["sector"],
                "district": union["district"],
                "commune": union["commune"],
                "founded_year": union["founded_year"],
                "member_count": rng.randint(5, 12),
                "annual_revenue_vnd": rng.randint(20, 60) * 1_000_000_000,
                "products": [_product(rng, kind, "Lệ Thủy", year)],
            },
            with_need=True,
        )
    for key, count in counts.items():
        kind = kinds[key]
        for _ in range(count):
            district = rng.choice(kind["districts"])
            commune = rng.choice(communes[district])
            group = rng.random() < 0.2  # tổ hợp tác: smaller, younger
            name = f"{'THT' if group else 'HTX'} {kind['label']} {commune}"
            names[name] += 1
            if names[name] > 1:
                name = f"{name} số {names[name]}"
            members = rng.randint(5, 25) if group else rng.randint(7, 300)
            yield member(
                {
                    "name": name,
                    "kind": "tht" if group else "htx",
                    "sector": kind["sector"],
                    "district": district,
                    "commune": commune,
                    "founded_year": rng.randint(2016, year) if group else rng.randint(1997, year),
                    "member_count": members,
                    "annual_revenue_vnd": rng.randint(3, 200) * 50_000_000,
                    "products": [_product(rng, kind, commune, year)],
                },
                with_need=rng.random() < 0.6,
            )
    for commune in data["credit_funds"]:
        district = next(code for code, names_ in communes.items() if commune in names_)
        yield member(
            {
                "name": f"Quỹ tín dụng nhân dân {commune}",
                "kind": "credit_fund",
                "sector": "credit",
                "district": district,
                "commune": commune,
                "founded_year": rng.randint(1995, 2005),
                "member_count": rng.randint(800, 4000),
                "annual_revenue_vnd": rng.randint(10, 40) * 1_000_000_000,
                "products": [],
            },
            with_need=False,
        )


def _demand(rng: random.Random, kind: dict[str, Any], place: str, anchor: date) -> dict[str, Any]:
    low, high = kind["capacity"]
    monthly = rng.random() < 0.7
    quantity = rng.uniform(low, high) * rng.uniform(0.3, 1.5) * (1 if monthly else 3)
    start = anchor + timedelta(days=30 * rng.randint(0, 3))
    price_low, price_high = kind["price"]
    price_min = int(round(price_low * rng.uniform(0.9, 1.1), -3))
    required = []
    if kind["certifications"] and rng.random() < 0.5:
        certification = max(kind["certifications"], key=kind["certifications"].get)
        required.append(
            {"kind": certification, "min_stars": 3}
            if certification == "ocop"
            else {"kind": certification}
        )
    return {
        "product": kind["product"],
        "description": f"Thu mua {kind['product'].lower()} — {kind['description'].lower()}",
        "quantity": {"amount": _round(quantity), "unit": kind["unit"]},
        "recurrence": "monthly" if monthly else "one_off",
        "required_certifications": required,
        "delivery_place": place,
        "delivery_from": start.isoformat(),
        "delivery_until": (start + timedelta(days=30 * rng.randint(2, 9))).isoformat(),
        "price_min_vnd": price_min,
        "price_max_vnd": int(round(max(price_high, price_min) * rng.uniform(0.95, 1.1), -3)),
    }


def _enterprises(
    rng: random.Random, data: dict[str, Any], total: int, anchor: date
) -> Iterator[Member]:
    kinds = {kind["key"]: kind for kind in data["product_kinds"]}
    spec = data["enterprises"]
    for number in range(1, total + 1):
        trade = spec["kinds"][(number - 1) % len(spec["kinds"])]
        name = (
            f"{rng.choice(spec['forms'])} {trade['trade']} "
            f"{spec['names'][(number - 1) % len(spec['names'])]}"
        )
        buys = rng.sample(trade["buys"], k=min(len(trade["buys"]), rng.randint(1, 3)))
        requests = tuple(
            Request(
                "/v1/demands", _demand(rng, kinds[key], rng.choice(trade["deliver_to"]), anchor)
            )
            for key in buys
        )
        yield Member(f"org-seed-biz-{number:03d}", Role.BUSINESS, name, "businesses", requests)


def _lenders(data: dict[str, Any]) -> Iterator[Member]:
    for lender in data["lenders"]:
        requests = tuple(
            Request(
                "/v1/loan-products",
                {
                    "name": product["name"],
                    "amount_min_vnd": product["amount"][0],
                    "amount_max_vnd": product["amount"][1],
                    "max_term_months": product["term"],
                    "interest_rate_pct_per_year": product["rate"],
                    "eligible_sectors": product["sectors"],
                    "eligible_kinds": product["kinds"],
                    "min_years_operating": product["min_years"],
                    "min_members": product["min_members"],
                    "collateral_required": product["collateral"],
                    "eligible_districts": product.get("districts", []),
                    "purposes": product["purposes"],
                },
            )
            for product in lender["products"]
        )
        yield Member(f"org-seed-{lender['id']}", Role.BANK, lender["name"], "banks", requests)


def make_plan(
    data: dict[str, Any], cooperatives: int = 150, enterprises: int = 40, today: date | None = None
) -> SeedPlan:
    """The same arguments in the same month give the same plan: delivery dates start from the
    first of the month, so a rerun next month posts fresh demands rather than stale ones."""
    today = today or date.today()
    anchor = today.replace(day=1)
    year = today.year
    rng = random.Random(f"ketnoi-quang-binh-{anchor.isoformat()}")
    organiser = Member(
        "org-seed-so-cong-thuong", Role.ORGANISER, "Sở Công Thương Quảng Bình", "", ()
    )
    return SeedPlan(
        (
            *_cooperatives(rng, data, cooperatives, year),
            *_enterprises(rng, data, enterprises, anchor),
            *_lenders(data),
            organiser,
        )
    )


# --- running it through the APIs ----------------------------------------------------------


class SeedFailed(Exception):
    """A service refused something the seed sent, or could not be reached."""


@dataclass
class SeedReport:
    created: Counter[str] = field(default_factory=Counter)
    already_there: Counter[str] = field(default_factory=Counter)
    credentials: list[tuple[Organisation, str]] = field(default_factory=list)


def _post(
    client: httpx.Client, request: Request, path: str, owner: str, token: str
) -> tuple[int, dict[str, Any], bool]:
    response = client.post(
        path,
        json=request.body,
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": request.idempotency_key(owner),
        },
    )
    body: dict[str, Any] = response.json() if response.content else {}
    return response.status_code, body, response.headers.get("Idempotent-Replayed") == "true"


def _own_cooperative(client: httpx.Client, token: str) -> str:
    listed = client.get("/v1/cooperatives", headers={"Authorization": f"Bearer {token}"})
    if listed.status_code != 200 or not listed.json():
        raise SeedFailed(f"cannot find the cooperative already registered: {listed.text[:300]}")
    cooperative_id: str = listed.json()[0]["cooperative_id"]
    return cooperative_id


def _what(path: str) -> str:
    return {
        "/v1/cooperatives": "cooperatives",
        "/v1/cooperatives/{cooperative_id}/credit-needs": "credit needs",
        "/v1/demands": "demands",
        "/v1/loan-products": "loan products",
    }[path]


def run_seed(
    plan: SeedPlan,
    clients: dict[str, httpx.Client],
    desk: OrganiserDesk,
    advance: Callable[[str], None] = lambda _what: None,
) -> SeedReport:
    """Create the plan's organisations and send their requests; ``advance`` is called once per
    request (for a progress bar)."""
    report = SeedReport()
    for member in plan.members:
        organisation, _new = desk.create(member.name, member.role, member.organisation_id)
        token = desk.token(organisation, TOKEN_VALIDITY)
        report.credentials.append((organisation, token))
        cooperative_id = ""
        for request in member.requests:
            path = request.path.format(cooperative_id=cooperative_id)
            what = _what(request.path)
            status, body, replayed = _post(
                clients[member.service], request, path, member.organisation_id, token
            )
            if status == 409 and body.get("error", {}).get("code") == "already_registered":
                cooperative_id = _own_cooperative(clients[member.service], token)
                report.already_there[what] += 1
            elif status in (200, 201):
                cooperative_id = body.get("cooperative_id", cooperative_id)
                (report.already_there if replayed else report.created)[what] += 1
            else:
                raise SeedFailed(f"{member.name}: POST {path} answered {status}: {body}")
            advance(what)
    return report


def write_seed_credentials(report: SeedReport, path: Path) -> None:
    """Every seeded organisation's token, for trying the APIs."""
    write_credentials(
        path,
        ["organisation_id", "role", "name", "token"],
        (
            [organisation.organisation_id, organisation.role.value, organisation.name, token]
            for organisation, token in report.credentials
        ),
    )


def check_reachable(clients: dict[str, httpx.Client]) -> list[str]:
    """The services that do not answer /healthz (empty when all do)."""
    down = []
    for name, client in clients.items():
        try:
            if client.get("/healthz").status_code != 200:
                down.append(name)
        except httpx.HTTPError:
            down.append(name)
    return down


# --- the command --------------------------------------------------------------------------


def service_clients() -> dict[str, httpx.Client]:
    """HTTP clients of the three services, at the addresses their settings give."""
    settings = (CooperativesSettings(), BusinessesSettings(), BanksSettings())
    return {s.service_name: httpx.Client(base_url=s.base_url, timeout=30.0) for s in settings}


def seed_command(
    cooperatives: Annotated[int, typer.Option(min=0, max=2000, help="How many cooperatives")] = 150,
    enterprises: Annotated[int, typer.Option(min=0, max=500, help="How many enterprises")] = 40,
) -> None:
    """Load the Quảng Bình demo data through the services' public APIs (safe to run again)."""
    console = Console()
    clients = service_clients()
    down = check_reachable(clients)
    if down:
        urls = ", ".join(str(clients[name].base_url) for name in down)
        console.print(f"[red]not answering: {urls}[/red] — start the system with `ketnoi up`")
        raise typer.Exit(1)
    desk = OrganiserDesk(IdentitySettings())
    desk.init()
    plan = make_plan(load_data(), cooperatives, enterprises)
    columns = (SpinnerColumn(), TextColumn("{task.description:<14}"), BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("seeding", total=plan.request_count)
        try:
            report = run_seed(
                plan, clients, desk, lambda what: progress.update(task, advance=1, description=what)
            )
        except (SeedFailed, httpx.HTTPError) as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(1) from None
    credentials = StateSettings().state_dir / "seed" / "credentials.csv"
    write_seed_credentials(report, credentials)
    table = Table("", "created", "already there", title="Quảng Bình demo data")
    for what in ("cooperatives", "credit needs", "demands", "loan products"):
        table.add_row(what, str(report.created[what]), str(report.already_there[what]))
    console.print(table)
    console.print(f"organisations and their tokens: {credentials}")
    for name, client in clients.items():
        console.print(f"{name:>13}: {str(client.base_url).rstrip('/')}/docs")
    first = plan.of_role(Role.COOPERATIVE)[0].organisation_id
    console.print(
        'try: curl -H "Authorization: Bearer $(ketnoi org token '
        f'{first})" {str(clients["cooperatives"].base_url).rstrip("/")}/v1/cooperatives'
    )
