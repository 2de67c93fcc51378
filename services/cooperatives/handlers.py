"""The write side: register and change cooperatives, submit credit needs, import in bulk.

Each handler changes rows and adds the matching event to the outbox; the caller commits both
in one transaction (``shared.web.idempotency.Write``).
"""

from __future__ import annotations

from typing import TypeVar

from services.cooperatives import views
from services.cooperatives.repository import Cooperatives
from services.cooperatives.schemas import (
    CooperativeImport,
    CooperativeIn,
    CooperativePublic,
    CreditNeedCreate,
    CreditNeedPublic,
    ImportedPublic,
    ImportPublic,
)
from shared.contract.events import (
    CooperativeProfile,
    CooperativeRegistered,
    CooperativeUpdated,
    CreditNeedSubmitted,
)
from shared.identity.model import Caller
from shared.outbox.unit_of_work import UnitOfWork
from shared.storage.ids import new_id
from shared.topics import COOPERATIVES
from shared.web.access import to_change
from shared.web.errors import Conflict, FieldProblem, InvalidInput

P = TypeVar("P", bound=CooperativeProfile)


def _profile(event: type[P], cooperative_id: str, organisation_id: str, data: CooperativeIn) -> P:
    profile = data.model_dump(include=set(CooperativeIn.model_fields))
    # A product keeps its id across changes (matches refer to it); a new one gets an id.
    for product in profile["products"]:
        product["product_id"] = product["product_id"] or new_id("prod")
    return event.model_validate(
        {**profile, "cooperative_id": cooperative_id, "organisation_id": organisation_id}
    )


def register(unit: UnitOfWork, caller: Caller, data: CooperativeIn) -> CooperativePublic:
    cooperatives = Cooperatives(unit.session)
    existing = cooperatives.of_organisation(caller.organisation_id)
    if existing is not None:
        raise Conflict(
            f"your organisation registered cooperative {existing.id} already; "
            "change it with PUT /v1/cooperatives/{id}",
            code="already_registered",
        )
    event = _profile(CooperativeRegistered, new_id("coop"), caller.organisation_id, data)
    row = cooperatives.register(event)
    unit.outbox.add(COOPERATIVES, event)
    return views.public(row)


def update(
    unit: UnitOfWork, caller: Caller, cooperative_id: str, data: CooperativeIn
) -> CooperativePublic:
    cooperatives = Cooperatives(unit.session)
    row = to_change(cooperatives, caller, cooperative_id)
    event = _profile(CooperativeUpdated, row.id, row.organisation_id, data)
    cooperatives.change(row, event)
    unit.outbox.add(COOPERATIVES, event)
    return views.public(row)


def submit_credit_need(
    unit: UnitOfWork, caller: Caller, cooperative_id: str, data: CreditNeedCreate
) -> CreditNeedPublic:
    cooperatives = Cooperatives(unit.session)
    row = to_change(cooperatives, caller, cooperative_id)
    event = CreditNeedSubmitted(
        credit_need_id=new_id("need"), cooperative_id=row.id, **data.model_dump()
    )
    need = cooperatives.add_credit_need(event)
    unit.outbox.add(COOPERATIVES, event)
    return views.credit_need(need)


def import_cooperatives(unit: UnitOfWork, data: CooperativeImport) -> ImportPublic:
    """All or nothing: one organisation may own one cooperative, here or already."""
    cooperatives = Cooperatives(unit.session)
    owners = [item.organisation_id for item in data.cooperatives]
    first_row: dict[str, int] = {}
    problems: list[FieldProblem] = []
    for position, owner in enumerate(owners):
        if owner in first_row:
            problems.append(
                FieldProblem(
                    field=f"cooperatives[{position}].organisation_id",
                    reason=f"{owner!r} also owns cooperatives[{first_row[owner]}]",
                )
            )
        first_row.setdefault(owner, position)
    if problems:
        raise InvalidInput("an organisation appears twice; nothing was imported", fields=problems)
    registered = cooperatives.of_organisations(owners)
    if registered:
        raise Conflict(
            "some organisations have a cooperative already; nothing was imported",
            code="already_registered",
            fields=[
                FieldProblem(
                    field=f"cooperatives[{position}].organisation_id",
                    reason=f"{owner!r} registered {registered[owner]} already",
                )
                for position, owner in enumerate(owners)
                if owner in registered
            ],
        )
    imported = []
    for item in data.cooperatives:
        event = _profile(CooperativeRegistered, new_id("coop"), item.organisation_id, item)
        cooperatives.register(event)
        unit.outbox.add(COOPERATIVES, event)
        imported.append(
            ImportedPublic(
                organisation_id=item.organisation_id, cooperative_id=event.cooperative_id
            )
        )
    return ImportPublic(imported=imported)
