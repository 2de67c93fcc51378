"""What makes a request cheaper must not change what it answers: a route's result serialised in
the endpoint's thread is byte for byte what FastAPI makes of it; SQLite's durability is the
safe one unless the operator chooses otherwise; a database's writes take turns in a process."""

from __future__ import annotations

import threading
from datetime import date, datetime
from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI, Response
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from shared.storage.database import WriterTurn, open_database
from shared.web.errors import busy_reason, install_error_handlers
from shared.web.routing import SessionScopedRoute


class Inner(BaseModel):
    score: float
    words: list[str]


class Answer(BaseModel):
    name: str
    when: date
    at: datetime
    inner: Inner | None
    ratio: float


ANSWER = Answer(
    name="Mực khô \u201cloại 1\u201d",
    when=date(2026, 3, 1),
    at=datetime(2026, 3, 1, 8, 30, 0, 123456),
    inner=Inner(score=1e-05, words=["a", "ư"]),
    ratio=0.1 + 0.2,
)


def _app(route_class: type[APIRoute]) -> FastAPI:
    router = APIRouter(route_class=route_class)

    @router.get("/one", response_model=Answer)
    def one() -> Answer:
        return ANSWER

    @router.get("/many", response_model=list[Answer])
    def many() -> list[Answer]:
        return [ANSWER, ANSWER.model_copy(update={"inner": None})]

    @router.get("/dict", response_model=Answer)
    def as_dict() -> dict[str, object]:
        return ANSWER.model_dump()  # type: ignore[no-any-return]

    @router.get("/trimmed", response_model=Answer, response_model_exclude={"inner"})
    def trimmed() -> Answer:
        return ANSWER

    @router.post("/made", response_model=Answer, status_code=201)
    def made() -> Answer:
        return ANSWER

    @router.get("/headed", response_model=Answer)
    def headed(response: Response) -> Answer:
        response.headers["Location"] = "/one"
        response.status_code = 202
        return ANSWER

    @router.get("/wrong", response_model=Answer)
    def wrong() -> dict[str, object]:
        return {"name": "no date"}

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    return app


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/one"),
        ("GET", "/many"),
        ("GET", "/dict"),
        ("GET", "/trimmed"),
        ("POST", "/made"),
        ("GET", "/headed"),
    ],
)
def test_answers_are_what_fastapi_itself_makes(method: str, path: str) -> None:
    ours = TestClient(_app(SessionScopedRoute)).request(method, path)
    fastapis = TestClient(_app(APIRoute)).request(method, path)
    assert ours.status_code == fastapis.status_code
    assert ours.content == fastapis.content
    assert ours.headers["content-type"] == fastapis.headers["content-type"]
    assert ours.headers["content-length"] == fastapis.headers["content-length"]
    assert ours.headers.get("location") == fastapis.headers.get("location")


def test_an_answer_that_breaks_its_model_is_still_an_error() -> None:
    ours = TestClient(_app(SessionScopedRoute), raise_server_exceptions=False).get("/wrong")
    fastapis = TestClient(_app(APIRoute), raise_server_exceptions=False).get("/wrong")
    assert ours.status_code == fastapis.status_code == 500
    assert ours.json() == fastapis.json()


def _synchronous(path: Path) -> int:
    database = open_database(f"sqlite:///{path}")
    try:
        with database.engine.connect() as connection:
            return int(connection.execute(text("PRAGMA synchronous")).scalar_one())
    finally:
        database.dispose()


def test_sqlite_syncs_every_commit_unless_told_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KETNOI_SQLITE_SYNCHRONOUS", raising=False)
    assert _synchronous(tmp_path / "a.sqlite3") == 2  # FULL
    monkeypatch.setenv("KETNOI_SQLITE_SYNCHRONOUS", "NORMAL")
    assert _synchronous(tmp_path / "b.sqlite3") == 1


def test_a_sqlite_database_has_a_writer_turn_and_postgresql_none(tmp_path: Path) -> None:
    sqlite = open_database(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    postgresql = open_database("postgresql://user:pw@127.0.0.1:1/none")
    try:
        assert isinstance(sqlite.writer, WriterTurn)
        assert not isinstance(postgresql.writer, WriterTurn)
        with postgresql.writer, postgresql.writer:  # nothing held, nothing to wait for
            pass
    finally:
        sqlite.dispose()
        postgresql.dispose()


def test_a_writer_waiting_past_the_busy_timeout_is_told_the_database_is_busy() -> None:
    turn = WriterTurn(timeout=0.05)
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with turn:
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    try:
        with pytest.raises(OperationalError) as raised, turn:
            pass
        assert busy_reason(raised.value) == "other writes held the database too long"
    finally:
        release.set()
        holder.join()
    with turn:  # free again
        pass
