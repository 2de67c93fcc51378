"""Storing a poll's matches and leads set-based: a few statements per batch, not two per record.

The read models of the scoring service's output (sourcing matches, loan leads, conference
candidate pairs) keep one row per match or lead id under one rule: an event replaces the stored
row only if the row's ``updated_at`` is not after the event's time. A found (or scored) event
writes the whole row and makes it live again; a retraction marks a stored row retracted and
does nothing to an unknown id. A table with a reason column (``reason=``) keeps the reason of
the retraction that made the row retracted, and a found event clears it.

``LatestRows.write`` applies a batch of such changes exactly as applying them one at a time, in
order, would: it reads the stored ``updated_at`` of every id the batch names (one SELECT per
500 ids), folds each id's changes in Python to the row's final state, then runs one executemany
INSERT for the new ids and an executemany UPDATE for the changed ones (one for rows a found
event rewrote, one for rows only retracted, with their reasons). Replaying a batch changes
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Insert,
    Table,
    Text,
    Update,
    bindparam,
    cast,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import KeyedColumnElement

IN_CHUNK = 500
"""Ids per ``IN (...)`` list: well under SQLite's and PostgreSQL's bound-parameter limits."""


@dataclass(frozen=True, slots=True)
class Change:
    """One event for one id: ``values`` (every column but the key, ``retracted``,
    ``updated_at`` and the reason column) for a found or re-scored one, None for a retraction;
    ``reason`` is a retraction's reason (a JSON document), for a table that keeps it."""

    key: str
    at: datetime
    values: Mapping[str, Any] | None
    reason: Any = None


@dataclass(slots=True)
class _Row:
    """An id's state while a batch is folded."""

    at: datetime | None  # None: no row (neither stored nor written by the batch)
    stored: bool
    values: Mapping[str, Any] | None = None  # set once a found event rewrote the row
    retracted: bool = False
    reason: Any = None  # the retraction's, while retracted
    changed: bool = False


class LatestRows:
    """Rows by ``key`` column, each replaced by events no older than it; the table has
    ``retracted`` (bool) and ``updated_at`` columns. ``new_row`` holds the values only an
    inserted row gets (the banks' decision columns, say); updates leave those alone.

    ``json_text`` names JSON columns whose values come as JSON text already (a payload's
    ``model_dump_json()``, made in Rust): they are stored as they are, instead of being made
    into Python objects and serialised again by the column type. Their values must then be
    given for every found event.

    ``reason`` names a JSON column that keeps the reason of the retraction a row is retracted
    by (None while live): a retraction writes it, a found event clears it."""

    def __init__(
        self,
        table: Table,
        key: KeyedColumnElement[Any],
        new_row: Mapping[str, Any] | None = None,
        *,
        json_text: tuple[str, ...] = (),
        reason: str | None = None,
    ):
        self._key = key
        self._reason = reason
        self._new_row = dict(new_row or {})
        self._json_text = {name: f"{name}_json_" for name in json_text}
        where: BindParameter[str] = bindparam("key_")
        # Built once, the ids bound as a list (``expanding``): building the statement anew for
        # every poll cost more than SQLite takes to run it.
        self._select = select(key, table.c.updated_at).where(
            key.in_(bindparam("keys_", expanding=True))
        )
        self._insert = insert(table)
        self._update = update(table).where(key == where)
        self._by_dialect: dict[str, tuple[Insert, Update]] = {}

    def _writers(self, session: Session) -> tuple[Insert, Update]:
        """The INSERT and the UPDATE of a found event (the retraction's UPDATE has no JSON)."""
        if not self._json_text:
            return self._insert, self._update
        dialect = session.get_bind().dialect.name
        writers = self._by_dialect.get(dialect)
        if writers is None:
            values: dict[str, ColumnElement[Any]] = {}
            for column, parameter in self._json_text.items():
                text = bindparam(parameter, type_=Text())
                # PostgreSQL's column is JSONB: the text is parsed there, as JSONB stores it.
                # SQLite's is JSON text: stored as it comes.
                values[column] = cast(text, JSONB) if dialect == "postgresql" else text
            writers = (self._insert.values(values), self._update.values(values))
            self._by_dialect[dialect] = writers
        return writers

    def write(self, session: Session, changes: Iterable[Change]) -> None:
        changes = list(changes)
        if not changes:
            return
        stored = self._stored_at(session, {change.key for change in changes})
        rows: dict[str, _Row] = {}
        for change in changes:
            row = rows.get(change.key)
            if row is None:
                at = stored.get(change.key)
                row = rows[change.key] = _Row(at=at, stored=at is not None)
            if row.at is None:
                if change.values is None:
                    continue  # a retraction of an unknown id
            elif row.at > change.at:
                continue  # older than the row: a replay
            row.at = change.at
            row.changed = True
            if change.values is None:
                row.retracted = True
                row.reason = change.reason
            else:
                row.values = change.values
                row.retracted = False
                row.reason = None

        inserts: list[dict[str, Any]] = []
        rewrites: list[dict[str, Any]] = []
        retractions: list[dict[str, Any]] = []
        key_name = self._key.key
        json_text = self._json_text
        for key, row in rows.items():
            if not row.changed:
                continue
            state = {"retracted": row.retracted, "updated_at": row.at}
            if self._reason is not None:
                state[self._reason] = row.reason
            values = row.values
            if values is not None and json_text:
                values = {json_text.get(name, name): value for name, value in values.items()}
            if not row.stored:
                assert values is not None  # only a found event creates a row
                inserts.append({key_name: key, **self._new_row, **values, **state})
            elif values is not None:
                rewrites.append({"key_": key, **values, **state})
            else:
                retractions.append({"key_": key, **state})
        if inserts or rewrites:
            insert_found, update_found = self._writers(session)
            if inserts:
                session.execute(insert_found, inserts)
            if rewrites:
                session.execute(update_found, rewrites)
        if retractions:
            session.execute(self._update, retractions)

    def _stored_at(self, session: Session, keys: set[str]) -> dict[str, datetime]:
        ordered = sorted(keys)
        stored: dict[str, datetime] = {}
        for start in range(0, len(ordered), IN_CHUNK):
            chunk = ordered[start : start + IN_CHUNK]
            for key, at in session.execute(self._select, {"keys_": chunk}):
                stored[key] = at
        return stored
