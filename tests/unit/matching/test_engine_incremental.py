"""The engine publishes only what changed: deterministic ids, nothing on a replay, and a
retraction with its reason for whatever a change no longer supports."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

from services.matching.domain import ids
from services.matching.domain.engine import MatchingEngine
from services.matching.domain.model import Cooperative, Demand
from services.matching.domain.proposals import MatchDelta
from tests.unit.matching.builders import (
    certified,
    cooperative,
    credit_need,
    demand,
    loan_product,
    offer,
    random_demand,
    random_offer,
    required,
)


def loaded_engine() -> tuple[MatchingEngine, MatchDelta]:
    engine = MatchingEngine()
    delta = engine.upsert_cooperatives(
        [
            cooperative("c1", offer(tonnes=12.0, certificates=(certified("organic"),))),
            cooperative("c2", offer(tonnes=5.0, certificates=(certified("organic"),))),
        ]
    )
    delta += engine.upsert_demand(demand(required=(required("organic"),)))
    return engine, delta


def test_match_ids_are_derived_from_demand_cooperative_and_product() -> None:
    first, _ = loaded_engine()
    second, _ = loaded_engine()
    ids_first = [m.match_id for m in first.matches_for("d1")]
    assert ids_first == [m.match_id for m in second.matches_for("d1")]
    assert ids_first[0] == ids.sourcing_match_id("d1", "c1", "p1")
    assert ids.sourcing_match_id("d1", "c1", "p1") != ids.sourcing_match_id("d1", "c1", "p2")
    assert ids.lead_id("n1", "lp1") == ids.lead_id("n1", "lp1") != ids.lead_id("n1", "lp2")


def test_replaying_the_same_events_publishes_nothing() -> None:
    engine, delta = loaded_engine()
    assert len(delta.matches) == 2
    assert not engine.upsert_demand(demand(required=(required("organic"),)))
    assert not engine.upsert_cooperative(
        cooperative("c1", offer(tonnes=12.0, certificates=(certified("organic"),)))
    )
    assert not engine.rescore_all()


def test_a_new_cooperative_is_scored_against_open_demands() -> None:
    engine, _ = loaded_engine()
    delta = engine.upsert_cooperative(
        cooperative(
            "c3", offer(tonnes=20.0, certificates=(certified("organic"),)), district="dong-hoi"
        )
    )
    # Only the newcomer is published: the others moved down a place, but ranks are worked out
    # by readers from the scores, which did not change.
    assert [m.cooperative_id for m in delta.matches] == ["c3"]
    assert [m.cooperative_id for m in engine.matches_for("d1")] == ["c3", "c1", "c2"]
    assert not delta.retractions


def test_a_cooperative_irrelevant_to_open_demands_publishes_nothing() -> None:
    engine, _ = loaded_engine()
    assert not engine.upsert_cooperative(cooperative("c9", offer("Nước mắm")))


def test_closing_a_demand_retracts_its_matches() -> None:
    engine, _ = loaded_engine()
    delta = engine.close_demand("d1")
    assert {r.cooperative_id for r in delta.retractions} == {"c1", "c2"}
    assert {r.reason.code for r in delta.retractions} == {"demand_closed"}
    assert all(r.match_kind == "sourcing" and r.demand_id == "d1" for r in delta.retractions)
    assert engine.matches_for("d1") == []
    assert not engine.close_demand("d1")


def test_a_demand_whose_delivery_ended_is_closed_and_its_matches_retracted_saying_so() -> None:
    engine, _ = loaded_engine()  # d1 delivers until 2026-06-30
    assert not engine.expire_demands(date(2026, 6, 30)), "its last day still counts"
    assert engine.demand("d1") is not None

    delta = engine.expire_demands(date(2026, 7, 1))

    assert {r.cooperative_id for r in delta.retractions} == {"c1", "c2"}
    assert {(r.reason.code, r.reason.en) for r in delta.retractions} == {
        ("delivery_over", "The demand's delivery ended on 2026-06-30")
    }
    assert engine.demand("d1") is None and engine.matches_for("d1") == []
    # A day earlier does not bring the cut-off back.
    assert not engine.expire_demands(date(2026, 6, 1))


def test_a_demand_posted_with_its_delivery_over_is_never_matched() -> None:
    engine, _ = loaded_engine()
    engine.expire_demands(date(2026, 7, 1))
    late = engine.upsert_demand(demand("d2", required=(required("organic"),)))
    assert not late and engine.demand("d2") is None
    coming = demand("d3", delivery_from=date(2026, 7, 1), delivery_until=date(2026, 9, 30))
    assert {m.cooperative_id for m in engine.upsert_demand(coming).matches} == {"c1", "c2"}
    # Moved into the past by an update, it is closed like the others.
    moved = engine.upsert_demand(replace(coming, delivery_until=date(2026, 6, 15)))
    assert {r.reason.code for r in moved.retractions} == {"delivery_over"}


def test_after_a_restart_published_matches_of_an_ended_demand_are_retracted() -> None:
    _, delta = loaded_engine()
    restarted = MatchingEngine()
    restarted.expire_demands(date(2026, 7, 1))  # the worker sets the day before replaying
    with restarted.deferred():  # as the worker replays: ranked once, by ``reconcile``
        restarted.upsert_cooperatives([cooperative("c1", offer(tonnes=12.0)), cooperative("c2")])
        restarted.upsert_demand(demand(required=(required("organic"),)))
    restarted.restore_published([*delta.matches])
    again = restarted.reconcile()
    assert {r.match_id for r in again.retractions} == {m.match_id for m in delta.matches}
    assert {r.reason.code for r in again.retractions} == {"delivery_over"}


def test_an_expired_certificate_in_a_changed_profile_retracts_with_that_reason() -> None:
    engine, _ = loaded_engine()
    expired = cooperative(
        "c2", offer(tonnes=5.0, certificates=(certified("organic", date(2026, 1, 1)),))
    )
    delta = engine.upsert_cooperative(expired)
    [retraction] = delta.retractions
    assert retraction.cooperative_id == "c2"
    assert retraction.reason.code == "certificate_expired"
    assert [m.cooperative_id for m in engine.matches_for("d1")] == ["c1"]


def test_a_product_removed_from_the_profile_retracts_its_match() -> None:
    engine, _ = loaded_engine()
    delta = engine.upsert_cooperative(cooperative("c2", offer("Mật ong", product_id="honey")))
    assert [(r.cooperative_id, r.reason.code) for r in delta.retractions] == [
        ("c2", "product_removed")
    ]


def test_a_removed_cooperative_is_retracted() -> None:
    engine, _ = loaded_engine()
    delta = engine.remove_cooperative("c1")
    assert [(r.cooperative_id, r.reason.code) for r in delta.retractions] == [
        ("c1", "cooperative_removed")
    ]
    assert not delta.matches, "c2 moved up a place; its score is unchanged"
    assert [m.cooperative_id for m in engine.matches_for("d1")] == ["c2"]


def test_a_match_pushed_out_of_the_top_k_is_retracted_as_outranked() -> None:
    engine = MatchingEngine(top_k=1)
    engine.upsert_cooperative(cooperative("small", offer(tonnes=5.0)))
    engine.upsert_demand(demand())
    delta = engine.upsert_cooperative(cooperative("big", offer(tonnes=20.0), district="dong-hoi"))
    assert [m.cooperative_id for m in delta.matches] == ["big"]
    assert [(r.cooperative_id, r.reason.code) for r in delta.retractions] == [
        ("small", "outranked")
    ]


def test_a_changed_demand_replaces_what_it_no_longer_supports() -> None:
    engine, _ = loaded_engine()
    delta = engine.upsert_demand(demand(product="Nước mắm"))
    assert {r.reason.code for r in delta.retractions} == {"product_kind_mismatch"}
    assert engine.matches_for("d1") == []


def test_restored_published_state_makes_reprocessing_publish_nothing() -> None:
    _, delta = loaded_engine()
    restarted, _ = loaded_engine()  # state rebuilt from committed input events
    restarted.restore_published([*delta.matches])
    assert not restarted.upsert_demand(demand(required=(required("organic"),)))


def test_restored_state_missing_a_match_publishes_just_that_one() -> None:
    _, delta = loaded_engine()
    restarted, _ = loaded_engine()
    restarted.restore_published([m for m in delta.matches if m.cooperative_id == "c1"])
    again = restarted.upsert_demand(demand(required=(required("organic"),)))
    assert [m.cooperative_id for m in again.matches] == ["c2"]


# --- leads -----------------------------------------------------------------------------------


def lead_engine() -> MatchingEngine:
    engine = MatchingEngine()
    engine.upsert_cooperatives(
        [
            cooperative("rich", annual_revenue_vnd=5_000_000_000, member_count=80),
            cooperative("poor", annual_revenue_vnd=None, member_count=12),
        ]
    )
    engine.upsert_loan_product(loan_product("lp1", "bank1", min_members=10))
    return engine


def test_eligible_needs_become_leads_ranked_within_the_bank() -> None:
    engine = lead_engine()
    engine.upsert_credit_need(credit_need("n-poor", "poor"))
    delta = engine.upsert_credit_need(credit_need("n-rich", "rich"))
    assert [lead.credit_need_id for lead in engine.leads_for("bank1")] == ["n-rich", "n-poor"]
    # The newcomer took first place; the other lead's score is unchanged, so only the
    # newcomer is published (readers rank by score).
    assert [lead.credit_need_id for lead in delta.leads] == ["n-rich"]


def test_an_ineligible_pair_is_never_a_lead() -> None:
    engine = lead_engine()
    delta = engine.upsert_credit_need(credit_need("n1", "rich", amount_vnd=5_000_000_000))
    assert not delta
    assert engine.leads_for("bank1") == []
    [failure] = engine.explain_credit_need("n1")["lp1"]
    assert failure.rule == "amount"


def test_withdrawing_a_loan_product_retracts_its_leads() -> None:
    engine = lead_engine()
    engine.upsert_credit_need(credit_need("n1", "rich"))
    delta = engine.withdraw_loan_product("lp1")
    [retraction] = delta.retractions
    assert retraction.match_kind == "lead"
    assert retraction.reason.code == "loan_product_withdrawn"
    assert retraction.bank_id == "bank1"
    assert retraction.match_id == ids.lead_id("n1", "lp1")
    assert engine.leads_for("bank1") == []


def test_a_profile_change_that_breaks_a_rule_retracts_the_lead_saying_which() -> None:
    engine = lead_engine()
    engine.upsert_credit_need(credit_need("n1", "poor"))
    delta = engine.upsert_cooperative(cooperative("poor", annual_revenue_vnd=None, member_count=8))
    [retraction] = delta.retractions
    assert retraction.reason.code == "too_few_members"


def test_a_changed_loan_product_retracts_needs_it_no_longer_accepts() -> None:
    engine = lead_engine()
    engine.upsert_credit_need(credit_need("n1", "poor", term_months=24))
    delta = engine.upsert_loan_product(
        loan_product("lp1", "bank1", min_members=10, max_term_months=12)
    )
    assert [r.reason.code for r in delta.retractions] == ["term_too_long"]


def test_a_buyer_waiting_makes_a_better_lead() -> None:
    engine = lead_engine()
    engine.upsert_credit_need(credit_need("n1", "poor"))
    [before] = engine.leads_for("bank1")
    assert before.components["buyer"] == 0.0
    engine.upsert_demand(demand())  # "poor" offers organic rice (the default product)
    [after] = engine.leads_for("bank1")
    assert after.components["buyer"] == 0.6
    assert after.score > before.score
    assert after.reasons[0].code == "buyer_waiting"
    result = engine.record_meeting_outcome("poor", "b1", "contract")
    assert [lead.components["buyer"] for lead in result.delta.leads] == [1.0]


def test_lead_decisions_become_feedback_examples_with_the_components() -> None:
    engine = lead_engine()
    engine.upsert_credit_need(credit_need("n1", "rich"))
    lead_id = ids.lead_id("n1", "lp1")
    [example] = engine.record_lead_decision(lead_id, "accepted").examples
    assert example.kind == "lead"
    assert example.query_id == "bank1"
    assert example.relevance == 2
    assert dict(example.components) == dict(engine.leads_for("bank1")[0].components)
    assert engine.record_lead_decision("unknown", "accepted").examples == ()


def test_meeting_outcomes_label_the_matches_between_the_two_parties() -> None:
    engine, _ = loaded_engine()
    examples = engine.record_meeting_outcome("c1", "b1", "no_show").examples
    assert [(e.kind, e.query_id, e.relevance) for e in examples] == [("sourcing", "d1", 0)]


def test_credit_need_of_an_unknown_cooperative_waits_for_its_profile() -> None:
    engine = MatchingEngine()
    engine.upsert_loan_product(loan_product())
    assert not engine.upsert_credit_need(credit_need("n1", "later"))
    delta = engine.upsert_cooperative(cooperative("later"))
    assert [lead.credit_need_id for lead in delta.leads] == ["n1"]


def test_a_lead_is_unchanged_by_an_identical_product_update() -> None:
    engine = lead_engine()
    engine.upsert_credit_need(credit_need("n1", "rich"))
    assert not engine.upsert_loan_product(loan_product("lp1", "bank1", min_members=10))
    renamed = replace(loan_product("lp1", "bank1", min_members=10), name="New name")
    assert not engine.upsert_loan_product(renamed)


def test_a_newcomer_that_completes_a_group_is_proposed_with_the_others() -> None:
    engine = MatchingEngine(top_k=2)
    engine.upsert_cooperatives(
        [
            cooperative("a", offer("Nón lá", 2000, unit="piece")),
            cooperative("b", offer("Nón lá", 2000, unit="piece")),
        ]
    )
    engine.upsert_demand(demand(product="Nón lá", tonnes=5000, unit="piece"))
    assert all(m.partners == () for m in engine.matches_for("d1"))
    # Far away and ranked last, but its 1,500 hats make the 5,000 a month.
    delta = engine.upsert_cooperative(
        cooperative("c", offer("Nón lá", 1500, unit="piece"), district="minh-hoa")
    )
    assert {m.cooperative_id: m.partners for m in delta.matches} == {
        "a": ("b", "c"),
        "b": ("a", "c"),
        "c": ("a", "b"),
    }


def test_events_one_at_a_time_end_where_a_bulk_load_does() -> None:
    rng = random.Random(5)
    offers = [random_offer(rng, i) for i in range(120)]
    demands = [random_demand(rng, i) for i in range(15)]
    bulk = MatchingEngine(top_k=4)
    bulk.upsert_cooperatives([c for c, _ in offers])
    bulk.upsert_demands(demands)

    stepwise = MatchingEngine(top_k=4)
    events: list[Cooperative | Demand] = [c for c, _ in offers] + list(demands)
    rng.shuffle(events)
    for event in events:
        if isinstance(event, Demand):
            stepwise.upsert_demand(event)
        else:
            stepwise.upsert_cooperative(event)

    Published = dict[str, list[tuple[str, int, float, tuple[str, ...]]]]

    def published(engine: MatchingEngine) -> Published:
        return {
            d.demand_id: [
                (m.match_id, m.score, m.partners) for m in engine.matches_for(d.demand_id)
            ]
            for d in demands
        }

    assert published(stepwise) == published(bulk)
    assert sum(len(v) for v in published(bulk).values()) > 10


def test_a_later_retraction_cancels_an_earlier_publication_in_a_sum_of_deltas() -> None:
    engine, first = loaded_engine()
    closed = engine.close_demand("d1")
    total = first + closed
    assert total.matches == ()
    assert {r.cooperative_id for r in total.retractions} == {"c1", "c2"}


def test_a_batch_ranks_once_and_publishes_where_it_ends() -> None:
    engine = MatchingEngine()
    with engine.deferred():
        assert not engine.upsert_cooperatives([cooperative("c1", offer(tonnes=12.0))])
        assert not engine.upsert_demand(demand())
        for tonnes in (1.0, 3.0, 5.0, 7.0):
            assert not engine.upsert_cooperative(cooperative("c2", offer(tonnes=tonnes)))
        assert engine.matches_for("d1") == [], "nothing is ranked inside the batch"
    delta = engine.settle()
    published = [m.match_id for m in delta.matches]
    assert len(published) == len(set(published)) == 2, "each match once, as the batch ends"
    [c2] = [m for m in delta.matches if m.cooperative_id == "c2"]
    one_at_a_time = MatchingEngine()
    one_at_a_time.upsert_cooperatives([cooperative("c1", offer(tonnes=12.0))])
    one_at_a_time.upsert_demand(demand())
    one_at_a_time.upsert_cooperative(cooperative("c2", offer(tonnes=7.0)))
    assert [(m.match_id, m.score) for m in engine.matches_for("d1")] == [
        (m.match_id, m.score) for m in one_at_a_time.matches_for("d1")
    ]
    assert c2.components["capacity"] == one_at_a_time.matches_for("d1")[1].components["capacity"]
    assert not engine.settle(), "nothing is left pending"


def test_a_demand_opened_and_closed_in_one_batch_publishes_nothing() -> None:
    engine = MatchingEngine()
    engine.upsert_cooperatives([cooperative("c1", offer(tonnes=12.0))])
    with engine.deferred():
        engine.upsert_demand(demand())
        engine.close_demand("d1")
    assert not engine.settle()
