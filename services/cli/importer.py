"""``ketnoi import cooperatives FILE.xlsx|csv``: the spreadsheets provincial offices keep.

Every row is checked first, with the same rules as the API; a dry run lists each bad row and
why. A real run refuses the whole file if any row is bad, then registers all cooperatives in one
request that the cooperatives service commits in one transaction: all or nothing. Rows naming
the same cooperative (same name, district and commune) add products to it. Importing the same
file again changes nothing; each cooperative's organisation id comes from its name and place,
so a cooperative imported before is refused, not duplicated.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from openpyxl import load_workbook
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from services.cooperatives.schemas import CooperativeImport, ImportedCooperative
from services.cooperatives.settings import CooperativesSettings
from shared import reference
from shared.contract.values import CooperativeKind
from shared.identity.model import Role
from shared.identity.organiser import OrganiserDesk, write_credentials
from shared.identity.settings import IdentitySettings
from shared.settings import StateSettings

# Column -> the headings it goes by (compared case- and spacing-insensitively).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("tên htx", "tên hợp tác xã", "tên", "name"),
    "kind": ("loại hình", "loại", "kind"),
    "sector": ("lĩnh vực", "ngành", "sector"),
    "district": ("huyện", "huyện/thị xã/thành phố", "huyện/tx/tp", "district"),
    "commune": ("xã", "xã/phường/thị trấn", "xã/phường", "commune"),
    "founded_year": ("năm thành lập", "founded_year", "founded"),
    "member_count": ("số thành viên", "thành viên", "member_count", "members"),
    "annual_revenue_vnd": (
        "doanh thu (vnđ)", "doanh thu năm (vnđ)", "doanh thu", "annual_revenue_vnd", "revenue",
    ),
    "product": ("sản phẩm", "sản phẩm chính", "product"),
    "description": ("mô tả", "mô tả sản phẩm", "description"),
    "capacity": ("sản lượng/tháng", "công suất/tháng", "sản lượng tháng", "monthly_capacity",
                 "capacity"),
    "unit": ("đơn vị", "đơn vị tính", "đvt", "unit"),
    "certifications": ("chứng nhận", "certifications"),
    "harvest_months": ("tháng thu hoạch", "mùa vụ", "harvest_months"),
}  # fmt: skip
REQUIRED = ("name", "kind", "sector", "district", "commune", "founded_year", "member_count")
HEADINGS = {column: names[0] for column, names in COLUMNS.items()}

KINDS = {
    "htx": CooperativeKind.HTX,
    "hợp tác xã": CooperativeKind.HTX,
    "tht": CooperativeKind.THT,
    "tổ hợp tác": CooperativeKind.THT,
    "liên hiệp htx": CooperativeKind.UNION,
    "liên hiệp hợp tác xã": CooperativeKind.UNION,
    "union": CooperativeKind.UNION,
    "quỹ tdnd": CooperativeKind.CREDIT_FUND,
    "quỹ tín dụng nhân dân": CooperativeKind.CREDIT_FUND,
    "credit_fund": CooperativeKind.CREDIT_FUND,
}
SECTOR_WORDS = {
    "nông nghiệp": "agriculture",
    "tiểu thủ công nghiệp": "industry_handicraft",
    "công nghiệp - tiểu thủ công nghiệp": "industry_handicraft",
    "ttcn": "industry_handicraft",
    "thương mại - dịch vụ": "commerce_services",
    "dịch vụ": "commerce_services",
    "vận tải": "transport",
    "xây dựng": "construction",
    "tín dụng": "credit",
    "môi trường": "environment",
}
CERTIFICATION_WORDS = {
    "vietgap": "vietgap",
    "globalgap": "globalgap",
    "hữu cơ": "organic",
    "organic": "organic",
    "haccp": "haccp",
    "iso 22000": "iso22000",
    "iso22000": "iso22000",
    "ocop": "ocop",
}


def _words(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


# --- reading the file ---------------------------------------------------------------------


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """The heading row and the data rows (with their spreadsheet row numbers), empty rows left
    out."""
    if path.suffix.casefold() == ".xlsx":
        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        table = [list(row) for row in sheet.iter_rows(values_only=True)]
    elif path.suffix.casefold() == ".csv":
        text = path.read_bytes().decode("utf-8-sig")
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=",;\t")
        table = [list(row) for row in csv.reader(io.StringIO(text), dialect)]
    else:
        raise ValueError(f"{path.name}: give a .xlsx or .csv file")
    if not table:
        raise ValueError(f"{path.name} is empty")
    headings = ["" if cell is None else str(cell) for cell in table[0]]
    rows = [
        (number, row)
        for number, row in enumerate(table[1:], start=2)
        if any(cell not in (None, "") for cell in row)
    ]
    return headings, rows


def _columns(headings: list[str]) -> dict[str, int]:
    known = {_words(name): column for column, names in COLUMNS.items() for name in names}
    found: dict[str, int] = {}
    for index, heading in enumerate(headings):
        column = known.get(_words(heading))
        if column is not None and column not in found:
            found[column] = index
    missing = [HEADINGS[column] for column in REQUIRED if column not in found]
    if missing:
        raise ValueError(f"missing column(s): {', '.join(missing)}")
    return found


# --- cell values --------------------------------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _whole_number(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _text(value).replace(" ", "")
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", text):  # 3.500.000.000 or 3,500,000,000
        text = re.sub(r"[.,]", "", text)
    if not re.fullmatch(r"-?\d+", text):
        raise ValueError(f"{_text(value)!r} is not a whole number")
    return int(text)


def _decimal(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = _text(value).replace(" ", "")
    if re.fullmatch(r"\d+,\d+", text):  # 2,5 (decimal comma)
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{_text(value)!r} is not a number") from None


def _kind(value: Any) -> str:
    kind = KINDS.get(_words(_text(value)))
    if kind is None:
        raise ValueError(f"{_text(value)!r} is not HTX, THT, Liên hiệp HTX or Quỹ TDND")
    return kind.value


def _sector(value: Any) -> str:
    words = _words(_text(value))
    if words in reference.sector_codes():
        return words
    sectors = json.loads((reference.DATA_DIR / "sectors.json").read_text(encoding="utf-8"))
    names = {_words(row["name_vi"]): row["code"] for row in sectors["sectors"]}
    sector = names.get(words) or SECTOR_WORDS.get(words)
    if sector is None:
        raise ValueError(f"{_text(value)!r} is not one of the fields: {', '.join(sorted(names))}")
    return sector


def _district(value: Any) -> str:
    words = _words(_text(value))
    for prefix in ("thành phố ", "tp. ", "tp ", "thị xã ", "tx. ", "tx ", "huyện "):
        words = words.removeprefix(prefix)
    if words in reference.district_codes():
        return words
    names = {
        _words(place.name): code
        for code, place in reference.places().items()
        if code in reference.district_codes()
    }
    if words not in names:
        raise ValueError(f"{_text(value)!r} is not a district of the province")
    return names[words]


def _date(text: str) -> str:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (dd/mm/yyyy)")


def _certifications(value: Any) -> list[dict[str, Any]]:
    """'VietGAP (30/06/2027); OCOP 4 sao (31/12/2027)'."""
    found = []
    for item in re.split(r"[;\n]", _text(value)):
        words = _words(item)
        if not words:
            continue
        kind = next((code for word, code in CERTIFICATION_WORDS.items() if word in words), None)
        if kind is None:
            raise ValueError(
                f"{item.strip()!r}: not VietGAP, GlobalGAP, hữu cơ, HACCP, ISO 22000 or OCOP"
            )
        expiry = re.search(r"\(([^)]*)\)", item)
        if expiry is None:
            raise ValueError(
                f"{item.strip()!r}: give the expiry date in brackets, e.g. (31/12/2027)"
            )
        certification: dict[str, Any] = {"kind": kind, "expires_on": _date(expiry.group(1).strip())}
        stars = re.search(r"(\d)\s*sao", words)
        if stars is not None:
            certification["stars"] = int(stars.group(1))
        found.append(certification)
    return found


def _months(value: Any) -> list[int]:
    """'5,6,9,10' or '5-6; 9-10'; empty means all year."""
    months: list[int] = []
    for part in re.split(r"[,;\s]+", _text(value)):
        if not part:
            continue
        bounds = part.split("-")
        if len(bounds) == 2:
            months.extend(range(_whole_number(bounds[0]), _whole_number(bounds[1]) + 1))
        else:
            months.append(_whole_number(part))
    return months


COOPERATIVE_FIELDS = {
    "name": _text,
    "kind": _kind,
    "sector": _sector,
    "district": _district,
    "commune": _text,
    "founded_year": _whole_number,
    "member_count": _whole_number,
    "annual_revenue_vnd": _whole_number,
}
PRODUCT_FIELDS = {
    "description": _text,
    "certifications": _certifications,
    "harvest_months": _months,
}
# Where a field of the API model came from, to name the column in a report.
SOURCE_COLUMN = {
    "name": "name",
    "monthly_capacity": "capacity",
    "unit": "unit",
    "amount": "capacity",
    "certifications": "certifications",
    "harvest_months": "harvest_months",
    "description": "description",
}


# --- checking rows ------------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    reason: str


@dataclass
class ImportPlan:
    file_digest: str
    rows_read: int
    cooperatives: list[dict[str, Any]] = field(default_factory=list)
    source_rows: list[list[int]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    def organisation_id(self, cooperative: dict[str, Any]) -> str:
        """The same cooperative gets the same organisation, whichever file it comes in."""
        identity = "|".join(
            _words(str(cooperative[key])) for key in ("name", "district", "commune")
        )
        return f"org-htx-{hashlib.sha256(identity.encode()).hexdigest()[:20]}"


def _cell(row: list[Any], columns: dict[str, int], column: str) -> Any:
    index = columns.get(column)
    return row[index] if index is not None and index < len(row) else None


def _parse_row(
    number: int, row: list[Any], columns: dict[str, int]
) -> tuple[dict[str, Any], dict[str, Any] | None, list[RowProblem]]:
    problems: list[RowProblem] = []
    cooperative: dict[str, Any] = {}
    for column, parse in COOPERATIVE_FIELDS.items():
        value = _cell(row, columns, column)
        if value in (None, ""):
            if column in REQUIRED:
                problems.append(RowProblem(number, HEADINGS[column], "required"))
            continue
        try:
            cooperative[column] = parse(value)
        except ValueError as error:
            problems.append(RowProblem(number, HEADINGS[column], str(error)))
    product_name = _text(_cell(row, columns, "product"))
    if not product_name:
        return cooperative, None, problems
    product: dict[str, Any] = {"name": product_name}
    try:
        product["monthly_capacity"] = {
            "amount": _decimal(_cell(row, columns, "capacity")),
            "unit": _text(_cell(row, columns, "unit")),
        }
    except ValueError as error:
        problems.append(RowProblem(number, HEADINGS["capacity"], str(error)))
    for column, parse in PRODUCT_FIELDS.items():
        value = _cell(row, columns, column)
        if value in (None, ""):
            continue
        try:
            product[column] = parse(value)
        except ValueError as error:
            problems.append(RowProblem(number, HEADINGS[column], str(error)))
    return cooperative, product, problems


def _column_of(location: tuple[int | str, ...]) -> str:
    if location and location[0] == "products":
        for part in reversed(location[2:]):
            if isinstance(part, str) and part in SOURCE_COLUMN:
                return HEADINGS[SOURCE_COLUMN[part]]
        return HEADINGS["product"]
    first = str(location[0]) if location else "name"
    return HEADINGS.get(first, first)


def _reason(message: str) -> str:
    return message.removeprefix("Value error, ")


def _check(
    number: int, cooperative: dict[str, Any], product: dict[str, Any] | None
) -> list[RowProblem]:
    """The API's own rules on one row (what parsing could not know: lengths, units, ranges)."""
    candidate = {
        **cooperative,
        "organisation_id": "org-check",
        "products": [product] if product else [],
    }
    try:
        ImportedCooperative.model_validate(candidate)
    except ValidationError as error:
        return [
            RowProblem(number, _column_of(tuple(item["loc"])), _reason(item["msg"]))
            for item in error.errors()
        ]
    return []


def plan_import(path: Path) -> ImportPlan:
    """Read and check every row; the plan holds either problems or cooperatives ready to send."""
    headings, rows = read_rows(path)
    columns = _columns(headings)
    plan = ImportPlan(hashlib.sha256(path.read_bytes()).hexdigest(), len(rows))
    by_identity: dict[str, int] = {}
    for number, row in rows:
        cooperative, product, problems = _parse_row(number, row, columns)
        if not problems:
            problems = _check(number, cooperative, product)
        if problems:
            plan.problems.extend(problems)
            continue
        identity = plan.organisation_id(cooperative)
        if identity not in by_identity:
            by_identity[identity] = len(plan.cooperatives)
            plan.cooperatives.append({**cooperative, "products": []})
            plan.source_rows.append([])
        index = by_identity[identity]
        known = plan.cooperatives[index]
        differing = [
            HEADINGS[key]
            for key in COOPERATIVE_FIELDS
            if key in cooperative and cooperative[key] != known.get(key)
        ]
        if differing:
            first = plan.source_rows[index][0]
            plan.problems.append(
                RowProblem(
                    number,
                    ", ".join(differing),
                    f"differs from row {first} of the same cooperative",
                )
            )
            continue
        if product is not None:
            known["products"].append(product)
        plan.source_rows[index].append(number)
    return plan


# --- sending ------------------------------------------------------------------------------


class ImportRefused(Exception):
    def __init__(self, message: str, problems: list[RowProblem]) -> None:
        super().__init__(message)
        self.problems = problems


@dataclass(frozen=True)
class Imported:
    organisation_id: str
    name: str
    cooperative_id: str
    rows: list[int]


def request_body(plan: ImportPlan) -> dict[str, Any]:
    body = {
        "cooperatives": [
            {"organisation_id": plan.organisation_id(cooperative), **cooperative}
            for cooperative in plan.cooperatives
        ]
    }
    CooperativeImport.model_validate(body)  # the whole file as the API will see it
    return body


def send(
    plan: ImportPlan, client: httpx.Client, organiser_token: str
) -> tuple[list[Imported], bool]:
    """One request, all or nothing; the same file again replays the first answer. Returns the
    cooperatives and whether this file had been imported before."""
    response = client.post(
        "/v1/cooperative-imports",
        json=request_body(plan),
        headers={
            "Authorization": f"Bearer {organiser_token}",
            "Idempotency-Key": f"import-{plan.file_digest[:48]}",
        },
    )
    if response.status_code != 201:
        error = response.json().get("error", {}) if response.content else {}
        raise ImportRefused(
            f"the cooperatives service refused the file ({response.status_code}): "
            f"{error.get('message', response.text[:300])}",
            list(_problems_of(plan, error.get("fields", []))),
        )
    answers = zip(response.json()["imported"], plan.cooperatives, plan.source_rows, strict=True)
    imported = [
        Imported(item["organisation_id"], cooperative["name"], item["cooperative_id"], rows)
        for item, cooperative, rows in answers
    ]
    return imported, response.headers.get("Idempotent-Replayed") == "true"


def _problems_of(plan: ImportPlan, fields: list[dict[str, str]]) -> Iterator[RowProblem]:
    for problem in fields:
        match = re.match(r"cooperatives\[(\d+)\]", problem.get("field", ""))
        rows = plan.source_rows[int(match.group(1))] if match else [0]
        yield RowProblem(rows[0], problem.get("field", ""), problem.get("reason", ""))


# --- the command --------------------------------------------------------------------------

import_app = typer.Typer(help="Bring data in from the spreadsheets provincial offices keep.")
IMPORTER = ("org-importer", "Nhập liệu từ bảng tính (ketnoi import)")


def _report(console: Console, problems: list[RowProblem]) -> None:
    table = Table("row", "column", "why", title=f"{len(problems)} problem(s)")
    for problem in sorted(problems, key=lambda p: (p.row, p.column)):
        table.add_row(str(problem.row), problem.column, problem.reason)
    console.print(table)


@import_app.command("cooperatives")
def import_cooperatives(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".xlsx or .csv")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and report; send nothing")
    ] = False,
    credentials: Annotated[
        Path | None, typer.Option(help="Where to write the new organisations' tokens (CSV)")
    ] = None,
) -> None:
    """Register the cooperatives of a spreadsheet: all of them, or none if any row is bad."""
    console = Console()
    try:
        plan = plan_import(file)
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    rows_ok = plan.rows_read - len({problem.row for problem in plan.problems})
    console.print(
        f"{file.name}: {plan.rows_read} row(s), {rows_ok} good, "
        f"{len(plan.cooperatives)} cooperative(s)"
    )
    if plan.problems:
        _report(console, plan.problems)
        console.print("[red]nothing was imported[/red]: correct the rows above and run again")
        raise typer.Exit(1)
    if dry_run:
        console.print("dry run: every row is good; nothing was sent")
        return
    desk = OrganiserDesk(IdentitySettings())
    importer, _new = desk.create(IMPORTER[1], Role.ORGANISER, IMPORTER[0])
    settings = CooperativesSettings()
    with httpx.Client(base_url=settings.base_url, timeout=120.0) as client:
        try:
            imported, replayed = send(plan, client, desk.token(importer, timedelta(hours=1)))
        except ImportRefused as refused:
            console.print(f"[red]{refused}[/red]")
            _report(console, refused.problems)
            raise typer.Exit(1) from None
        except httpx.HTTPError as error:
            console.print(f"[red]cannot reach {settings.base_url}: {error}[/red]")
            raise typer.Exit(1) from None
    path = credentials or StateSettings().state_dir / "imports" / f"{file.stem}-credentials.csv"
    write_tokens(desk, imported, path)
    done = "were imported before: nothing changed" if replayed else "imported"
    console.print(f"{len(imported)} cooperative(s) {done}; their organisations' tokens: {path}")


def write_tokens(desk: OrganiserDesk, imported: list[Imported], path: Path) -> None:
    """Each new cooperative's organisation and token, to hand to it."""
    rows = []
    for item in imported:
        organisation, _new = desk.create(item.name, Role.COOPERATIVE, item.organisation_id)
        token = desk.token(organisation, timedelta(days=365))
        numbers = " ".join(str(row) for row in item.rows)
        rows.append([numbers, item.organisation_id, item.cooperative_id, item.name, token])
    write_credentials(path, ["rows", "organisation_id", "cooperative_id", "name", "token"], rows)
