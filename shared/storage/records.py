"""What every aggregate table of the ingest services has, and the queries on it.

An aggregate row (a cooperative, a demand, a loan product) has an id, the organisation that
owns it, a version that goes up with each change, and when it was made and last changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import BindParameter, Integer, Select, String, Table, bindparam, select
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from shared.storage.types import UtcDateTime, utc_now


class OwnedRecord:
    """Declarative mixin. Two changes made at once: the second fails (409) instead of silently
    undoing the first, because ``version`` is SQLAlchemy's optimistic version counter."""

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}

    def touch(self) -> None:
        # Always dirty the row, so a change to child rows alone also bumps the version.
        self.updated_at = utc_now()


R = TypeVar("R", bound=OwnedRecord)


@dataclass(frozen=True, slots=True)
class _Queries:
    """A table's reads by id, built once: building a statement costs more than SQLite takes to
    run it."""

    get: Select[Any]
    get_locked: Select[Any]
    owner: Select[Any]


_QUERIES: dict[type[Any], _Queries] = {}


def _queries(model: type[OwnedRecord]) -> _Queries:
    queries = _QUERIES.get(model)
    if queries is None:
        identifier: BindParameter[str] = bindparam("identifier")
        get = select(model).where(model.id == identifier)
        # The owner on the table's column, not the mapped attribute: a Core statement runs on
        # the connection without the ORM's handling of a statement, which costs as much again.
        table: Table = model.__table__  # type: ignore[attr-defined]
        owner = select(table.c.organisation_id).where(table.c.id == identifier)
        queries = _QUERIES[model] = _Queries(get, get.with_for_update(), owner)
    return queries


class OwnedRows(Generic[R]):
    """Rows of one aggregate table: by id, by owner, and new ones."""

    def __init__(self, session: Session, model: type[R], kind: str) -> None:
        self.session = session
        self._model = model
        self._queries = _queries(model)
        self.kind = kind  # for people: "cooperative", "demand", "loan product"

    def get(self, identifier: str, *, lock: bool = False) -> R | None:
        # Locked, it serialises an aggregate's writes on PostgreSQL, so its events enter the
        # outbox in commit order (SQLite serialises all writes anyway).
        query = self._queries.get_locked if lock else self._queries.get
        row: R | None = self.session.execute(query, {"identifier": identifier}).scalar_one_or_none()
        return row

    def owner(self, identifier: str) -> str | None:
        """The organisation that owns the row, without loading the row: for reads that need
        only to know whether the caller may see it (the matches GETs ask it on every poll).
        Asked on the session's connection, in its transaction; a row only added to the
        session is flushed by ``add`` at once, so it is there to be found."""
        owner: str | None = (
            self.session.connection()
            .execute(self._queries.owner, {"identifier": identifier})
            .scalar_one_or_none()
        )
        return owner

    def page(self, organisation_id: str | None, limit: int, offset: int) -> list[R]:
        """Oldest first; every organisation's when ``organisation_id`` is None (organisers)."""
        model = self._model
        query = select(model).order_by(model.created_at, model.id)
        if organisation_id is not None:
            query = query.where(model.organisation_id == organisation_id)
        return list(self.session.execute(query.limit(limit).offset(offset)).scalars())

    def add(self, row: R) -> R:
        now = utc_now()
        row.created_at = now
        row.updated_at = now
        self.session.add(row)
        self.session.flush()
        return row
