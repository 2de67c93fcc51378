"""Between the event contract and the matching domain: the domain never sees ``shared.contract``;
this module translates both ways.

Inbound, contract payloads become domain records (quantities in base units, enums as codes).
Outbound, a ``MatchDelta`` becomes the events to publish, each with its topic. ``apply_event``,
``route_events`` (inside ``engine.deferred()``) and ``apply_events`` route consumed events to
the engine, so a worker is decode, apply, settle, publish.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.matching.domain import model
from services.matching.domain.engine import MatchingEngine
from services.matching.domain.learning import FeedbackExample
from services.matching.domain.proposals import (
    LoanLead,
    MatchDelta,
    Reason,
    Retraction,
    SourcingMatch,
)
from shared.contract import events as contract
from shared.contract import values
from shared.topics import LOAN_LEADS, SOURCING_MATCHES

# --- inbound --------------------------------------------------------------------------------


def amount(quantity: values.Quantity) -> model.Amount:
    value, unit = quantity.in_base_unit()
    return model.Amount(value, unit)


def certificate(certification: values.Certification) -> model.Certificate:
    return model.Certificate(
        certification.kind.value, certification.expires_on, certification.stars
    )


def product_offer(product: contract.Product) -> model.ProductOffer:
    return model.ProductOffer(
        product_id=product.product_id,
        name=product.name,
        description=product.description,
        monthly_capacity=amount(product.monthly_capacity),
        certificates=tuple(certificate(c) for c in product.certifications),
        harvest_months=frozenset(product.harvest_months),
    )


def cooperative(profile: contract.CooperativeProfile) -> model.Cooperative:
    return model.Cooperative(
        cooperative_id=profile.cooperative_id,
        name=profile.name,
        kind=profile.kind.value,
        sector=profile.sector,
        district=profile.district,
        founded_year=profile.founded_year,
        member_count=profile.member_count,
        annual_revenue_vnd=profile.annual_revenue_vnd,
        products=tuple(product_offer(p) for p in profile.products),
    )


def demand(posted: contract.SourcingDemand) -> model.Demand:
    return model.Demand(
        demand_id=posted.demand_id,
        business_id=posted.business_id,
        product=posted.product,
        description=posted.description,
        quantity=amount(posted.quantity),
        monthly=posted.recurrence is contract.Recurrence.MONTHLY,
        delivery_place=posted.delivery_place,
        delivery_from=posted.delivery_from,
        delivery_until=posted.delivery_until,
        required_certificates=tuple(
            model.RequiredCertificate(r.kind.value, r.min_stars)
            for r in posted.required_certifications
        ),
    )


def credit_need(submitted: contract.CreditNeedSubmitted, submitted_on: date) -> model.CreditNeed:
    """``submitted_on`` is the envelope's ``occurred_at`` date: years operating count to it."""
    return model.CreditNeed(
        credit_need_id=submitted.credit_need_id,
        cooperative_id=submitted.cooperative_id,
        amount_vnd=submitted.amount_vnd,
        purpose=submitted.purpose.value,
        purpose_detail=submitted.purpose_detail,
        term_months=submitted.term_months,
        collateral_offered=submitted.collateral_offered,
        submitted_on=submitted_on,
    )


def loan_product(published: contract.LoanProduct) -> model.LoanProduct:
    return model.LoanProduct(
        loan_product_id=published.loan_product_id,
        bank_id=published.bank_id,
        name=published.name,
        amount_min_vnd=published.amount_min_vnd,
        amount_max_vnd=published.amount_max_vnd,
        max_term_months=published.max_term_months,
        interest_rate_pct_per_year=published.interest_rate_pct_per_year,
        collateral_required=published.collateral_required,
        min_years_operating=published.min_years_operating,
        min_members=published.min_members,
        eligible_sectors=frozenset(published.eligible_sectors),
        eligible_kinds=frozenset(k.value for k in published.eligible_kinds),
        eligible_districts=frozenset(published.eligible_districts),
        purposes=frozenset(p.value for p in published.purposes),
    )


# Plain JSON (files, HTTP bodies) is validated by the contract models before it is mapped.


def parse_cooperative(data: Mapping[str, Any]) -> model.Cooperative:
    return cooperative(contract.CooperativeProfile.model_validate(data))


def parse_demand(data: Mapping[str, Any]) -> model.Demand:
    return demand(contract.SourcingDemand.model_validate(data))


def parse_credit_need(data: Mapping[str, Any], submitted_on: date) -> model.CreditNeed:
    return credit_need(contract.CreditNeedSubmitted.model_validate(data), submitted_on)


def parse_loan_product(data: Mapping[str, Any]) -> model.LoanProduct:
    return loan_product(contract.LoanProduct.model_validate(data))


# --- outbound -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def reason(domain_reason: Reason) -> values.Reason:
    """Validated once per sentence: the same reasons recur across thousands of matches, and
    contract records are immutable, so one instance serves them all."""
    return values.Reason(code=domain_reason.code, en=domain_reason.en, vi=domain_reason.vi)


def match_found(match: SourcingMatch) -> contract.SourcingMatchFound:
    return contract.SourcingMatchFound(
        match_id=match.match_id,
        demand_id=match.demand_id,
        business_id=match.business_id,
        cooperative_id=match.cooperative_id,
        product_id=match.product_id,
        partners=list(match.partners),
        score=match.score,
        components=dict(match.components),
        reasons=[reason(r) for r in match.reasons],
        model_version=match.model_version,
    )


def lead_scored(lead: LoanLead) -> contract.LoanLeadScored:
    return contract.LoanLeadScored(
        lead_id=lead.lead_id,
        credit_need_id=lead.credit_need_id,
        cooperative_id=lead.cooperative_id,
        loan_product_id=lead.loan_product_id,
        bank_id=lead.bank_id,
        score=lead.score,
        components=dict(lead.components),
        reasons=[reason(r) for r in lead.reasons],
        model_version=lead.model_version,
    )


def match_retracted(retraction: Retraction) -> contract.MatchRetracted:
    return contract.MatchRetracted(
        match_id=retraction.match_id,
        match_kind=retraction.match_kind,
        cooperative_id=retraction.cooperative_id,
        demand_id=retraction.demand_id,
        business_id=retraction.business_id,
        bank_id=retraction.bank_id,
        reason=reason(retraction.reason),
    )


def delta_events(delta: MatchDelta) -> list[tuple[str, contract.EventPayload]]:
    """(topic name, payload) for everything to publish, retractions first, so that a reader
    never sees a match's replacement before its retraction."""
    published: list[tuple[str, contract.EventPayload]] = []
    for retraction in delta.retractions:
        topic = SOURCING_MATCHES if retraction.match_kind == "sourcing" else LOAN_LEADS
        published.append((topic.name, match_retracted(retraction)))
    published.extend((SOURCING_MATCHES.name, match_found(m)) for m in delta.matches)
    published.extend((LOAN_LEADS.name, lead_scored(lead)) for lead in delta.leads)
    return published


# --- published events read back, for a restart ----------------------------------------------


def _domain_reason(contract_reason: values.Reason) -> Reason:
    return Reason(contract_reason.code, contract_reason.en, contract_reason.vi)


def published_item(
    payload: contract.EventPayload,
) -> SourcingMatch | LoanLead | Retraction | None:
    """A payload from the output topics as the engine's record (None for anything else)."""
    if isinstance(payload, contract.SourcingMatchFound):
        return SourcingMatch(
            match_id=payload.match_id,
            demand_id=payload.demand_id,
            business_id=payload.business_id,
            cooperative_id=payload.cooperative_id,
            product_id=payload.product_id,
            score=payload.score,
            components=dict(payload.components),
            reasons=tuple(_domain_reason(r) for r in payload.reasons),
            model_version=payload.model_version,
            partners=tuple(payload.partners),
        )
    if isinstance(payload, contract.LoanLeadScored):
        return LoanLead(
            lead_id=payload.lead_id,
            credit_need_id=payload.credit_need_id,
            cooperative_id=payload.cooperative_id,
            loan_product_id=payload.loan_product_id,
            bank_id=payload.bank_id,
            score=payload.score,
            components=dict(payload.components),
            reasons=tuple(_domain_reason(r) for r in payload.reasons),
            model_version=payload.model_version,
        )
    if isinstance(payload, contract.MatchRetracted):
        return Retraction(
            match_id=payload.match_id,
            match_kind=payload.match_kind,
            cooperative_id=payload.cooperative_id,
            reason=_domain_reason(payload.reason),
            demand_id=payload.demand_id,
            business_id=payload.business_id,
            bank_id=payload.bank_id,
        )
    return None


def published_items(
    payloads: Iterable[contract.EventPayload],
) -> list[SourcingMatch | LoanLead | Retraction]:
    return [item for p in payloads if (item := published_item(p)) is not None]


# --- routing consumed events ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying one consumed event gave: events to publish, and feedback to keep."""

    delta: MatchDelta = field(default_factory=MatchDelta)
    feedback: tuple[FeedbackExample, ...] = ()


def apply_event(
    engine: MatchingEngine, payload: contract.EventPayload, occurred_on: date
) -> Applied:
    """Hand a consumed event to the engine. ``occurred_on`` is the envelope's date."""
    match payload:
        case contract.CooperativeRegistered() | contract.CooperativeUpdated():
            return Applied(engine.upsert_cooperative(cooperative(payload)))
        case contract.CreditNeedSubmitted():
            return Applied(engine.upsert_credit_need(credit_need(payload, occurred_on)))
        case contract.SourcingDemandPosted() | contract.SourcingDemandUpdated():
            return Applied(engine.upsert_demand(demand(payload)))
        case contract.SourcingDemandClosed():
            return Applied(engine.close_demand(payload.demand_id))
        case contract.LoanProductPublished() | contract.LoanProductUpdated():
            return Applied(engine.upsert_loan_product(loan_product(payload)))
        case contract.LoanProductWithdrawn():
            return Applied(engine.withdraw_loan_product(payload.loan_product_id))
        case contract.LeadDecisionRecorded():
            result = engine.record_lead_decision(payload.lead_id, payload.decision.value)
            return Applied(result.delta, result.examples)
        case contract.MeetingOutcomeRecorded():
            result = engine.record_meeting_outcome(
                payload.cooperative_id, payload.counterpart_id, payload.outcome.value
            )
            return Applied(result.delta, result.examples)
    return Applied()


_PROFILES = (contract.CooperativeRegistered, contract.CooperativeUpdated)
_DEMANDS = (contract.SourcingDemandPosted, contract.SourcingDemandUpdated)


def route_events(
    engine: MatchingEngine, events: Sequence[tuple[contract.EventPayload, date]]
) -> tuple[FeedbackExample, ...]:
    """Hand consumed events, in order, to an engine that is inside ``deferred()``; returns the
    feedback they carried. Consecutive profiles, and consecutive demands, go to the engine
    together, so the index encodes their texts in one call."""
    feedback: list[FeedbackExample] = []
    profiles: list[contract.CooperativeProfile] = []
    demands: list[contract.SourcingDemand] = []

    def flush() -> None:
        if profiles:
            engine.upsert_cooperatives([cooperative(p) for p in profiles])
        elif demands:
            engine.upsert_demands([demand(d) for d in demands])
        profiles.clear()
        demands.clear()

    for payload, occurred_on in events:
        if isinstance(payload, _PROFILES):
            if demands:
                flush()
            profiles.append(payload)
        elif isinstance(payload, _DEMANDS):
            if profiles:
                flush()
            demands.append(payload)
        else:
            flush()
            feedback.extend(apply_event(engine, payload, occurred_on).feedback)
    flush()
    return tuple(feedback)


def apply_events(
    engine: MatchingEngine, events: Sequence[tuple[contract.EventPayload, date]]
) -> Applied:
    """Several consumed events, in order, as one change: the engine ranks each demand and
    credit need they affect once, and publishes only where the batch ends."""
    with engine.deferred():
        feedback = route_events(engine, events)
    return Applied(engine.settle(), feedback)
