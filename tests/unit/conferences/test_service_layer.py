"""The conferences service layer on a real SQLite file: the matches store, invitations, the
checks every write passes, pairing jobs run to their end, re-optimisation, outcomes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from services.conferences import events, handlers, views
from services.conferences.candidate_pairs import best_pairs
from services.conferences.domain.errors import ConferenceInputError
from services.conferences.domain.model import Schedule
from services.conferences.jobs import PairingJobs
from services.conferences.orm import CandidatePairRow, PairingJobRow, ParticipantRow
from services.conferences.repository import Conferences, to_schedule
from services.conferences.schemas import (
    ConferenceCreate,
    Invitation,
    MeetingRequestCreate,
    OutcomesCreate,
    PairingCreate,
    PinCreate,
    ReoptimisationCreate,
)
from services.conferences.service import SPEC
from shared.contract.events import ConferenceScheduled, MeetingOutcomeRecorded
from shared.identity.model import Caller, Role
from shared.outbox.unit_of_work import UnitOfWork
from shared.outbox.writer import Outbox
from shared.storage.types import utc_now
from shared.web.errors import Conflict, InvalidInput

from . import scoring_events as ev
from .service_harness import CONFERENCE, Running, identity, serve

ORGANISER = Caller("org-so-cong-thuong", Role.ORGANISER, "Sở Công Thương")


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Running]:
    yield from serve(tmp_path, identity(tmp_path))


@pytest.fixture
def jobs(service: Running) -> PairingJobs:
    return PairingJobs(service.database, service.settings, SPEC.outbox, producer=SPEC.name)


@contextmanager
def unit(service: Running) -> Iterator[UnitOfWork]:
    with service.database.sessions() as session:
        yield UnitOfWork(session, Outbox(session, SPEC.outbox, producer=SPEC.name))
        session.commit()


def best(service: Running, cooperative: str, counterpart: str) -> tuple[float, list[str]]:
    with service.database.sessions() as session:
        (pair,) = best_pairs(session, [cooperative], [counterpart])
        return pair.score, [reason.code for reason in pair.reasons]


# --- the store of matches and leads -------------------------------------------------------


def test_a_replayed_or_older_match_changes_nothing(service: Running) -> None:
    newer = ev.envelope(ev.match("m1", "coop-a", "org-biz", 0.9), minutes=10)
    service.feed(newer)
    service.feed(ev.envelope(ev.match("m1", "coop-a", "org-biz", 0.3), minutes=5))
    assert best(service, "coop-a", "org-biz") == (0.9, ["product_fit"])
    service.feed(newer)
    assert best(service, "coop-a", "org-biz") == (0.9, ["product_fit"])
    with service.database.engine.connect() as connection:
        rows = connection.execute(select(func.count()).select_from(CandidatePairRow)).scalar_one()
    assert rows == 1


def test_the_best_live_match_of_a_pair_is_its_score(service: Running) -> None:
    other = ev.Reason(code="price_fit", en="Price in range", vi="Giá phù hợp")
    service.feed(
        ev.envelope(ev.match("m1", "coop-a", "org-biz", 0.4)),
        ev.envelope(ev.match("m2", "coop-a", "org-biz", 0.8, other)),
        ev.envelope(ev.lead("l1", "coop-a", "org-bank", 0.6)),
    )
    assert best(service, "coop-a", "org-biz") == (0.8, ["price_fit"])
    assert best(service, "coop-a", "org-bank") == (0.6, ["loan_fits"])

    service.feed(ev.envelope(ev.retracted("m2", "coop-a"), minutes=1))
    assert best(service, "coop-a", "org-biz") == (0.4, ["product_fit"])

    service.feed(ev.envelope(ev.match("m2", "coop-a", "org-biz", 0.7, other), minutes=2))
    assert best(service, "coop-a", "org-biz") == (0.7, ["price_fit"])


# --- invitations and the checks of every write --------------------------------------------


def create(service: Running, **changes: Any) -> str:
    with unit(service) as work:
        made = handlers.create_conference(
            work, ORGANISER, ConferenceCreate.model_validate({**CONFERENCE, **changes})
        )
    return made.conference_id


def invite(service: Running, conference_id: str, body: dict[str, Any]) -> Any:
    with unit(service) as work:
        return handlers.invite(work, ORGANISER, conference_id, Invitation.model_validate(body))


def seed_lethuy_and_donghoi(service: Running) -> None:
    service.feed(
        ev.envelope(ev.cooperative("coop-a", "org-a", "HTX Sen Thủy")),
        ev.envelope(ev.cooperative("coop-c", "org-c", "HTX Hưng Thủy")),
        ev.envelope(ev.cooperative("coop-b", "org-b", "HTX Bảo Ninh", district="dong-hoi")),
        ev.envelope(ev.match("m1", "coop-a", "org-biz", 0.9)),
        ev.envelope(ev.match("m2", "coop-c", "org-biz", 0.5)),
        ev.envelope(ev.lead("l1", "coop-a", "org-bank", 0.7)),
        ev.envelope(ev.match("m3", "coop-b", "org-biz-2", 0.8)),
    )


def test_taking_a_district_brings_its_cooperatives_and_their_counterparts(
    service: Running,
) -> None:
    seed_lethuy_and_donghoi(service)
    conference_id = create(service)

    first = invite(service, conference_id, {"select": {"districts": ["le-thuy"]}})
    assert {p.participant_id for p in first.invited} == {"coop-a", "coop-c", "org-biz", "org-bank"}
    by_id = {p.participant_id: p for p in first.invited}
    assert by_id["coop-a"].organisation_id == "org-a"
    assert by_id["coop-a"].name == "HTX Sen Thủy"
    assert by_id["org-bank"].kind == "bank"
    assert by_id["coop-a"].max_meetings == 3  # one per meeting slot, breaks left out

    again = invite(
        service,
        conference_id,
        {"select": {"districts": ["le-thuy", "dong-hoi"]}, "max_meetings": 2},
    )
    assert {p.participant_id for p in again.invited} == {"coop-b", "org-biz-2"}
    assert {p.max_meetings for p in again.invited} == {2}
    assert set(again.already_invited) == {"coop-a", "coop-c", "org-biz", "org-bank"}


def test_only_banks_are_taken_when_only_banks_are_asked_for(service: Running) -> None:
    seed_lethuy_and_donghoi(service)
    conference_id = create(service)
    chosen = invite(service, conference_id, {"select": {"kinds": ["bank"]}})
    assert [p.participant_id for p in chosen.invited] == ["org-bank"]


def test_an_unknown_cooperative_is_refused_by_name(service: Running) -> None:
    conference_id = create(service)
    with pytest.raises(InvalidInput) as refused:
        invite(
            service,
            conference_id,
            {"participants": [{"participant_id": "coop-ghost", "kind": "cooperative"}]},
        )
    assert refused.value.fields[0].field == "participants[0].participant_id"
    assert "coop-ghost" in refused.value.fields[0].reason


def test_inviting_someone_twice_is_a_conflict(service: Running) -> None:
    seed_lethuy_and_donghoi(service)
    conference_id = create(service)
    body = {"participants": [{"participant_id": "coop-a", "kind": "cooperative"}]}
    invite(service, conference_id, body)
    with pytest.raises(Conflict, match="take part already"):
        invite(service, conference_id, body)


def test_writes_that_would_break_the_conference_are_refused(service: Running) -> None:
    seed_lethuy_and_donghoi(service)
    conference_id = create(service)
    invite(service, conference_id, {"select": {"districts": ["le-thuy"]}})

    with pytest.raises(ConferenceInputError) as in_break, unit(service) as work:
        handlers.pin(
            work,
            ORGANISER,
            conference_id,
            PinCreate(cooperative_id="coop-a", counterpart_id="org-biz", slot_id="tea"),
        )
    assert "pinned_in_break" in in_break.value.codes()

    with pytest.raises(ConferenceInputError) as unknown, unit(service) as work:
        handlers.request_meeting(
            work,
            ORGANISER,
            conference_id,
            MeetingRequestCreate(target_id="org-nobody", kind="must_meet", requester_id="coop-a"),
        )
    assert "unknown_participant" in unknown.value.codes()
    assert "org-nobody" in str(unknown.value)

    with unit(service) as work:
        handlers.pin(
            work,
            ORGANISER,
            conference_id,
            PinCreate(cooperative_id="coop-a", counterpart_id="org-biz"),
        )
    with pytest.raises(ConferenceInputError) as clash, unit(service) as work:
        handlers.request_meeting(
            work,
            Caller("org-a", Role.COOPERATIVE, "HTX Sen Thủy"),
            conference_id,
            MeetingRequestCreate(target_id="org-biz", kind="do_not_want"),
        )
    assert "pin_conflicts_with_do_not_want" in clash.value.codes()


# --- pairing jobs -------------------------------------------------------------------------


def start(service: Running, jobs: PairingJobs, conference_id: str, **body: Any) -> str:
    with unit(service) as work:
        job = handlers.start_pairing(
            work,
            ORGANISER,
            conference_id,
            PairingCreate.model_validate({"time_limit_seconds": 5, **body}),
            jobs,
        )
    return job.job_id


def job_row(service: Running, job_id: str) -> PairingJobRow:
    with service.database.sessions() as session:
        row = session.get(PairingJobRow, job_id)
        assert row is not None
        return row


def current_schedule(service: Running, conference_id: str) -> Schedule:
    with service.database.sessions() as session:
        latest = Conferences(session).latest_revision(conference_id)
        assert latest is not None
        return to_schedule(latest)


def test_a_job_saves_its_revision_and_its_event_together(
    service: Running, jobs: PairingJobs
) -> None:
    seed_lethuy_and_donghoi(service)
    conference_id = create(service)
    invite(service, conference_id, {"select": {"districts": ["le-thuy"]}})
    with unit(service) as work:
        # coop-c and org-biz may meet (score 0.5), but coop-c does not want to.
        handlers.request_meeting(
            work,
            Caller("org-c", Role.COOPERATIVE, "HTX Hưng Thủy"),
            conference_id,
            MeetingRequestCreate(target_id="org-biz", kind="do_not_want"),
        )
    job_id = start(service, jobs, conference_id, fairness_floor=1)
    jobs.run(job_id)

    job = job_row(service, job_id)
    assert (job.state, job.revision, job.error) == ("succeeded", 1, None)
    schedule = current_schedule(service, conference_id)
    assert {m.key for m in schedule.meetings} == {("coop-a", "org-biz"), ("coop-a", "org-bank")}
    (published,) = service.outbox("ConferenceScheduled")
    event = published.payload
    assert isinstance(event, ConferenceScheduled)
    assert event.revision == 1
    assert {
        (m.meeting_id, m.slot_id, m.table, m.cooperative_id, m.counterpart_id)
        for m in event.meetings
    } == {
        (m.meeting_id, m.slot_id, m.table, m.cooperative_id, m.counterpart_id)
        for m in schedule.meetings
    }
    kinds = {m.counterpart_id: m.counterpart_kind for m in event.meetings}
    assert kinds == {"org-biz": "business", "org-bank": "bank"}
    assert {m.counterpart_id: m.match_score for m in event.meetings} == {
        "org-biz": 0.9,
        "org-bank": 0.7,
    }

    jobs.run(job_id)  # a job runs once: a second worker finds it claimed
    assert len(service.outbox("ConferenceScheduled")) == 1


def test_one_job_at_a_time_per_conference_unless_it_is_overdue(
    service: Running, jobs: PairingJobs
) -> None:
    conference_id = create(service)
    first = start(service, jobs, conference_id)
    with pytest.raises(Conflict, match=first):
        start(service, jobs, conference_id)

    with service.database.sessions() as session:
        row = session.get(PairingJobRow, first)
        assert row is not None
        row.created_at = utc_now() - timedelta(seconds=service.settings.queue_timeout_seconds + 1)
        shown = views.job_public(session, row, service.settings)
        session.commit()
    assert shown.state == "failed"
    assert shown.error is not None and shown.error.code == "overdue"
    assert start(service, jobs, conference_id) != first


def test_pins_that_cannot_hold_fail_the_job_with_the_reason(
    service: Running, jobs: PairingJobs
) -> None:
    seed_lethuy_and_donghoi(service)
    conference_id = create(service)
    invite(service, conference_id, {"select": {"districts": ["le-thuy"]}})
    with unit(service) as work:
        for participant_id, slots in (("coop-a", ["s1"]), ("org-biz", ["s2"])):
            row = work.session.get(ParticipantRow, (conference_id, participant_id))
            assert row is not None
            row.availability = slots
        handlers.pin(
            work,
            ORGANISER,
            conference_id,
            PinCreate(cooperative_id="coop-a", counterpart_id="org-biz"),
        )
    job_id = start(service, jobs, conference_id)
    jobs.run(job_id)
    job = job_row(service, job_id)
    assert job.state == "failed"
    assert job.error is not None
    assert job.error["code"] == "pins_infeasible"
    assert "coop-a–org-biz" in job.error["message"]
    assert service.outbox("ConferenceScheduled") == []


def test_reoptimising_keeps_history_and_drops_the_cancelled(
    service: Running, jobs: PairingJobs
) -> None:
    service.feed(
        *(ev.envelope(ev.cooperative(f"coop-{n}", f"org-{n}", f"HTX {n}")) for n in range(4)),
        *(ev.envelope(ev.match(f"m{n}", f"coop-{n}", "org-biz", 0.9 - n / 10)) for n in range(4)),
        *(ev.envelope(ev.match(f"k{n}", f"coop-{n}", "org-biz-2", 0.5)) for n in range(4)),
    )
    conference_id = create(service)
    invite(service, conference_id, {"select": {"districts": ["le-thuy"]}})
    jobs.run(start(service, jobs, conference_id))
    before = current_schedule(service, conference_id)
    assert len(before.meetings) == 6  # each business meets in each of the three slots

    with unit(service) as work:
        job = handlers.start_reoptimisation(
            work,
            ORGANISER,
            conference_id,
            ReoptimisationCreate(from_slot="s2", cancelled=["org-biz"], time_limit_seconds=5),
            jobs,
        )
    jobs.run(job.job_id)
    after = current_schedule(service, conference_id)
    assert after.revision == 2
    kept_history = {m for m in before.meetings if m.slot_id == "s1"}
    assert kept_history <= set(after.meetings)
    assert not [m for m in after.meetings if m.counterpart_id == "org-biz" and m.slot_id != "s1"]
    untouched = {m for m in before.meetings if m.counterpart_id == "org-biz-2"}
    assert untouched <= set(after.meetings)

    published = [e.payload for e in service.outbox("ConferenceScheduled")]
    assert [p.revision for p in published if isinstance(p, ConferenceScheduled)] == [1, 2]
    last = published[-1]
    assert isinstance(last, ConferenceScheduled)
    assert set(last.dropped_meeting_ids) == {
        m.meeting_id for m in before.meetings if m.counterpart_id == "org-biz" and m.slot_id != "s1"
    }
    with service.database.sessions() as session:
        cancelled = session.get(ParticipantRow, (conference_id, "org-biz"))
        assert cancelled is not None and cancelled.cancelled


def test_outcomes_go_to_the_outbox_and_the_report(service: Running, jobs: PairingJobs) -> None:
    seed_lethuy_and_donghoi(service)
    conference_id = create(service)
    invite(service, conference_id, {"select": {"districts": ["le-thuy", "dong-hoi"]}})
    jobs.run(start(service, jobs, conference_id))
    schedule = current_schedule(service, conference_id)
    ids = {m.key: m.meeting_id for m in schedule.meetings}

    with pytest.raises(InvalidInput) as refused, unit(service) as work:
        handlers.record_outcomes(
            work,
            ORGANISER,
            conference_id,
            OutcomesCreate.model_validate(
                {"outcomes": [{"meeting_id": "mtg-nope", "outcome": "met"}]}
            ),
        )
    assert refused.value.fields[0].field == "outcomes[0].meeting_id"

    with unit(service) as work:
        handlers.record_outcomes(
            work,
            ORGANISER,
            conference_id,
            OutcomesCreate.model_validate(
                {
                    "outcomes": [
                        {"meeting_id": ids[("coop-a", "org-biz")], "outcome": "met"},
                        {"meeting_id": ids[("coop-a", "org-bank")], "outcome": "loan_application"},
                        {"meeting_id": ids[("coop-b", "org-biz-2")], "outcome": "no_show"},
                        # Later the same day the first meeting ends in an MoU: the latest counts.
                        {"meeting_id": ids[("coop-a", "org-biz")], "outcome": "mou_signed"},
                    ]
                }
            ),
        )
    recorded = [e.payload for e in service.outbox("MeetingOutcomeRecorded")]
    assert len(recorded) == 4
    assert all(isinstance(p, MeetingOutcomeRecorded) for p in recorded)

    with service.database.sessions() as session:
        report = views.report(session, ORGANISER, conference_id)
    assert (report.scheduled, report.recorded, report.held) == (len(schedule.meetings), 3, 2)
    assert (report.mou_signed, report.contracts, report.loan_applications) == (1, 0, 1)
    districts = {group.key: group for group in report.by_district}
    assert districts["le-thuy"].held == 2
    assert districts["dong-hoi"].by_outcome == {"no_show": 1}
    kinds = {group.key: group.recorded for group in report.by_counterpart_kind}
    assert kinds == {"business": 2, "bank": 1}


# --- the event's size ---------------------------------------------------------------------


def test_an_event_too_large_for_the_topic_loses_its_reasons_first(
    service: Running, jobs: PairingJobs, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_lethuy_and_donghoi(service)
    conference_id = create(service)
    invite(service, conference_id, {"select": {"districts": ["le-thuy"]}})
    jobs.run(start(service, jobs, conference_id))
    with service.database.sessions() as session:
        conferences = Conferences(session)
        row = conferences.get(conference_id)
        assert row is not None
        conference = conferences.load(row).conference
    schedule = current_schedule(service, conference_id)

    def fitting() -> ConferenceScheduled:
        return events.fitting(
            conference, schedule, solver="cpsat", total_score=1.0, upper_bound=1.0, gap=0.0
        )

    full = fitting()
    assert all(m.reasons for m in full.meetings)
    size = len(full.model_dump_json().encode())
    monkeypatch.setattr(events, "max_record_bytes", lambda: size + 1024 - 1)
    trimmed = fitting()
    assert not any(m.reasons for m in trimmed.meetings)
    assert [m.meeting_id for m in trimmed.meetings] == [m.meeting_id for m in full.meetings]

    monkeypatch.setattr(events, "max_record_bytes", lambda: 1024 + 100)
    with pytest.raises(events.EventTooLarge, match="does not fit"):
        fitting()
