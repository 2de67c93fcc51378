"""The conferences API over HTTP (SQLite): bad input named, other tenants kept out, pairing
jobs followed to their end, and every file downloadable and readable."""

from __future__ import annotations

import copy
import csv
import io
from dataclasses import dataclass
from typing import Any

import pytest
from icalendar import Calendar
from openpyxl import load_workbook
from sqlalchemy import func, select

from services.conferences.orm import PairingJobRow
from shared.identity.model import Caller, Role
from tests.unit.conferences import scoring_events as ev
from tests.unit.conferences.service_harness import CONFERENCE, Organisations, Running, finished_job


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, f"{response.status_code}: {response.text[:800]}"
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message", "fields"} <= set(body["error"])
    error: dict[str, Any] = body["error"]
    return error


def reasons_by_field(error: dict[str, Any]) -> dict[str, str]:
    return {problem["field"]: problem["reason"] for problem in error["fields"]}


@dataclass
class Fair:
    """A conference in Lệ Thủy with three cooperatives, a business and a bank."""

    service: Running
    orgs: Organisations
    organiser: Caller
    conference_id: str
    coop_a: Caller
    coop_b: Caller
    business: Caller

    def as_(self, caller: Caller, **extra: str) -> dict[str, str]:
        return self.orgs.headers(caller, **extra)

    @property
    def admin(self) -> dict[str, str]:
        return self.as_(self.organiser)

    def url(self, path: str = "") -> str:
        return f"/v1/conferences/{self.conference_id}{path}"

    def schedule(self, body: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        started = self.service.client.post(
            self.url("/pairings"), json=body or {"time_limit_seconds": 10}, headers=self.admin
        )
        assert started.status_code == 202, started.text
        return finished_job(self.service.client, started.json()["url"], self.admin)


def make_fair(service: Running, orgs: Organisations, **conference: Any) -> Fair:
    coop_a = orgs.new(Role.COOPERATIVE, "org-a")
    coop_b = orgs.new(Role.COOPERATIVE, "org-b")
    business = orgs.new(Role.BUSINESS, "org-biz")
    service.feed(
        ev.envelope(ev.cooperative("coop-a", "org-a", "HTX Sen Thủy")),
        ev.envelope(ev.cooperative("coop-b", "org-b", "HTX Hưng Thủy")),
        ev.envelope(ev.cooperative("coop-c", "org-c", "HTX Phú Thủy")),
        ev.envelope(ev.match("m-a", "coop-a", "org-biz", 0.9)),
        ev.envelope(ev.match("m-b", "coop-b", "org-biz", 0.6)),
        ev.envelope(ev.match("m-c", "coop-c", "org-biz", 0.5)),
        ev.envelope(ev.lead("l-a", "coop-a", "org-bank", 0.7)),
        ev.envelope(ev.lead("l-c", "coop-c", "org-bank", 0.4)),
    )
    organiser = orgs.new(Role.ORGANISER)
    headers = orgs.headers(organiser)
    created = service.client.post(
        "/v1/conferences", json={**CONFERENCE, **conference}, headers=headers
    )
    assert created.status_code == 201, created.text
    conference_id = created.json()["conference_id"]
    invited = service.client.post(
        f"/v1/conferences/{conference_id}/participants",
        json={"select": {"districts": ["le-thuy"]}},
        headers=headers,
    )
    assert invited.status_code == 201, invited.text
    return Fair(service, orgs, organiser, conference_id, coop_a, coop_b, business)


@pytest.fixture
def fair(service: Running, orgs: Organisations) -> Fair:
    return make_fair(service, orgs)


# --- bad input is named -------------------------------------------------------------------


def test_a_conference_without_tables_is_refused(service: Running, orgs: Organisations) -> None:
    answer = service.client.post(
        "/v1/conferences",
        json={**CONFERENCE, "table_count": 0},
        headers=orgs.headers(orgs.new(Role.ORGANISER)),
    )
    error = error_of(answer, 422)
    assert "table_count" in reasons_by_field(error)


def test_overlapping_slots_are_refused_naming_both(service: Running, orgs: Organisations) -> None:
    slots = copy.deepcopy(CONFERENCE["slots"])
    slots[1]["start"] = "08:10"  # s1 runs until 08:20
    answer = service.client.post(
        "/v1/conferences",
        json={**CONFERENCE, "slots": slots},
        headers=orgs.headers(orgs.new(Role.ORGANISER)),
    )
    error = error_of(answer, 422)
    reason = reasons_by_field(error)["slots"]
    assert "overlap" in reason
    assert "'s1'" in reason and "'s2'" in reason


def test_a_slot_shorter_than_a_meeting_is_refused(service: Running, orgs: Organisations) -> None:
    answer = service.client.post(
        "/v1/conferences",
        json={**CONFERENCE, "meeting_minutes": 30},
        headers=orgs.headers(orgs.new(Role.ORGANISER)),
    )
    assert "shorter than a 30-minute meeting" in reasons_by_field(error_of(answer, 422))["slots"]


def test_requests_and_pins_naming_unknown_participants_are_refused(fair: Fair) -> None:
    client = fair.service.client
    asked = client.post(
        fair.url("/requests"),
        json={"target_id": "org-nobody", "kind": "must_meet"},
        headers=fair.as_(fair.coop_a),
    )
    error = error_of(asked, 422)
    assert reasons_by_field(error)["org-nobody"] == (
        "a meeting request from 'coop-a' names unknown participant 'org-nobody'"
    )
    pinned = client.post(
        fair.url("/pins"),
        json={"cooperative_id": "coop-ghost", "counterpart_id": "org-biz"},
        headers=fair.admin,
    )
    assert "coop-ghost" in reasons_by_field(error_of(pinned, 422))
    invited = client.post(
        fair.url("/participants"),
        json={"participants": [{"participant_id": "coop-ghost", "kind": "cooperative"}]},
        headers=fair.admin,
    )
    reason = reasons_by_field(error_of(invited, 422))["participants[0].participant_id"]
    assert "unknown cooperative 'coop-ghost'" in reason


def test_pairing_parameters_are_checked_before_any_job_starts(fair: Fair) -> None:
    client = fair.service.client
    unknown = client.post(fair.url("/pairings"), json={"solver": "magic"}, headers=fair.admin)
    assert (
        "known solvers: cpsat, flow, greedy" in reasons_by_field(error_of(unknown, 422))["solver"]
    )
    too_long = client.post(
        fair.url("/pairings"), json={"time_limit_seconds": 61}, headers=fair.admin
    )
    assert "at most 60" in reasons_by_field(error_of(too_long, 422))["time_limit_seconds"]
    with fair.service.database.engine.connect() as connection:
        jobs = connection.execute(select(func.count()).select_from(PairingJobRow)).scalar_one()
    assert jobs == 0
    nothing_yet = client.post(fair.url("/reoptimise"), json={"from_slot": "s2"}, headers=fair.admin)
    assert error_of(nothing_yet, 409)["code"] == "no_schedule"


# --- other tenants see nothing ------------------------------------------------------------


def test_participants_see_their_own_and_nothing_else(fair: Fair) -> None:
    client = fair.service.client
    fair.schedule()
    stranger = fair.orgs.new(Role.COOPERATIVE)
    a, b = fair.as_(fair.coop_a), fair.as_(fair.coop_b)

    assert error_of(client.post("/v1/conferences", json=CONFERENCE, headers=a), 403)
    assert error_of(client.get(fair.url("/schedule"), headers=a), 403)
    assert error_of(client.get(fair.url("/schedule.csv"), headers=a), 403)
    assert error_of(client.get(fair.url("/report"), headers=a), 403)
    assert error_of(
        client.post(fair.url("/pairings"), json={}, headers=fair.as_(fair.business)), 403
    )

    assert client.get(fair.url(), headers=a).status_code == 200
    assert error_of(client.get(fair.url(), headers=fair.as_(stranger)), 404)["code"] == "not_found"
    assert [c["conference_id"] for c in client.get("/v1/conferences", headers=a).json()] == [
        fair.conference_id
    ]
    assert client.get("/v1/conferences", headers=fair.as_(stranger)).json() == []

    own = client.get(fair.url("/agendas/coop-a"), headers=a)
    assert own.status_code == 200 and own.json()["meetings"], own.text
    for path in ("/agendas/coop-a", "/agendas/coop-a.pdf", "/agendas/coop-a.ics"):
        assert error_of(client.get(fair.url(path), headers=b), 404)["message"] == (
            "no participant 'coop-a'"
        )
        assert error_of(client.get(fair.url(path), headers=fair.as_(stranger)), 404)

    listed = client.get(fair.url("/participants"), headers=a).json()
    assert [p["participant_id"] for p in listed] == ["coop-a"]
    update = {"availability": ["s1"], "max_meetings": 1, "language": "en"}
    assert error_of(client.put(fair.url("/participants/coop-a"), json=update, headers=b), 404)
    changed = client.put(fair.url("/participants/coop-a"), json=update, headers=a)
    assert changed.status_code == 200 and changed.json()["availability"] == ["s1"]

    on_behalf = client.post(
        fair.url("/requests"),
        json={"target_id": "org-biz", "kind": "would_like", "requester_id": "coop-b"},
        headers=a,
    )
    assert "requester_id" in reasons_by_field(error_of(on_behalf, 422))
    mine = client.post(
        fair.url("/requests"), json={"target_id": "org-biz", "kind": "would_like"}, headers=a
    )
    assert mine.status_code == 201 and mine.json()["requester_id"] == "coop-a"
    assert client.get(fair.url("/requests"), headers=b).json() == []  # coop-b asked nothing
    assert [r["requester_id"] for r in client.get(fair.url("/requests"), headers=a).json()] == [
        "coop-a"
    ]

    seen_by_business = client.get(fair.url("/agendas/org-biz"), headers=fair.as_(fair.business))
    assert seen_by_business.status_code == 200
    assert {m["meets_id"] for m in seen_by_business.json()["meetings"]} == {
        "coop-a",
        "coop-b",
        "coop-c",
    }


# --- jobs, progress, capacity -------------------------------------------------------------


def test_a_pairing_job_is_followed_to_its_schedule(fair: Fair) -> None:
    client = fair.service.client
    body = {"solver": "cpsat", "time_limit_seconds": 10, "fairness_floor": 1}
    started = client.post(
        fair.url("/pairings"),
        json=body,
        headers=fair.as_(fair.organiser, **{"Idempotency-Key": "k1"}),
    )
    assert started.status_code == 202, started.text
    job = started.json()
    assert started.headers["Location"] == job["url"]
    assert job["state"] in ("queued", "running", "succeeded")

    seen = finished_job(client, job["url"], fair.admin)
    order = ["queued", "running", "succeeded"]
    states = [answer["state"] for answer in seen]
    assert states == sorted(states, key=order.index), states
    done = seen[-1]
    assert done["state"] == "succeeded", done["error"]
    progress, result = done["progress"], done["result"]
    assert progress["elapsed_seconds"] >= 0
    assert progress["bound"] >= progress["objective"] > 0
    assert progress["gap"] == pytest.approx(
        (progress["bound"] - progress["objective"]) / progress["bound"]
    )
    assert result["revision"] == 1
    assert result["status"] in ("optimal", "feasible")

    replayed = client.post(
        fair.url("/pairings"),
        json=body,
        headers=fair.as_(fair.organiser, **{"Idempotency-Key": "k1"}),
    )
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    assert replayed.json()["job_id"] == job["job_id"]
    with fair.service.database.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(PairingJobRow)).scalar_one() == 1

    schedule = client.get(fair.url("/schedule?lang=en"), headers=fair.admin).json()
    assert schedule["revision"] == 1
    assert schedule["total_score"] == pytest.approx(result["total_score"])
    assert schedule["gap"] == pytest.approx(result["gap"])
    pairs = {(m["cooperative_id"], m["counterpart_id"]) for m in schedule["meetings"]}
    assert pairs == {
        ("coop-a", "org-biz"),
        ("coop-b", "org-biz"),
        ("coop-c", "org-biz"),
        ("coop-a", "org-bank"),
        ("coop-c", "org-bank"),
    }
    assert schedule["fairness"]["met"] is True
    breaks = [row for row in schedule["grid"] if row["is_break"]]
    assert [row["slot_id"] for row in breaks] == ["tea"] and breaks[0]["tables"] == []
    placed = {
        (row["slot_id"], cell["table"], cell["meeting"]["meeting_id"])
        for row in schedule["grid"]
        for cell in row["tables"]
        if cell["meeting"]
    }
    assert placed == {(m["slot_id"], m["table"], m["meeting_id"]) for m in schedule["meetings"]}


def test_demand_beyond_capacity_is_counted_and_explained(
    service: Running, orgs: Organisations
) -> None:
    one_slot = [{"slot_id": "s1", "start": "08:00", "end": "08:20"}]
    fair = make_fair(service, orgs, table_count=1, slots=one_slot)
    done = fair.schedule()[-1]
    assert done["state"] == "succeeded", done["error"]
    assert done["result"]["meetings"] == 1
    english = service.client.get(fair.url("/schedule?lang=en"), headers=fair.admin).json()
    capacity = english["capacity"]
    assert capacity["demand_exceeds_capacity"] is True
    assert (capacity["candidate_meetings"], capacity["placed"], capacity["not_placed"]) == (5, 1, 4)
    assert capacity["message"].startswith(
        "Demand exceeds capacity: 1 of 5 proposed pairs placed (1 table-slots); "
        "4 could not be placed:"
    )
    assert sum(capacity["not_placed_by_reason"].values()) == 4
    vietnamese = service.client.get(fair.url("/schedule"), headers=fair.admin).json()
    assert vietnamese["capacity"]["message"].startswith("Nhu cầu vượt khả năng: đã xếp 1 trong 5")


# --- files --------------------------------------------------------------------------------


def test_every_file_downloads_with_its_type_and_reads_back(fair: Fair) -> None:
    client = fair.service.client
    fair.schedule()
    schedule = client.get(fair.url("/schedule"), headers=fair.admin).json()
    meetings = schedule["meetings"]

    grid = client.get(fair.url("/schedule.csv?lang=en"), headers=fair.admin)
    assert grid.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in grid.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(grid.content.decode("utf-8-sig"))))
    assert rows[0] == ["Time slot", "Table 1", "Table 2"]
    assert [row[0] for row in rows[1:]] == [
        "08:00–08:20",
        "08:20–08:40",
        "08:40–09:00 Break",
        "09:00–09:20",
    ]
    filled = sum(1 for row in rows[1:] for cell in row[1:] if cell)
    assert filled == len(meetings)

    workbook = client.get(fair.url("/schedule.xlsx"), headers=fair.admin)
    assert workbook.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = load_workbook(io.BytesIO(workbook.content))
    assert book.sheetnames == ["Lịch gặp theo bàn", "Lịch làm việc"]
    assert book["Lịch làm việc"].max_row == 1 + 2 * len(meetings)  # each meeting on two agendas

    calendar = client.get(fair.url("/schedule.ics"), headers=fair.admin)
    assert calendar.headers["content-type"] == "text/calendar; charset=utf-8"
    events = Calendar.from_ical(calendar.content).walk("VEVENT")
    assert len(events) == len(meetings)

    printed = client.get(fair.url("/schedule.pdf"), headers=fair.admin)
    assert printed.headers["content-type"] == "application/pdf"
    assert printed.content.startswith(b"%PDF-") and b"%%EOF" in printed.content[-1024:]
    everyone = client.get(fair.url("/agendas.pdf"), headers=fair.admin)
    assert everyone.content.startswith(b"%PDF-")
    agendas = client.get(fair.url("/agendas.csv?lang=en"), headers=fair.admin)
    assert len(list(csv.reader(io.StringIO(agendas.content.decode("utf-8-sig"))))) == 1 + 2 * len(
        meetings
    )

    own = fair.as_(fair.coop_a)
    mine = [m for m in meetings if m["cooperative_id"] == "coop-a"]
    ics = client.get(fair.url("/agendas/coop-a.ics?lang=en"), headers=own)
    assert ics.headers["content-type"] == "text/calendar; charset=utf-8"
    entries = Calendar.from_ical(ics.content).walk("VEVENT")
    assert sorted(str(e["uid"]).split("@")[0] for e in entries) == sorted(
        m["meeting_id"] for m in mine
    )
    assert all(str(e["summary"]).startswith("Meeting with") for e in entries)
    agenda_csv = client.get(fair.url("/agendas/coop-a.csv"), headers=own)  # own language: vi
    agenda_rows = list(csv.reader(io.StringIO(agenda_csv.content.decode("utf-8-sig"))))
    assert agenda_rows[0][:3] == ["Bắt đầu", "Kết thúc", "Bàn"]
    assert len(agenda_rows) == 1 + len(mine)
    agenda_pdf = client.get(fair.url("/agendas/coop-a.pdf"), headers=own)
    assert agenda_pdf.headers["content-type"] == "application/pdf"
    assert agenda_pdf.content.startswith(b"%PDF-")

    assert error_of(client.get(fair.url("/schedule.docx"), headers=fair.admin), 422)
    assert error_of(client.get(fair.url("/agendas/coop-a.xlsx"), headers=own), 422)
    assert error_of(client.get(fair.url("/schedule.csv?lang=fr"), headers=fair.admin), 422)


def test_no_file_before_a_schedule_exists(fair: Fair) -> None:
    answer = fair.service.client.get(fair.url("/schedule.pdf"), headers=fair.admin)
    assert error_of(answer, 404)["code"] == "no_schedule"


# --- the day itself and after -------------------------------------------------------------


def test_a_cancellation_reschedules_only_the_open_slots(fair: Fair) -> None:
    client = fair.service.client
    fair.schedule()
    before = client.get(fair.url("/schedule"), headers=fair.admin).json()
    started = client.post(
        fair.url("/reoptimise"),
        json={"from_slot": "s2", "cancelled": ["org-bank"], "time_limit_seconds": 10},
        headers=fair.admin,
    )
    assert started.status_code == 202, started.text
    done = finished_job(client, started.json()["url"], fair.admin)[-1]
    assert done["state"] == "succeeded", done["error"]
    after = client.get(fair.url("/schedule"), headers=fair.admin).json()
    assert (after["revision"], after["made_by"]) == (2, "reoptimise")
    history = {m["meeting_id"]: m for m in before["meetings"] if m["slot_id"] == "s1"}
    now = {m["meeting_id"]: m for m in after["meetings"]}
    for meeting_id, meeting in history.items():
        assert now[meeting_id] == meeting  # same slot, same table
    assert not [
        m for m in after["meetings"] if m["counterpart_id"] == "org-bank" and m["slot_id"] != "s1"
    ]
    assert set(after["dropped_meeting_ids"]) == {
        m["meeting_id"]
        for m in before["meetings"]
        if m["counterpart_id"] == "org-bank" and m["slot_id"] != "s1"
    }
    bank = client.get(fair.url("/participants/org-bank"), headers=fair.admin).json()
    assert bank["cancelled"] is True
    unknown = client.post(
        fair.url("/reoptimise"),
        json={"from_slot": "s9", "cancelled": ["org-x"]},
        headers=fair.admin,
    )
    fields = reasons_by_field(error_of(unknown, 422))
    assert fields["from_slot"] == "unknown slot 's9'"
    assert fields["org-x"] == "unknown participant 'org-x'"


def test_outcomes_feed_the_report(fair: Fair) -> None:
    client = fair.service.client
    fair.schedule()
    meetings = client.get(fair.url("/schedule"), headers=fair.admin).json()["meetings"]
    by_pair = {(m["cooperative_id"], m["counterpart_id"]): m["meeting_id"] for m in meetings}
    recorded = client.post(
        fair.url("/outcomes"),
        json={
            "outcomes": [
                {"meeting_id": by_pair[("coop-a", "org-biz")], "outcome": "contract"},
                {"meeting_id": by_pair[("coop-a", "org-bank")], "outcome": "loan_application"},
                {"meeting_id": by_pair[("coop-b", "org-biz")], "outcome": "no_show"},
            ]
        },
        headers=fair.admin,
    )
    assert recorded.status_code == 201, recorded.text
    assert len(fair.service.outbox("MeetingOutcomeRecorded")) == 3
    report = client.get(fair.url("/report"), headers=fair.admin).json()
    assert (report["scheduled"], report["recorded"], report["held"]) == (5, 3, 2)
    assert (report["contracts"], report["loan_applications"], report["mou_signed"]) == (1, 1, 0)
    assert [group["key"] for group in report["by_district"]] == ["le-thuy"]
    assert report["by_sector"][0]["by_outcome"] == {
        "contract": 1,
        "loan_application": 1,
        "no_show": 1,
    }
    wrong = client.post(
        fair.url("/outcomes"),
        json={"outcomes": [{"meeting_id": "mtg-nope", "outcome": "met"}]},
        headers=fair.admin,
    )
    assert "outcomes[0].meeting_id" in reasons_by_field(error_of(wrong, 422))


def test_slot_times_are_local_times_of_day(service: Running, orgs: Organisations) -> None:
    slots = copy.deepcopy(CONFERENCE["slots"])
    slots[0]["start"] = "08:00:00+07:00"
    answer = service.client.post(
        "/v1/conferences",
        json={**CONFERENCE, "slots": slots},
        headers=orgs.headers(orgs.new(Role.ORGANISER)),
    )
    assert "without a time zone" in reasons_by_field(error_of(answer, 422))["slots[0].start"]
    made = service.client.post(
        "/v1/conferences", json=CONFERENCE, headers=orgs.headers(orgs.new(Role.ORGANISER))
    )
    assert [(s["start"], s["end"]) for s in made.json()["slots"]][:2] == [
        ("08:00", "08:20"),
        ("08:20", "08:40"),
    ]
