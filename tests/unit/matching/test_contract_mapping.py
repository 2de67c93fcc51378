"""Contract payloads in, contract payloads out: units converted, enums as codes, every
published payload valid on its topic."""

from __future__ import annotations

from datetime import date

from services.matching import contract_mapping
from services.matching.domain.engine import MatchingEngine
from services.matching.domain.model import CERTIFICATION_KINDS, Amount
from shared.contract.envelope import decode, encode, wrap
from shared.contract.events import (
    CooperativeRegistered,
    CreditNeedSubmitted,
    EventPayload,
    LoanProductPublished,
    LoanProductWithdrawn,
    MatchRetracted,
    SourcingDemandClosed,
    SourcingDemandPosted,
    SourcingMatchFound,
)
from shared.contract.values import CertificationKind
from shared.topics import LOAN_LEADS, SOURCING_MATCHES

SUBMITTED = date(2026, 3, 1)


def registered(
    cooperative_id: str = "c1", amount: float = 120, unit: str = "tạ"
) -> CooperativeRegistered:
    return CooperativeRegistered.model_validate(
        {
            "cooperative_id": cooperative_id,
            "organisation_id": "org-1",
            "name": "HTX Nông nghiệp hữu cơ Hưng Thủy",
            "kind": "htx",
            "sector": "agriculture",
            "district": "le-thuy",
            "commune": "Hưng Thủy",
            "founded_year": 2015,
            "member_count": 45,
            "annual_revenue_vnd": 4_000_000_000,
            "products": [
                {
                    "product_id": "rice",
                    "name": "Gạo hữu cơ",
                    "monthly_capacity": {"amount": amount, "unit": unit},
                    "certifications": [
                        {"kind": "organic", "expires_on": "2027-12-31"},
                        {"kind": "ocop", "stars": 4, "expires_on": "2027-12-31"},
                    ],
                    "harvest_months": [5, 6, 9, 10],
                }
            ],
        }
    )


def posted() -> SourcingDemandPosted:
    return SourcingDemandPosted.model_validate(
        {
            "demand_id": "d1",
            "business_id": "b1",
            "product": "gao huu co",
            "quantity": {"amount": 10, "unit": "tấn"},
            "recurrence": "monthly",
            "required_certifications": [{"kind": "ocop", "min_stars": 4}],
            "delivery_place": "dong-hoi",
            "delivery_from": "2026-05-01",
            "delivery_until": "2026-06-30",
        }
    )


def published() -> LoanProductPublished:
    return LoanProductPublished(
        loan_product_id="lp1",
        bank_id="bank1",
        name="Vay vốn lưu động",
        amount_min_vnd=100_000_000,
        amount_max_vnd=2_000_000_000,
        max_term_months=36,
        interest_rate_pct_per_year=7.5,
        eligible_kinds=["htx"],
        collateral_required=False,
        purposes=["working_capital"],
    )


def submitted() -> CreditNeedSubmitted:
    return CreditNeedSubmitted(
        credit_need_id="n1",
        cooperative_id="c1",
        amount_vnd=800_000_000,
        purpose="working_capital",
        term_months=12,
        collateral_offered=False,
    )


def test_domain_certification_kinds_are_the_contract_kinds() -> None:
    assert set(CERTIFICATION_KINDS) == {kind.value for kind in CertificationKind}


def test_cooperative_quantities_arrive_in_base_units() -> None:
    cooperative = contract_mapping.cooperative(registered(amount=120, unit="tạ"))
    [product] = cooperative.products
    assert product.monthly_capacity == Amount(12_000.0, "kg")
    assert product.harvest_months == frozenset({5, 6, 9, 10})
    assert {(c.kind, c.stars) for c in product.certificates} == {("organic", None), ("ocop", 4)}
    assert cooperative.kind == "htx"


def test_demand_and_loan_product_map_enums_to_codes() -> None:
    demand = contract_mapping.demand(posted())
    assert demand.quantity == Amount(10_000.0, "kg")
    assert demand.monthly
    assert [(r.kind, r.min_stars) for r in demand.required_certificates] == [("ocop", 4)]
    product = contract_mapping.loan_product(published())
    assert product.eligible_kinds == frozenset({"htx"})
    assert product.purposes == frozenset({"working_capital"})
    assert product.eligible_sectors == frozenset()
    need = contract_mapping.credit_need(submitted(), SUBMITTED)
    assert need.purpose == "working_capital" and need.submitted_on == SUBMITTED


def test_applied_events_produce_valid_payloads_on_the_right_topics() -> None:
    engine = MatchingEngine()
    outputs = []
    for event in (registered(), posted(), published(), submitted()):
        applied = contract_mapping.apply_event(engine, event, SUBMITTED)
        outputs.extend(contract_mapping.delta_events(applied.delta))
    topics = [(topic, type(payload).__name__) for topic, payload in outputs]
    assert topics == [
        (SOURCING_MATCHES.name, "SourcingMatchFound"),
        (LOAN_LEADS.name, "LoanLeadScored"),
    ]
    for topic, payload in outputs:
        raw = encode(topic, wrap(payload, "matching"))
        assert decode(topic, raw).payload == payload
    match = outputs[0][1]
    assert isinstance(match, SourcingMatchFound)
    assert match.components["capacity"] == 1.0
    assert {r.code for r in match.reasons} >= {"product_kind_match", "certificates_held"}


def test_closing_and_withdrawing_publish_retractions_first() -> None:
    engine = MatchingEngine()
    for payload in (registered(), posted(), published(), submitted()):
        contract_mapping.apply_event(engine, payload, SUBMITTED)
    closed = contract_mapping.apply_event(
        engine, SourcingDemandClosed(demand_id="d1", business_id="b1"), SUBMITTED
    )
    withdrawn = contract_mapping.apply_event(
        engine, LoanProductWithdrawn(loan_product_id="lp1", bank_id="bank1"), SUBMITTED
    )
    events = contract_mapping.delta_events(closed.delta + withdrawn.delta)
    retractions = [payload for _, payload in events if isinstance(payload, MatchRetracted)]
    assert [(r.match_kind, r.reason.code) for r in retractions] == [
        ("sourcing", "demand_closed"),
        ("lead", "loan_product_withdrawn"),
    ]
    # Closing the demand also re-scored the lead (its buyer was gone); the withdrawal then
    # retracted it, so the sum publishes the retraction only.
    assert [topic for topic, _ in events] == [SOURCING_MATCHES.name, LOAN_LEADS.name]
    assert [lead.components["buyer"] for lead in closed.delta.leads] == [0.0]


def test_published_payloads_read_back_restore_the_engine() -> None:
    first = MatchingEngine()
    payloads: list[EventPayload] = []
    for event in (registered(), posted()):
        applied = contract_mapping.apply_event(first, event, SUBMITTED)
        payloads.extend(p for _, p in contract_mapping.delta_events(applied.delta))
    restarted = MatchingEngine()
    contract_mapping.apply_event(restarted, registered(), SUBMITTED)
    contract_mapping.apply_event(restarted, posted(), SUBMITTED)
    restarted.restore_published(contract_mapping.published_items(payloads))
    assert not contract_mapping.apply_event(restarted, posted(), SUBMITTED).delta
