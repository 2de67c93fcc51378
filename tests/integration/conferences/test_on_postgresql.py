"""A conference from start to end on PostgreSQL, as in production: row locks, JSONB and time
columns, the job claimed by an UPDATE, revisions, outcomes and the report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.identity.model import Role
from shared.identity.settings import IdentitySettings
from tests.unit.conferences import scoring_events as ev
from tests.unit.conferences.service_harness import (
    CONFERENCE,
    Organisations,
    Running,
    finished_job,
    serve,
)


@pytest.fixture
def on_postgresql(
    tmp_path: Path, conference_identity: IdentitySettings, postgres_url: str
) -> Iterator[Running]:
    yield from serve(tmp_path, conference_identity, postgres_url)


def test_a_conference_from_start_to_end(on_postgresql: Running, orgs: Organisations) -> None:
    service, client = on_postgresql, on_postgresql.client
    service.feed(
        ev.envelope(ev.cooperative("pg-coop-a", "pg-org-a", "HTX Sen Thủy")),
        ev.envelope(ev.cooperative("pg-coop-b", "pg-org-b", "HTX Hưng Thủy")),
        ev.envelope(ev.match("pg-m-a", "pg-coop-a", "pg-org-biz", 0.9)),
        ev.envelope(ev.match("pg-m-b", "pg-coop-b", "pg-org-biz", 0.6)),
        ev.envelope(ev.lead("pg-l-a", "pg-coop-a", "pg-org-bank", 0.7)),
    )
    admin = orgs.headers(orgs.new(Role.ORGANISER))
    conference_id = client.post("/v1/conferences", json=CONFERENCE, headers=admin).json()[
        "conference_id"
    ]
    base = f"/v1/conferences/{conference_id}"
    invited = client.post(
        f"{base}/participants",
        json={
            "participants": [
                {"participant_id": "pg-coop-a", "kind": "cooperative"},
                {"participant_id": "pg-coop-b", "kind": "cooperative"},
                {"participant_id": "pg-org-biz", "kind": "business"},
                {"participant_id": "pg-org-bank", "kind": "bank"},
            ]
        },
        headers=admin,
    )
    assert invited.status_code == 201, invited.text
    coop_a = orgs.new(Role.COOPERATIVE, "pg-org-a")
    asked = client.post(
        f"{base}/requests",
        json={"target_id": "pg-org-bank", "kind": "must_meet"},
        headers=orgs.headers(coop_a),
    )
    assert asked.status_code == 201, asked.text

    started = client.post(f"{base}/pairings", json={"time_limit_seconds": 10}, headers=admin)
    assert started.status_code == 202, started.text
    done = finished_job(client, started.json()["url"], admin)[-1]
    assert done["state"] == "succeeded", done["error"]
    schedule = client.get(f"{base}/schedule", headers=admin).json()
    assert len(schedule["meetings"]) == 3
    assert client.get(base, headers=admin).json()["slots"][0]["start"] == "08:00"

    again = client.post(
        f"{base}/reoptimise",
        json={"from_slot": "s2", "cancelled": ["pg-org-bank"], "time_limit_seconds": 10},
        headers=admin,
    )
    assert again.status_code == 202, again.text
    assert finished_job(client, again.json()["url"], admin)[-1]["state"] == "succeeded"
    revised = client.get(f"{base}/schedule", headers=admin).json()
    assert revised["revision"] == 2

    first = revised["meetings"][0]["meeting_id"]
    recorded = client.post(
        f"{base}/outcomes",
        json={"outcomes": [{"meeting_id": first, "outcome": "contract"}]},
        headers=admin,
    )
    assert recorded.status_code == 201, recorded.text
    report = client.get(f"{base}/report", headers=admin).json()
    assert (report["recorded"], report["contracts"]) == (1, 1)
    assert len(service.outbox("ConferenceScheduled")) >= 2
