"""Who may see and change an object: one rule, applied where objects are loaded.

Another organisation's object answers 404, exactly like a missing one, so a tenant cannot
even learn which ids exist.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from shared.identity.model import Caller, Role
from shared.web.errors import NotFound


class Owned(Protocol):
    @property
    def organisation_id(self) -> str: ...


T = TypeVar("T", bound=Owned)
T_co = TypeVar("T_co", bound=Owned, covariant=True)


class Rows(Protocol[T_co]):
    """A repository of owned objects: ``kind`` names them in error messages."""

    kind: str

    def get(self, identifier: str, *, lock: bool = False) -> T_co | None: ...


def to_read(rows: Rows[T], caller: Caller, identifier: str) -> T:
    """The object if the caller owns it or is an organiser; else 404."""
    found = rows.get(identifier)
    if found is None or not caller.may_read(found.organisation_id):
        raise NotFound.of(rows.kind, identifier)
    return found


class Owners(Protocol):
    """A repository that tells who owns an object without loading it."""

    kind: str

    def owner(self, identifier: str) -> str | None: ...


def check_readable(rows: Owners, caller: Caller, identifier: str) -> None:
    """What :func:`to_read` decides (404 unless the caller owns the object or is an
    organiser), for reads that need the decision and not the object."""
    owner = rows.owner(identifier)
    if owner is None or not caller.may_read(owner):
        raise NotFound.of(rows.kind, identifier)


def to_change(rows: Rows[T], caller: Caller, identifier: str) -> T:
    """The object, locked for the transaction, if the caller owns it; else 404 (organisers
    read, they do not write)."""
    found = rows.get(identifier, lock=True)
    if found is None or not caller.owns(found.organisation_id):
        raise NotFound.of(rows.kind, identifier)
    return found


def owner_scope(caller: Caller) -> str | None:
    """Whose objects a listing shows: the caller's own, or everyone's for an organiser."""
    return None if caller.role is Role.ORGANISER else caller.organisation_id
