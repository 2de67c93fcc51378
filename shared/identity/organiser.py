"""The organiser's desk: the private key that signs tokens, and a ledger of the organisations
created, so a token can be issued again. Only the organiser's command line uses this; services
never see the ledger (they trust the signature)."""

from __future__ import annotations

import csv
import json
import os
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.identity.keys import create_key_pair, load_private_key
from shared.identity.model import Caller, Role
from shared.identity.settings import IdentitySettings
from shared.identity.tokens import TokenIssuer

ORGANISATION_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class LedgerConflict(ValueError):
    """An organisation id that exists already with another role or name."""


@dataclass(frozen=True)
class Organisation:
    organisation_id: str
    role: Role
    name: str
    created_at: str

    def as_caller(self) -> Caller:
        return Caller(self.organisation_id, self.role, self.name)


class OrganiserDesk:
    def __init__(self, settings: IdentitySettings) -> None:
        self.settings = settings
        self.ledger_file = settings.private_key_file.parent / "organisations.jsonl"

    def init(self) -> bool:
        """Make the key pair if there is none; True if it was made."""
        return create_key_pair(self.settings.private_key_file, self.settings.public_key_file)

    def _issuer(self) -> TokenIssuer:
        key = load_private_key(self.settings.private_key_file)
        return TokenIssuer(key, self.settings.issuer, self.settings.audience)

    def organisations(self) -> dict[str, Organisation]:
        if not self.ledger_file.exists():
            return {}
        found: dict[str, Organisation] = {}
        for line in self.ledger_file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                found[row["organisation_id"]] = Organisation(**{**row, "role": Role(row["role"])})
        return found

    def create(
        self, name: str, role: Role, organisation_id: str | None = None
    ) -> tuple[Organisation, bool]:
        """Record an organisation; the same id, role and name again is not an error (so scripts
        may run twice). Returns it and whether it is new."""
        organisation_id = organisation_id or f"org-{uuid.uuid4().hex[:16]}"
        if not ORGANISATION_ID.match(organisation_id):
            raise ValueError("an organisation id is 1 to 64 letters, digits or _ . : -")
        if not name.strip():
            raise ValueError("an organisation needs a name")
        self.init()
        known = self.organisations().get(organisation_id)
        if known is not None:
            if known.role is not role or known.name != name:
                raise LedgerConflict(
                    f"{organisation_id} exists as {known.role} {known.name!r}; choose another id"
                )
            return known, False
        organisation = Organisation(organisation_id, role, name, datetime.now(UTC).isoformat())
        self.ledger_file.parent.mkdir(parents=True, exist_ok=True)
        with self.ledger_file.open("a", encoding="utf-8") as ledger:
            row = {**asdict(organisation), "role": role.value}
            ledger.write(json.dumps(row, ensure_ascii=False) + "\n")
        return organisation, True

    def token(self, organisation: Organisation, valid_for: timedelta) -> str:
        return self._issuer().issue(organisation.as_caller(), valid_for)

    def token_for(self, organisation_id: str, valid_for: timedelta) -> str:
        organisation = self.organisations().get(organisation_id)
        if organisation is None:
            raise KeyError(f"no organisation {organisation_id!r} in {self.ledger_file}")
        return self.token(organisation, valid_for)


def write_credentials(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A CSV of tokens to hand out, created readable by its owner only (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # so the mode below applies even if the file existed
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")  # tokens are cut out with shell tools
        writer.writerow(header)
        writer.writerows(rows)
