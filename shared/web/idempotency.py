"""Writes that answer once: ``Idempotency-Key`` on POSTs, stored per organisation.

A route hands its work to :meth:`Write.respond`. With a key, the first request's answer is stored
in the same transaction as the rows and events it wrote; a retry with the same key and the same
body gets that answer again (``Idempotent-Replayed: true``) and writes nothing. The same key with
another body is refused. Without a key, the work is simply committed.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel
from sqlalchemy import (
    Column,
    Insert,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    bindparam,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.outbox.unit_of_work import UnitOfWork
from shared.outbox.writer import Outbox
from shared.storage.types import UtcDateTime, utc_now
from shared.web.auth import CurrentCaller
from shared.web.context import ServiceContext, context_of
from shared.web.dependencies import new_session
from shared.web.errors import Conflict, InvalidInput

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


def idempotency_table(metadata: MetaData, service: str) -> Table:
    return Table(
        f"{service}_idempotency_keys",
        metadata,
        Column("organisation_id", String(64), primary_key=True),
        Column("key", String(255), primary_key=True),
        Column("request_fingerprint", String(64), nullable=False),
        Column("status_code", Integer, nullable=False),
        Column("response_body", Text, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
    )


@functools.cache
def _statements(table: Table) -> tuple[Select[Any], Insert]:
    """The key's lookup and its insert, built once per table (building a statement costs more
    than SQLite takes to run it)."""
    lookup = select(table.c.request_fingerprint, table.c.status_code, table.c.response_body).where(
        table.c.organisation_id == bindparam("organisation"), table.c.key == bindparam("key")
    )
    return lookup, insert(table)


@dataclass
class Write:
    unit: UnitOfWork
    table: Table
    organisation_id: str
    key: str | None
    fingerprint: str
    writer: AbstractContextManager[Any] = field(default_factory=nullcontext)
    """Held from the action to the commit: the database's writer lock (``Database.writer``)."""

    @property
    def session(self) -> Session:
        return self.unit.session

    def respond(self, status_code: int, action: Callable[[], BaseModel]) -> Response:
        """Run ``action`` once for this key, commit, and answer with its result as JSON."""
        replay = self._replay()
        if replay is not None:
            return replay
        try:
            with self.writer:
                body = action().model_dump_json()
                if self.key is not None:
                    self.session.connection().execute(
                        _statements(self.table)[1],
                        {
                            "organisation_id": self.organisation_id,
                            "key": self.key,
                            "request_fingerprint": self.fingerprint,
                            "status_code": status_code,
                            "response_body": body,
                            "created_at": utc_now(),
                        },
                    )
                self.session.commit()
        except (IntegrityError, Conflict):
            # A retry with the same key raced this one and won (its rows made ours clash, at
            # flush or at commit, or made the handler see a conflict): answer as it did.
            self.session.rollback()
            replay = self._replay()
            if replay is None:
                raise
            return replay
        return Response(body, status_code=status_code, media_type="application/json")

    def _replay(self) -> Response | None:
        if self.key is None:
            return None
        # Core statements run on the session's connection (same transaction), not through
        # ``Session.execute``, whose ORM execution path costs more than SQLite's lookup.
        stored = (
            self.session.connection()
            .execute(
                _statements(self.table)[0],
                {"organisation": self.organisation_id, "key": self.key},
            )
            .first()
        )
        if stored is None:
            return None
        if stored.request_fingerprint != self.fingerprint:
            raise InvalidInput.at(
                HEADER,
                "this key was used for a different request; use a new key for a new request",
            )
        return Response(
            stored.response_body,
            status_code=stored.status_code,
            media_type="application/json",
            headers={REPLAYED_HEADER: "true"},
        )


KeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        min_length=1,
        max_length=255,
        pattern=r"^[!-~]+$",
        description="Any unique string (a UUID, say). A retry with the same key and body "
        "returns the first answer and creates nothing twice. Kept per organisation.",
    ),
]


def _fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(f"{method} {path}\n".encode() + body).hexdigest()


def _unit(session: Session, context: ServiceContext) -> UnitOfWork:
    return UnitOfWork(session, Outbox(session, context.spec.outbox, producer=context.spec.name))


# The writes make their session themselves (``new_session``) rather than take ``SessionDep``:
# one step fewer in FastAPI's walk of the dependencies, as with ``context_of`` for ``ContextDep``
# (see shared.web.dependencies). So a route that writes reads through ``write.session`` too,
# and takes no ``SessionDep`` of its own (that would be a second session, outside the write's
# transaction).


async def idempotent_write(request: Request, caller: CurrentCaller, key: KeyHeader = None) -> Write:
    context = context_of(request.app)
    body = await request.body()
    return Write(
        unit=_unit(new_session(request), context),
        table=context.spec.idempotency,
        organisation_id=caller.organisation_id,
        key=key,
        fingerprint=_fingerprint(request.method, request.url.path, body),
        writer=context.database.writer,
    )


async def plain_write(request: Request, caller: CurrentCaller) -> Write:
    # async: it does no I/O, and a sync dependency would cost a trip to the thread pool
    context = context_of(request.app)
    return Write(
        _unit(new_session(request), context),
        context.spec.idempotency,
        caller.organisation_id,
        None,
        "",
        context.database.writer,
    )


IdempotentWrite = Annotated[Write, Depends(idempotent_write)]
"""For POSTs: honours ``Idempotency-Key``."""

PlainWrite = Annotated[Write, Depends(plain_write)]
"""For PUTs, which are idempotent by nature: commits and answers."""
