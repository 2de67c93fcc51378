"""Every Kafka topic of the system, named once, with the event types each may carry.

A topic's name ends in its contract version: a breaking change gets a new topic, so old and
new consumers can run side by side while producers move over.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# Inputs are kept for ever: a scoring worker rebuilds its state by reading them from the start.
KEEP_FOREVER = {"retention.ms": "-1"}
# Outputs keep the latest event per match or lead id (found, rescored or retracted).
LATEST_PER_KEY = {"cleanup.policy": "compact"}


@dataclass(frozen=True)
class Topic:
    name: str
    event_types: frozenset[str]
    description: str
    # Events of one key (one cooperative, one demand...) must stay in order: they share a key.
    keyed_by: str
    config: Mapping[str, str] = field(default_factory=dict)


COOPERATIVES = Topic(
    name="ketnoi.cooperatives.v1",
    event_types=frozenset({"CooperativeRegistered", "CooperativeUpdated", "CreditNeedSubmitted"}),
    description="Cooperative profiles and their credit needs",
    keyed_by="cooperative_id",
    config=KEEP_FOREVER,
)
DEMANDS = Topic(
    name="ketnoi.demands.v1",
    event_types=frozenset(
        {"SourcingDemandPosted", "SourcingDemandUpdated", "SourcingDemandClosed"}
    ),
    description="Enterprises' sourcing demands",
    keyed_by="demand_id",
    config=KEEP_FOREVER,
)
LOAN_PRODUCTS = Topic(
    name="ketnoi.loan-products.v1",
    event_types=frozenset({"LoanProductPublished", "LoanProductUpdated", "LoanProductWithdrawn"}),
    description="Banks' and credit funds' loan products",
    keyed_by="loan_product_id",
    config=KEEP_FOREVER,
)
SOURCING_MATCHES = Topic(
    name="ketnoi.sourcing-matches.v1",
    event_types=frozenset({"SourcingMatchFound", "MatchRetracted"}),
    description="Cooperatives proposed to demands by the scoring service",
    keyed_by="match_id",
    config=LATEST_PER_KEY,
)
LOAN_LEADS = Topic(
    name="ketnoi.loan-leads.v1",
    event_types=frozenset({"LoanLeadScored", "MatchRetracted"}),
    description="Ranked loan leads for banks, from the scoring service",
    keyed_by="lead_id",
    config=LATEST_PER_KEY,
)
FEEDBACK = Topic(
    name="ketnoi.feedback.v1",
    event_types=frozenset({"LeadDecisionRecorded", "MeetingOutcomeRecorded"}),
    description="Banks' decisions on leads and conference meeting outcomes, for learning",
    keyed_by="cooperative_id",
    config=KEEP_FOREVER,
)
CONFERENCES = Topic(
    name="ketnoi.conferences.v1",
    event_types=frozenset({"ConferenceScheduled"}),
    description="Linkage conference schedules, one event per revision",
    keyed_by="conference_id",
    # A whole schedule of a few thousand meetings passes Kafka's default 1 MB record limit.
    config={"max.message.bytes": str(8 * 1024 * 1024), "retention.ms": "-1"},
)
SMOKE_PINGS = Topic(
    name="ketnoi.smoke-pings.v1",
    event_types=frozenset({"SmokePing"}),
    description="Pings for the smoke check that proves the broker and a stream worker work",
    keyed_by="ping_id",
    config={"retention.ms": str(24 * 3600 * 1000)},
)
SMOKE_PONGS = Topic(
    name="ketnoi.smoke-pongs.v1",
    event_types=frozenset({"SmokePong"}),
    description="Answers of the smoke worker",
    keyed_by="ping_id",
    config={"retention.ms": str(24 * 3600 * 1000)},
)
DEAD_LETTER = Topic(
    name="ketnoi.dead-letter.v1",
    event_types=frozenset(),  # carries DeadLetter records, not events
    description="Records a consumer could not process, with the error, for an operator to read",
    keyed_by="original key",
    config={"retention.ms": str(90 * 24 * 3600 * 1000)},
)

ALL_TOPICS: tuple[Topic, ...] = (
    COOPERATIVES,
    DEMANDS,
    LOAN_PRODUCTS,
    SOURCING_MATCHES,
    LOAN_LEADS,
    FEEDBACK,
    CONFERENCES,
    SMOKE_PINGS,
    SMOKE_PONGS,
    DEAD_LETTER,
)

BY_NAME: dict[str, Topic] = {topic.name: topic for topic in ALL_TOPICS}
