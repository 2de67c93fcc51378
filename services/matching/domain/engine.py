"""The matching engine: keeps cooperatives, demands, credit needs and loan products, and after
each change says which matches and leads to publish and which to retract.

Each method takes one change and returns a ``MatchDelta``. The engine remembers what it has
published, so it publishes a match again only when its score or partners change, and a
replayed event publishes nothing. Match and lead ids are derived from the pair they join.
Ranks are not published: readers rank by score (``SourcingMatch.order``, ``LoanLead.order``).

Changes applied inside ``deferred()`` only note what they leave to rank again; ``settle()``
then ranks each affected demand and credit need once for the whole batch. A worker applies a
poll's records that way: a demand touched by fifty profile updates is ranked once, not fifty
times, and publishes only where the batch ends.

- A new or changed demand is ranked against all offers through the index.
- A new or changed cooperative is scored against all open demands at once; only demands it
  was matched to, or could now enter, are ranked again.
- A closed demand, a withdrawn loan product or a changed profile retracts what it no longer
  supports, with the reason.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from services.matching.domain import ids, sourcing_reasons
from services.matching.domain.eligibility import Applicants, FailedRule, eligible, failed_rules
from services.matching.domain.groups import MAX_GROUP_SIZE
from services.matching.domain.lead_scoring import (
    CONFIRMED_BUYER,
    MATCHED_BUYER,
    CreditRecord,
    lead_components,
    lead_reasons,
)
from services.matching.domain.learning import (
    DECISION_RELEVANCE,
    OUTCOME_RELEVANCE,
    FeedbackExample,
)
from services.matching.domain.model import (
    Amount,
    Cooperative,
    CreditNeed,
    Demand,
    LoanProduct,
    ProductOffer,
)
from services.matching.domain.pair_assessment import PairAssessor
from services.matching.domain.places import place_table
from services.matching.domain.proposals import (
    LoanLead,
    MatchDelta,
    Reason,
    Retraction,
    SourcingMatch,
)
from services.matching.domain.row_table import RowTable
from services.matching.domain.scoring_model import (
    HANDSET_LEAD,
    HANDSET_SOURCING,
    MatchKind,
    ScoringModel,
)
from services.matching.domain.sourcing import DemandRows, OfferRows, SourcingScorer
from services.matching.domain.sourcing_index import (
    PAIRS_PER_BATCH,
    OfferIndex,
    RankedOffer,
    Ranking,
)
from services.matching.domain.taxonomy import Taxonomy, default_taxonomy
from services.matching.domain.text_index import TextEncoder, product_text

TOP_K = 10
# Above this many changed offers (or a quarter of all), ranking every open demand again is
# cheaper than finding the few each offer could enter.
BULK_OFFERS = 256
# Scores are published to 4 decimals, so a replay compares equal to what was published.
DECIMALS = 4
CONFIRMING_OUTCOMES = frozenset({"mou_signed", "contract"})

LOAN_PRODUCT_WITHDRAWN = Reason(
    "loan_product_withdrawn",
    "The bank withdrew the loan product",
    "Ngân hàng đã ngừng sản phẩm vay",
)


@dataclass(frozen=True, slots=True)
class _LeadCandidate:
    lead_id: str
    need: CreditNeed
    product: LoanProduct
    score: float
    components: dict[str, float]
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class _Published:
    """What a published match or lead was scored with, to turn feedback into examples."""

    kind: MatchKind
    query_id: str  # demand id or bank id
    cooperative_id: str
    counterpart_id: str  # business id or bank id
    components: Mapping[str, float]


@dataclass(slots=True)
class _Pending:
    """What changes since the last ``settle`` left to rank again."""

    demands: set[str] = field(default_factory=set)  # opened, changed or closed
    cooperatives: set[str] = field(default_factory=set)  # their matched demands re-rank
    offers: list[OfferRows] = field(default_factory=list)  # changed offers: demands they enter
    needs: set[str] = field(default_factory=set)  # against every loan product
    loan_products: set[str] = field(default_factory=set)  # against every credit need
    banks: set[str] = field(default_factory=set)  # whose candidates changed

    def __bool__(self) -> bool:
        return bool(
            self.demands
            or self.cooperatives
            or self.offers
            or self.needs
            or self.loan_products
            or self.banks
        )


@dataclass(frozen=True, slots=True)
class FeedbackResult:
    examples: tuple[FeedbackExample, ...]
    delta: MatchDelta = field(default_factory=MatchDelta)


@functools.lru_cache(maxsize=1 << 16)
def _round(value: float) -> float:
    # Kept: most components take a few values (kind, certification, season, a full
    # capacity), and rounding a float to decimals is slow.
    return round(value, DECIMALS)


def _published_value(value: float) -> float:
    """A score or component as published: in [0, 1] (NaN and -0.0 as 0.0), to DECIMALS
    decimals."""
    value = float(value)
    return _round(value if 0.0 < value <= 1.0 else min(1.0, max(0.0, value)))


def _rounded(components: Mapping[str, float]) -> dict[str, float]:
    return {name: _published_value(v) for name, v in components.items()}


class MatchingEngine:
    def __init__(
        self,
        *,
        taxonomy: Taxonomy | None = None,
        sourcing_model: ScoringModel = HANDSET_SOURCING,
        lead_model: ScoringModel = HANDSET_LEAD,
        top_k: int = TOP_K,
        group_max: int = MAX_GROUP_SIZE,
    ) -> None:
        taxonomy = taxonomy or default_taxonomy()
        self.top_k = top_k
        self.lead_model = lead_model
        self._scorer = SourcingScorer(
            taxonomy, TextEncoder(taxonomy.corpus()), place_table(), sourcing_model
        )
        self._index = OfferIndex(self._scorer, group_max)
        self._assessor = PairAssessor(self._scorer)
        self._cooperatives: dict[str, Cooperative] = {}
        self._offers: dict[str, dict[str, ProductOffer]] = {}  # cooperative -> product id -> it
        self._demands: dict[str, Demand] = {}
        self._demand_kinds: dict[str, str | None] = {}
        self._demand_table: RowTable[str, DemandRows] = RowTable(DemandRows.concat)
        # demand -> (score, capacity share) with which a new offer could change its ranking
        self._entry: dict[str, tuple[float, float]] = {}
        self._matches: dict[str, dict[str, SourcingMatch]] = {}  # demand -> match id -> match
        self._matched: dict[str, set[tuple[str, str]]] = {}  # cooperative -> (demand, match)
        self._needs: dict[str, CreditNeed] = {}
        self._needs_of: dict[str, set[str]] = {}
        self._products: dict[str, LoanProduct] = {}
        self._candidates: dict[str, dict[str, _LeadCandidate]] = {}  # bank -> lead id -> it
        self._leads: dict[str, dict[str, LoanLead]] = {}  # bank -> lead id -> published
        self._dropped: dict[str, Reason] = {}  # lead id -> why it stopped being a candidate
        self._confirmed: set[str] = set()  # cooperatives with a signed buyer
        # cooperatives with a live match on the output topic, whoever published it: a worker
        # that owns only some demands learns the others' matches from there
        self._matched_anywhere: set[str] = set()
        self._history: dict[str, _Published] = {}
        self._pending = _Pending()
        self._deferring = 0
        # Demands whose delivery ends before this day are closed (``expire_demands``); and a
        # closed one's last day, until its matches are retracted saying so.
        self._expired_before: date | None = None
        self._ended: dict[str, date] = {}

    # --- batches --------------------------------------------------------------------------

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Apply several changes as one: inside, the methods return empty deltas and leave
        the ranking to ``settle()``, which returns what the batch changed."""
        self._deferring += 1
        try:
            yield
        finally:
            self._deferring -= 1

    def settle(self) -> MatchDelta:
        """Rank what the changes since the last settle affect; return what to publish."""
        pending, self._pending = self._pending, _Pending()
        if not pending:
            return MatchDelta()
        demands = set(pending.demands)
        for cooperative_id in pending.cooperatives:
            demands |= {d for d, _ in self._matched.get(cooperative_id, ())}
        if pending.offers:
            demands |= self._demands_entered_by(OfferRows.concat(pending.offers))
        sourcing, flipped = self._refresh_demands(demands)
        # A cooperative that gained its first buyer, or lost its last, is a different lead.
        needs = pending.needs | {n for c in flipped for n in self._needs_of.get(c, ())}
        banks = pending.banks | self._refresh_leads(
            [self._needs[n] for n in sorted(needs) if n in self._needs], self._products.values()
        )
        new_products = [
            self._products[p] for p in sorted(pending.loan_products) if p in self._products
        ]
        banks |= self._refresh_leads(list(self._needs.values()), new_products)
        return sourcing + self._lead_changes(banks)

    def _settled(self) -> MatchDelta:
        return MatchDelta() if self._deferring else self.settle()

    # --- models ---------------------------------------------------------------------------

    @property
    def sourcing_model(self) -> ScoringModel:
        return self._scorer.model

    def use_models(
        self, sourcing: ScoringModel | None = None, lead: ScoringModel | None = None
    ) -> MatchDelta:
        """Score with new models from now on; re-ranks everything and returns the changes."""
        if sourcing is not None:
            if sourcing.kind != "sourcing":
                raise ValueError("not a sourcing model")
            self._scorer = dataclasses.replace(self._scorer, model=sourcing)
            self._index.scorer = self._scorer
            self._assessor = PairAssessor(self._scorer)
        if lead is not None:
            if lead.kind != "lead":
                raise ValueError("not a lead model")
            self.lead_model = lead
        return self.rescore_all()

    def rescore_all(self) -> MatchDelta:
        """Rank every open demand and every credit need again, in batches."""
        self._pending.demands.update(self._demands)
        self._pending.needs.update(self._needs)
        return self._settled()

    # --- cooperatives ---------------------------------------------------------------------

    def upsert_cooperative(self, cooperative: Cooperative) -> MatchDelta:
        return self.upsert_cooperatives([cooperative])

    def upsert_cooperatives(self, cooperatives: Sequence[Cooperative]) -> MatchDelta:
        """Register or replace cooperatives' profiles (the whole profile each time)."""
        latest = list({c.cooperative_id: c for c in cooperatives}.values())
        if not latest:
            return self._settled()
        for cooperative in latest:
            self._cooperatives[cooperative.cooperative_id] = cooperative
            offers = {offer.product_id: offer for offer in cooperative.products}
            self._offers[cooperative.cooperative_id] = offers
            self._pending.cooperatives.add(cooperative.cooperative_id)
            self._pending.needs.update(self._needs_of.get(cooperative.cooperative_id, ()))
        rows = self._index.upsert(latest)
        if rows is not None:
            self._pending.offers.append(rows)
        return self._settled()

    def remove_cooperative(self, cooperative_id: str) -> MatchDelta:
        if self._cooperatives.pop(cooperative_id, None) is None:
            return self._settled()
        self._offers.pop(cooperative_id, None)
        self._index.remove(cooperative_id)
        self._confirmed.discard(cooperative_id)
        self._pending.cooperatives.add(cooperative_id)
        self._pending.needs.update(self._needs_of.get(cooperative_id, ()))
        return self._settled()

    def _demands_entered_by(self, offers: OfferRows) -> set[str]:
        """Open demands whose ranking these offers could change."""
        blocks = self._demand_table.blocks()
        if not blocks:
            return set()
        if offers.size > max(BULK_OFFERS, len(self._index) // 4):
            return set(self._demands)
        entered: set[str] = set()
        for block in blocks:
            # Scored a slice of the offers at a time: (demands, offers) temporaries stay small.
            step = max(1, PAIRS_PER_BATCH // max(1, block.rows.size))
            best = np.full(block.rows.size, -np.inf)
            largest_share = np.zeros(block.rows.size)
            for start in range(0, offers.size, step):
                part = offers.take(np.arange(start, min(start + step, offers.size)))
                scored = self._scorer.score(block.rows, part)
                best = np.maximum(best, scored.score.max(axis=1))
                share = np.where(np.isfinite(scored.score), scored.components["capacity"], 0.0)
                largest_share = np.maximum(largest_share, share.max(axis=1))
            best[~block.alive] = -np.inf
            for row in np.flatnonzero(np.isfinite(best)).tolist():
                demand_id = block.keys[row]
                score, needed_share = self._entry.get(demand_id, (-np.inf, 0.0))
                if best[row] >= score or largest_share[row] >= needed_share:
                    entered.add(demand_id)
        return entered

    # --- demands --------------------------------------------------------------------------

    def upsert_demand(self, demand: Demand) -> MatchDelta:
        return self.upsert_demands([demand])

    def upsert_demands(self, demands: Sequence[Demand]) -> MatchDelta:
        """Post or update demands (the whole demand each time). One whose delivery is over
        (see ``expire_demands``) is closed instead."""
        latest = list({d.demand_id: d for d in demands}.values())
        if self._expired_before is not None:
            for demand in latest:
                if demand.delivery_until < self._expired_before:
                    self._end(demand)
            latest = [d for d in latest if d.delivery_until >= self._expired_before]
        if not latest:
            return self._settled()
        for demand in latest:
            self._demands[demand.demand_id] = demand
            self._demand_kinds[demand.demand_id] = self._scorer.demand_kind(demand)
        rows = self._scorer.demand_rows(latest)
        self._demand_table.add([d.demand_id for d in latest], rows)
        self._pending.demands.update(d.demand_id for d in latest)
        return self._settled()

    def close_demand(self, demand_id: str) -> MatchDelta:
        self._close(demand_id)
        return self._settled()

    def _close(self, demand_id: str) -> None:
        if self._demands.pop(demand_id, None) is None:
            return
        self._demand_kinds.pop(demand_id, None)
        self._demand_table.remove(demand_id)
        self._entry.pop(demand_id, None)
        self._pending.demands.add(demand_id)

    def expire_demands(self, today: date) -> MatchDelta:
        """Close the demands whose delivery ended before ``today``, and from now on any posted
        or updated so: a window that is over matches nobody, and its demand's state is not kept
        for ever. Their matches are retracted, saying when delivery ended."""
        if self._expired_before is None or today > self._expired_before:
            self._expired_before = today
        for demand in list(self._demands.values()):
            if demand.delivery_until < self._expired_before:
                self._end(demand)
        return self._settled()

    def _end(self, demand: Demand) -> None:
        # Kept until the next settle, which retracts any match of it published before (one a
        # restart restores after replaying, say) with this reason, then forgets it.
        self._ended[demand.demand_id] = demand.delivery_until
        self._close(demand.demand_id)
        self._pending.demands.add(demand.demand_id)

    # --- sourcing matches -----------------------------------------------------------------

    def _refresh_demands(self, demand_ids: Iterable[str]) -> tuple[MatchDelta, list[str]]:
        """Rank these demands again and publish the difference; closed ones lose all. Also
        returns the cooperatives that gained their first match or lost their last."""
        wanted = sorted(set(demand_ids))
        open_ids = [d for d in wanted if d in self._demands]
        rankings = self._index.rank([self._demands[d] for d in open_ids], self.top_k)
        proposed: dict[str, dict[str, SourcingMatch]] = {d: {} for d in wanted}
        for ranking in rankings:
            published = self._matches.get(ranking.demand_id, {})
            proposed[ranking.demand_id] = self._matches_from(ranking, published)
            self._entry[ranking.demand_id] = self._how_to_enter(ranking)
        involved = {m.cooperative_id for d in wanted for m in self._matches.get(d, {}).values()}
        involved |= {m.cooperative_id for new in proposed.values() for m in new.values()}
        before = {c for c in involved if self._matched.get(c)}
        found: list[SourcingMatch] = []
        gone: list[SourcingMatch] = []
        for demand_id in wanted:
            old = self._matches.get(demand_id, {})
            new: dict[str, SourcingMatch] = {}
            for match_id, match in proposed[demand_id].items():
                new[match_id] = match
                if match is not old.get(match_id):  # else unchanged: the record as published
                    found.append(match)
            gone.extend(match for match_id, match in old.items() if match_id not in new)
            self._publish_matches(demand_id, old, new)
        retracted = self._retractions(gone)
        for demand_id in wanted:
            self._ended.pop(demand_id, None)  # its retractions said why, if it had matches
        flipped = sorted(c for c in involved if bool(self._matched.get(c)) != (c in before))
        return MatchDelta(tuple(found), (), tuple(retracted)), flipped

    def _how_to_enter(self, ranking: Ranking) -> tuple[float, float]:
        """(score, capacity share) a new offer must reach, either, to change this ranking:
        the score of the last of a full top k (any score while places are free); and, while
        no one fills the demand and no group can, the share that would complete a group with
        the largest suppliers already considered (else more than any share can be)."""
        top = ranking.top
        score = min(o.score for o in top) if len(top) >= self.top_k else -np.inf
        filled = any(o.capacity >= 1.0 for o in top) or bool(ranking.group)
        share = 2.0 if filled else 1.0 - sum(ranking.largest_shares)
        return score, share

    def _publish_matches(
        self, demand_id: str, old: dict[str, SourcingMatch], new: dict[str, SourcingMatch]
    ) -> None:
        for match_id, match in old.items():
            self._matched.get(match.cooperative_id, set()).discard((demand_id, match_id))
        for match_id, match in new.items():
            self._matched.setdefault(match.cooperative_id, set()).add((demand_id, match_id))
            self._history[match_id] = _Published(
                "sourcing", demand_id, match.cooperative_id, match.business_id, match.components
            )
        if new:
            self._matches[demand_id] = new
        else:
            self._matches.pop(demand_id, None)

    def _matches_from(
        self, ranking: Ranking, published: Mapping[str, SourcingMatch]
    ) -> dict[str, SourcingMatch]:
        """The ranking as match records: the published record where nothing a reader sees
        changed (most of a re-ranking), else a new one with its reasons. Reasons are written
        only for those: the sentences cost more than the scores."""
        demand = self._demands[ranking.demand_id]
        version = self._scorer.model.version
        entries: dict[str, RankedOffer] = {o.cooperative_id: o for o in ranking.top}
        group = [o.cooperative_id for o in ranking.group]
        for offer in ranking.group:
            entries.setdefault(offer.cooperative_id, offer)
        wording: sourcing_reasons.DemandReasons | None = None  # written when first needed
        matches: dict[str, SourcingMatch] = {}
        for offer in entries.values():
            partners = (
                tuple(sorted(c for c in group if c != offer.cooperative_id))
                if offer.cooperative_id in group
                else ()
            )
            match_id = ids.sourcing_match_id(
                demand.demand_id, offer.cooperative_id, offer.product_id
            )
            score = _published_value(offer.score)
            before = published.get(match_id)
            if (
                before is not None
                and before.score == score
                and before.partners == partners
                and before.model_version == version
            ):
                matches[match_id] = before
                continue
            wording = wording or sourcing_reasons.DemandReasons(demand)
            components = _rounded(offer.components)
            matches[match_id] = SourcingMatch(
                match_id=match_id,
                demand_id=demand.demand_id,
                business_id=demand.business_id,
                cooperative_id=offer.cooperative_id,
                product_id=offer.product_id,
                score=score,
                components=components,
                reasons=self._reasons(wording, offer, components["text"], partners, entries),
                model_version=version,
                partners=partners,
            )
        return matches

    def _offer(self, cooperative_id: str, product_id: str) -> ProductOffer:
        return self._offers[cooperative_id][product_id]

    def _reasons(
        self,
        wording: sourcing_reasons.DemandReasons,
        offer: RankedOffer,
        text: float,
        partners: tuple[str, ...],
        entries: Mapping[str, RankedOffer],
    ) -> tuple[Reason, ...]:
        """A match's reasons; ``entries``: the demand's proposal, whose group members'
        capacities make the group's reason when the match is in one."""
        product = self._offer(offer.cooperative_id, offer.product_id)
        reasons: tuple[Reason, ...] = (
            sourcing_reasons.product_fit(
                self._scorer.taxonomy,
                self._demand_kinds[wording.demand.demand_id],
                self._index.offer_kind(offer.cooperative_id, offer.product_id),
                text,
            ),
            wording.capacity(product),
            wording.certification(product),
            wording.place(self._cooperatives[offer.cooperative_id].district),
            wording.season(product),
        )
        if partners:
            together = sum(
                self._offer(o.cooperative_id, o.product_id).monthly_capacity.value
                for o in entries.values()
                if o.cooperative_id == offer.cooperative_id or o.cooperative_id in partners
            )
            amount = Amount(together, wording.demand.quantity.unit)
            reasons += (wording.group(len(partners), amount),)
        return reasons

    def _retractions(self, gone: Sequence[SourcingMatch]) -> list[Retraction]:
        """Retractions of matches no longer proposed, each with its reason; the texts their
        reasons compare are encoded together first."""
        texts = []
        for match in gone:
            demand = self._demands.get(match.demand_id)
            if demand is not None:
                texts.append(product_text(demand.product, demand.description))
            offer = self._offers.get(match.cooperative_id, {}).get(match.product_id)
            if offer is not None:
                texts.append(product_text(offer.name, offer.description))
        self._assessor.encode(texts)
        return [self._retraction(match) for match in gone]

    def _retraction(self, match: SourcingMatch) -> Retraction:
        return Retraction(
            match_id=match.match_id,
            match_kind="sourcing",
            cooperative_id=match.cooperative_id,
            reason=self.why_not_matched(match.demand_id, match.cooperative_id, match.product_id),
            demand_id=match.demand_id,
            business_id=match.business_id,
        )

    def why_not_matched(self, demand_id: str, cooperative_id: str, product_id: str) -> Reason:
        """The main reason an offer is not (or no longer) among a demand's matches."""
        demand = self._demands.get(demand_id)
        if demand is None:
            ended = self._ended.get(demand_id)
            if ended is None:
                return sourcing_reasons.DEMAND_CLOSED
            return sourcing_reasons.delivery_over(ended)
        cooperative = self._cooperatives.get(cooperative_id)
        if cooperative is None:
            return sourcing_reasons.COOPERATIVE_REMOVED
        offer = next((p for p in cooperative.products if p.product_id == product_id), None)
        if offer is None:
            return sourcing_reasons.PRODUCT_REMOVED
        assessment = self._assessor.assess(
            self._assessor.prepare_demand(demand), self._assessor.prepare_offer(cooperative, offer)
        )
        if assessment.exclusions:
            return assessment.exclusions[0]
        if not assessment.candidate:
            return sourcing_reasons.not_similar(assessment.components["text"])
        return sourcing_reasons.OUTRANKED

    def exclusions(self, demand_id: str, cooperative_id: str) -> dict[str, tuple[Reason, ...]]:
        """For each product of the cooperative, the hard rules it breaks for the demand."""
        demand, cooperative = self._demands[demand_id], self._cooperatives[cooperative_id]
        prepared = self._assessor.prepare_demand(demand)
        return {
            offer.product_id: tuple(
                self._assessor.exclusions(
                    prepared, self._assessor.prepare_offer(cooperative, offer)
                )
            )
            for offer in cooperative.products
        }

    def pair_score(self, demand_id: str, cooperative_id: str, product_id: str) -> float | None:
        """The score the demand gives this offer; None when no open demand, no such offer, or a
        hard rule or too unlike a text keeps it out."""
        demand, cooperative = self._demands.get(demand_id), self._cooperatives.get(cooperative_id)
        offer = self._offers.get(cooperative_id, {}).get(product_id)
        if demand is None or cooperative is None or offer is None:
            return None
        assessment = self._assessor.assess(
            self._assessor.prepare_demand(demand), self._assessor.prepare_offer(cooperative, offer)
        )
        return assessment.score if assessment.candidate else None

    def demand(self, demand_id: str) -> Demand | None:
        """The open demand, None when closed or unknown."""
        return self._demands.get(demand_id)

    def cooperative(self, cooperative_id: str) -> Cooperative | None:
        return self._cooperatives.get(cooperative_id)

    def matches_for(self, demand_id: str) -> list[SourcingMatch]:
        """The demand's published matches, best first."""
        return sorted(self._matches.get(demand_id, {}).values(), key=lambda m: m.order)

    # --- credit needs and loan products ---------------------------------------------------

    def upsert_credit_need(self, need: CreditNeed) -> MatchDelta:
        previous = self._needs.get(need.credit_need_id)
        if previous is not None and previous.cooperative_id != need.cooperative_id:
            self._needs_of.get(previous.cooperative_id, set()).discard(need.credit_need_id)
        self._needs[need.credit_need_id] = need
        self._needs_of.setdefault(need.cooperative_id, set()).add(need.credit_need_id)
        self._pending.needs.add(need.credit_need_id)
        return self._settled()

    def upsert_loan_product(self, product: LoanProduct) -> MatchDelta:
        previous = self._products.get(product.loan_product_id)
        if previous is not None and previous.bank_id != product.bank_id:
            self._withdraw(product.loan_product_id)
        self._products[product.loan_product_id] = product
        self._pending.loan_products.add(product.loan_product_id)
        return self._settled()

    def withdraw_loan_product(self, loan_product_id: str) -> MatchDelta:
        self._withdraw(loan_product_id)
        return self._settled()

    def _withdraw(self, loan_product_id: str) -> None:
        product = self._products.pop(loan_product_id, None)
        if product is None:
            return
        candidates = self._candidates.get(product.bank_id, {})
        for lead_id, candidate in list(candidates.items()):
            if candidate.product.loan_product_id == loan_product_id:
                del candidates[lead_id]
                self._dropped[lead_id] = LOAN_PRODUCT_WITHDRAWN
        self._pending.banks.add(product.bank_id)

    def _buyer(self, cooperative_id: str) -> float:
        if cooperative_id in self._confirmed:
            return CONFIRMED_BUYER
        matched = self._matched.get(cooperative_id) or cooperative_id in self._matched_anywhere
        return MATCHED_BUYER if matched else 0.0

    def _refresh_leads(
        self, needs: Sequence[CreditNeed], products: Iterable[LoanProduct]
    ) -> set[str]:
        """Re-check these needs against these products; returns the banks whose candidates
        this touched."""
        products = list(products)
        if not needs or not products:
            return set()
        banks: set[str] = set()
        records = [
            CreditRecord(n, self._cooperatives[n.cooperative_id], self._buyer(n.cooperative_id))
            for n in needs
            if n.cooperative_id in self._cooperatives
        ]
        for need in needs:
            if need.cooperative_id not in self._cooperatives:
                for product in products:
                    banks |= self._drop_lead(need, product, sourcing_reasons.COOPERATIVE_REMOVED)
        if records:
            components = lead_components(records)
            scores = self.lead_model.combine(components).tolist()
            applicants = Applicants.of([(r.need, r.cooperative) for r in records])
            reasons = [lead_reasons(r) for r in records]
            for product in products:
                ok = eligible(applicants, product).tolist()
                for row, record in enumerate(records):
                    if not ok[row]:
                        first = failed_rules(record.need, record.cooperative, product)[0]
                        banks |= self._drop_lead(record.need, product, first.reason)
                        continue
                    lead_id = ids.lead_id(record.need.credit_need_id, product.loan_product_id)
                    self._dropped.pop(lead_id, None)  # a candidate again, whatever ended it
                    self._candidates.setdefault(product.bank_id, {})[lead_id] = _LeadCandidate(
                        lead_id=lead_id,
                        need=record.need,
                        product=product,
                        score=float(scores[row]),
                        components={n: float(v[row]) for n, v in components.items()},
                        reasons=reasons[row],
                    )
                    banks.add(product.bank_id)
        return banks

    def _drop_lead(self, need: CreditNeed, product: LoanProduct, reason: Reason) -> set[str]:
        lead_id = ids.lead_id(need.credit_need_id, product.loan_product_id)
        if self._candidates.get(product.bank_id, {}).pop(lead_id, None) is None:
            return set()
        self._dropped[lead_id] = reason
        return {product.bank_id}

    def _lead_changes(self, banks: Iterable[str]) -> MatchDelta:
        """The banks' leads against what was published: new and re-scored ones to publish,
        gone ones to retract. Ranks are the readers' (by score), so only changes go out."""
        found: list[LoanLead] = []
        retracted: list[Retraction] = []
        version = self.lead_model.version
        for bank_id in sorted(banks):
            candidates = self._candidates.get(bank_id, {})
            old = self._leads.get(bank_id, {})
            new: dict[str, LoanLead] = {}
            for lead_id, candidate in sorted(candidates.items()):
                score = round(min(1.0, max(0.0, candidate.score)), DECIMALS)
                published = old.get(lead_id)
                if published is not None and (published.score, published.model_version) == (
                    score,
                    version,
                ):
                    new[lead_id] = published
                    continue
                new[lead_id] = lead = LoanLead(
                    lead_id=lead_id,
                    credit_need_id=candidate.need.credit_need_id,
                    cooperative_id=candidate.need.cooperative_id,
                    loan_product_id=candidate.product.loan_product_id,
                    bank_id=bank_id,
                    score=score,
                    components=_rounded(candidate.components),
                    reasons=candidate.reasons,
                    model_version=version,
                )
                found.append(lead)
                self._history[lead_id] = _Published(
                    "lead", bank_id, lead.cooperative_id, bank_id, lead.components
                )
            for lead_id, lead in old.items():
                if lead_id not in new:
                    retracted.append(
                        Retraction(
                            match_id=lead_id,
                            match_kind="lead",
                            cooperative_id=lead.cooperative_id,
                            reason=self._dropped.pop(lead_id)
                            if lead_id in self._dropped
                            else self._why_not_lead(lead),
                            bank_id=bank_id,
                        )
                    )
            if new:
                self._leads[bank_id] = new
            else:
                self._leads.pop(bank_id, None)
        return MatchDelta((), tuple(found), tuple(retracted))

    def _why_not_lead(self, lead: LoanLead) -> Reason:
        """Why a published lead is no longer one, when no change on the way said so (a lead
        restored from the output topic and found stale by ``reconcile``)."""
        product = self._products.get(lead.loan_product_id)
        if product is None:
            return LOAN_PRODUCT_WITHDRAWN
        need = self._needs.get(lead.credit_need_id)
        cooperative = self._cooperatives.get(lead.cooperative_id)
        if need is None or cooperative is None:
            return sourcing_reasons.COOPERATIVE_REMOVED
        failures = failed_rules(need, cooperative, product)
        return failures[0].reason if failures else LOAN_PRODUCT_WITHDRAWN

    def leads_for(self, bank_id: str) -> list[LoanLead]:
        """The bank's published leads, best first."""
        return sorted(self._leads.get(bank_id, {}).values(), key=lambda lead: lead.order)

    def explain_credit_need(self, credit_need_id: str) -> dict[str, list[FailedRule]]:
        """For each loan product, the rules the need breaks (empty list: eligible)."""
        need = self._needs[credit_need_id]
        cooperative = self._cooperatives[need.cooperative_id]
        return {
            product_id: failed_rules(need, cooperative, product)
            for product_id, product in sorted(self._products.items())
        }

    # --- feedback -------------------------------------------------------------------------

    def record_lead_decision(self, lead_id: str, decision: str) -> FeedbackResult:
        """A bank accepted or rejected a lead: one feedback example (none for an unknown lead)."""
        published = self._history.get(lead_id)
        if published is None or published.kind != "lead":
            return FeedbackResult(())
        example = FeedbackExample(
            "lead", published.query_id, lead_id, published.components, DECISION_RELEVANCE[decision]
        )
        return FeedbackResult((example,))

    def record_meeting_outcome(
        self, cooperative_id: str, counterpart_id: str, outcome: str
    ) -> FeedbackResult:
        """A meeting between a cooperative and a business or bank: an example for each match or
        lead between them; a signed deal with a business also makes the cooperative's credit
        needs better leads (a buyer is waiting)."""
        relevance = OUTCOME_RELEVANCE[outcome]
        examples = tuple(
            FeedbackExample(p.kind, p.query_id, item_id, p.components, relevance)
            for item_id, p in sorted(self._history.items())
            if p.cooperative_id == cooperative_id and p.counterpart_id == counterpart_id
        )
        is_bank = any(p.bank_id == counterpart_id for p in self._products.values())
        if outcome in CONFIRMING_OUTCOMES and not is_bank and cooperative_id not in self._confirmed:
            self._confirmed.add(cooperative_id)
            self._pending.needs.update(self._needs_of.get(cooperative_id, ()))
        return FeedbackResult(examples, self._settled())

    # --- several workers ------------------------------------------------------------------

    def note_published_match(self, cooperative_id: str, matched: bool) -> MatchDelta:
        """Whether the cooperative has a live sourcing match on the output topic, whoever
        published it. A worker that owns only some demands does not see the others' matches,
        yet a match anywhere makes the cooperative's credit needs better leads."""
        before = self._buyer(cooperative_id)
        if matched:
            self._matched_anywhere.add(cooperative_id)
        else:
            self._matched_anywhere.discard(cooperative_id)
        if self._buyer(cooperative_id) != before:
            self._pending.needs.update(self._needs_of.get(cooperative_id, ()))
        return self._settled()

    # --- restart --------------------------------------------------------------------------

    def restore_published(self, items: Iterable[SourcingMatch | LoanLead | Retraction]) -> None:
        """Make what the engine believes published equal to what really was.

        After a restart, the worker first feeds the engine the input events it had committed
        (discarding the deltas), then hands it its own output topics, in order, here. Events
        processed again after that publish only what had not made it out before the crash.
        """
        self._matches.clear()
        self._matched.clear()
        self._leads.clear()
        for item in items:
            if isinstance(item, SourcingMatch):
                old = self._matches.get(item.demand_id, {})
                self._publish_matches(item.demand_id, old, {**old, item.match_id: item})
            elif isinstance(item, LoanLead):
                self._leads.setdefault(item.bank_id, {})[item.lead_id] = item
                self._history[item.lead_id] = _Published(
                    "lead", item.bank_id, item.cooperative_id, item.bank_id, item.components
                )
            elif item.match_kind == "sourcing" and item.demand_id is not None:
                old = self._matches.get(item.demand_id, {})
                rest = {k: v for k, v in old.items() if k != item.match_id}
                self._publish_matches(item.demand_id, old, rest)
            elif item.bank_id is not None:
                self._leads.get(item.bank_id, {}).pop(item.match_id, None)

    def reconcile(self) -> MatchDelta:
        """What the current state proposes, against what ``restore_published`` said is out:
        new and changed matches and leads, and retractions of published ones that no longer
        hold (a closed demand's, say). After a restart that replayed every input to its end,
        this publishes exactly what never made it out, whichever input it came from."""
        self._pending.demands.update(set(self._demands) | set(self._matches))
        self._pending.needs.update(self._needs)
        self._pending.banks.update(set(self._leads) | set(self._candidates))
        return self.settle()
