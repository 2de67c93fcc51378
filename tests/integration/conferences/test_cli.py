"""``ketnoi conference schedule|export`` against the service's API (in process, SQLite)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from services.cli import conferences as cli
from shared.identity.model import Role
from tests.unit.conferences import scoring_events as ev
from tests.unit.conferences.service_harness import CONFERENCE, Organisations, Running


def said(result: Result) -> str:
    """The command's output with rich's line wrapping undone."""
    return " ".join(result.output.split())


@pytest.fixture
def conference_id(service: Running, orgs: Organisations, monkeypatch: pytest.MonkeyPatch) -> str:
    # Each command opens (and closes) its own client on the same app.
    monkeypatch.setattr(cli, "open_client", lambda _url: TestClient(service.client.app))
    service.feed(
        ev.envelope(ev.cooperative("coop-a", "org-a", "HTX Sen Thủy")),
        ev.envelope(ev.cooperative("coop-b", "org-b", "HTX Hưng Thủy")),
        ev.envelope(ev.match("m-a", "coop-a", "org-biz", 0.9)),
        ev.envelope(ev.match("m-b", "coop-b", "org-biz", 0.6)),
        ev.envelope(ev.match("m-c", "coop-a", "org-biz-2", 0.3)),
    )
    headers = orgs.headers(orgs.new(Role.ORGANISER))
    one_slot = [{"slot_id": "s1", "start": "08:00", "end": "08:20"}]
    made = service.client.post(
        "/v1/conferences", json={**CONFERENCE, "slots": one_slot, "table_count": 1}, headers=headers
    )
    identifier: str = made.json()["conference_id"]
    invited = service.client.post(
        f"/v1/conferences/{identifier}/participants",
        json={"select": {"districts": ["le-thuy"]}},
        headers=headers,
    )
    assert invited.status_code == 201, invited.text
    return identifier


def test_schedule_shows_the_gap_and_what_did_not_fit(
    conference_id: str, orgs: Organisations
) -> None:
    token = orgs.token(orgs.new(Role.ORGANISER))
    result = CliRunner().invoke(
        cli.conference_app,
        ["schedule", conference_id, "--time-limit", "10", "--fairness", "0", "--lang", "en",
         "--token", token, "--poll", "0.05"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "revision 1: 1 meetings, score 0.90, bound 0.90, gap 0.00% (optimal)" in said(result)
    assert "Demand exceeds capacity: 1 of 3 proposed pairs placed" in said(result)


def test_a_refusal_is_shown_in_the_services_words(conference_id: str, orgs: Organisations) -> None:
    token = orgs.token(orgs.new(Role.ORGANISER))
    result = CliRunner().invoke(
        cli.conference_app, ["schedule", conference_id, "--time-limit", "120", "--token", token]
    )
    assert result.exit_code == 1
    assert "time_limit_seconds: at most 60 seconds" in said(result)
    unknown = CliRunner().invoke(cli.conference_app, ["schedule", "conf-nope", "--token", token])
    assert unknown.exit_code == 1
    assert "no conference 'conf-nope'" in said(unknown)


def test_export_writes_the_file(conference_id: str, orgs: Organisations, tmp_path: Path) -> None:
    token = orgs.token(orgs.new(Role.ORGANISER))
    runner = CliRunner()
    before = runner.invoke(
        cli.conference_app,
        ["export", conference_id, "-o", str(tmp_path / "x.pdf"), "--token", token],
    )
    assert before.exit_code == 1 and "has no schedule yet" in said(before)
    scheduled = runner.invoke(
        cli.conference_app, ["schedule", conference_id, "--token", token, "--poll", "0.05"]
    )
    assert scheduled.exit_code == 0, scheduled.output
    pdf = tmp_path / "lich.pdf"
    done = runner.invoke(
        cli.conference_app,
        ["export", conference_id, "--format", "pdf", "--lang", "vi", "-o", str(pdf),
         "--token", token],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert pdf.read_bytes().startswith(b"%PDF-")
    agenda = tmp_path / "coop-a.ics"
    mine = runner.invoke(
        cli.conference_app,
        ["export", conference_id, "--format", "ics", "--participant", "coop-a", "-o", str(agenda),
         "--token", token],
    )  # fmt: skip
    assert mine.exit_code == 0, mine.output
    assert b"BEGIN:VEVENT" in agenda.read_bytes()


def test_a_failed_job_is_explained(
    service: Running, orgs: Organisations, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "open_client", lambda _url: TestClient(service.client.app))
    service.feed(
        ev.envelope(ev.cooperative("coop-a", "org-a", "HTX Sen Thủy")),
        ev.envelope(ev.match("m-a", "coop-a", "org-biz", 0.9)),
    )
    organiser = orgs.new(Role.ORGANISER)
    headers = orgs.headers(organiser)
    client = service.client
    identifier = client.post("/v1/conferences", json=CONFERENCE, headers=headers).json()[
        "conference_id"
    ]
    base = f"/v1/conferences/{identifier}"
    client.post(f"{base}/participants", json={"select": {}}, headers=headers)
    for participant, slot in (("coop-a", "s1"), ("org-biz", "s2")):
        changed = client.put(
            f"{base}/participants/{participant}",
            json={"availability": [slot], "max_meetings": 1, "language": "vi"},
            headers=headers,
        )
        assert changed.status_code == 200, changed.text
    pinned = client.post(
        f"{base}/pins",
        json={"cooperative_id": "coop-a", "counterpart_id": "org-biz"},
        headers=headers,
    )
    assert pinned.status_code == 201, pinned.text

    result = CliRunner().invoke(
        cli.conference_app,
        ["schedule", identifier, "--token", orgs.token(organiser), "--poll", "0.05"],
    )
    assert result.exit_code == 1
    assert "pinned meetings with no slot both can attend" in said(result)
    assert "coop-a–org-biz" in said(result)
