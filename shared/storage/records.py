"""What every aggregate table of the ingest services has, and the queries on it.

An aggregate row (a cooperative, a demand, a loan product) has an id, the organisation that
owns it, a version that goes up with each change, and when it was made and last changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Integer, Select, String, bindparam, select
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


_OWNER_QUERIES: dict[type[Any], Select[str]] = {}


def _owner_query(model: type[OwnedRecord]) -> Select[str]:
    # Built once per table: building a statement costs more than SQLite takes to run it.
    query = _OWNER_QUERIES.get(model)
    if query is None:
        query = select(model.organisation_id).where(model.id == bindparam("identifier"))
        _OWNER_QUERIES[model] = query
    return query


class OwnedRows(Generic[R]):
    """Rows of one aggregate table: by id, by owner, and new ones."""

    def __init__(self, session: Session, model: type[R], kind: str) -> None:
        self.session = session
        self._model = model
        self.kind = kind  # for people: "cooperative", "demand", "loan product"

    def get(self, identifier: str, *, lock: bool = False) -> R | None:
        query = select(self._model).where(self._model.id == identifier)
        if lock:
            # Serialises an aggregate's writes on PostgreSQL, so its events enter the outbox in
            # commit order (SQLite serialises all writes anyway).
            query = query.with_for_update()
        return self.session.execute(query).scalar_one_or_none()

    def owner(self, identifier: str) -> str | None:
        """The organisation that owns the row, without loading the row: for reads that need
        only to know whether the caller may see it."""
        owner: str | None = self.session.execute(
            _owner_query(self._model), {"identifier": identifier}
        ).scalar_one_or_none()
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
