"""What the engine offers a worker that owns only part of the demands and restarts often:
``reconcile`` after a restore, the buyer signal from other workers, bulk application of events,
and feedback files several workers write."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from services.matching import contract_mapping
from services.matching.domain import ids
from services.matching.domain.engine import MatchingEngine
from services.matching.domain.learning import FeedbackExample
from services.matching.feedback_file import append_examples, read_examples, written_sources
from tests.unit.matching import contract_events as events
from tests.unit.matching.builders import cooperative, credit_need, demand
from tests.unit.matching.test_engine_incremental import lead_engine, loaded_engine

TODAY = date(2026, 3, 1)


def test_reconcile_after_a_full_restore_publishes_nothing() -> None:
    _, delta = loaded_engine()
    restarted, _ = loaded_engine()
    restarted.restore_published(delta.matches)
    assert not restarted.reconcile()


def test_reconcile_publishes_what_never_made_it_out_and_retracts_what_no_longer_holds() -> None:
    _, delta = loaded_engine()
    restarted, _ = loaded_engine()
    restarted.close_demand("d1")
    restarted.upsert_demand(demand("d2"))
    # Out: the matches of d1 (closed since, the retraction lost), nothing yet of d2.
    restarted.restore_published(delta.matches)

    again = restarted.reconcile()

    assert {(r.demand_id, r.reason.code) for r in again.retractions} == {("d1", "demand_closed")}
    assert {m.demand_id for m in again.matches} == {"d2"}
    assert not restarted.reconcile()


def test_reconcile_retracts_a_stale_lead_saying_why() -> None:
    engine = lead_engine()
    engine.upsert_credit_need(credit_need("n1", "poor"))
    published = engine.leads_for("bank1")
    restarted = lead_engine()
    restarted.upsert_credit_need(credit_need("n1", "poor"))
    restarted.upsert_cooperative(cooperative("poor", annual_revenue_vnd=None, member_count=8))
    restarted.restore_published(published)

    [retraction] = restarted.reconcile().retractions
    assert retraction.match_id == ids.lead_id("n1", "lp1")
    assert retraction.reason.code == "too_few_members"


def test_a_match_published_by_another_worker_makes_the_lead_a_waiting_buyer() -> None:
    engine = lead_engine()
    engine.upsert_credit_need(credit_need("n1", "poor"))
    [before] = engine.leads_for("bank1")

    delta = engine.note_published_match("poor", True)

    [after] = delta.leads
    assert (before.components["buyer"], after.components["buyer"]) == (0.0, 0.6)
    assert not engine.note_published_match("poor", True)
    [back] = engine.note_published_match("poor", False).leads
    assert back.components["buyer"] == 0.0


def test_events_applied_in_bulk_end_where_one_at_a_time_does() -> None:
    stream = [
        events.cooperative("c1", events.product("p1", "Sâm bố chính", 30.0)),
        events.cooperative("c2", events.product("p2", "Sâm bố chính", 5.0)),
        events.demand("d1", "b1", "sâm bố chính", 20.0),
        events.demand("d2", "b1", "sâm bố chính khô", 2.0),
        events.cooperative("c2", events.product("p2", "Sâm bố chính", 50.0), updated=True),
        events.closed("d2", "b1"),
        events.demand("d3", "b2", "sâm bố chính"),
        events.loan_product("lp1", "bank1"),
        events.credit_need("n1", "c1"),
    ]
    one_by_one, bulk = MatchingEngine(), MatchingEngine()
    for payload in stream:
        contract_mapping.apply_event(one_by_one, payload, TODAY)
    contract_mapping.apply_events(bulk, [(payload, TODAY) for payload in stream])

    def state(engine: MatchingEngine) -> object:
        return (
            [(m.match_id, m.score) for d in ("d1", "d2", "d3") for m in engine.matches_for(d)],
            [(lead.lead_id, lead.score) for lead in engine.leads_for("bank1")],
        )

    assert state(bulk) == state(one_by_one)
    assert len(bulk.matches_for("d1")) == 2 and bulk.matches_for("d2") == []


def test_feedback_files_say_which_examples_they_hold_and_read_each_once(tmp_path: Path) -> None:
    example = FeedbackExample("lead", "bank1", "lead-1", {"revenue": 0.5}, 2)
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    append_examples(first, [example], source="event-1")
    append_examples(second, [example], source="event-1")  # after a rebalance, elsewhere
    append_examples(second, [example])  # written by hand, without a source

    assert written_sources(first) == {("event-1", "lead-1")}
    assert written_sources(tmp_path / "missing.jsonl") == set()
    assert len(read_examples(first, second)) == 2
