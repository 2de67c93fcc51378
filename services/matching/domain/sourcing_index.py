"""The index of product offers that demands are ranked against.

Offers are kept in one shard per taxonomy kind (plus one for offers of no known kind). A
demand is scored only against the shards whose kind can match its own, so a demand for fish
sauce never touches the rice, while a demand of no known kind is scored against all of them.
Within a shard, scoring is the vectorised kernel of ``sourcing``; the best per shard are
found with ``argpartition`` and merged.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from services.matching.domain.groups import MAX_GROUP_SIZE, propose_group
from services.matching.domain.model import Cooperative, Demand
from services.matching.domain.row_table import RowTable, TableView
from services.matching.domain.sourcing import (
    MIN_TEXT,
    DemandRows,
    OfferRows,
    ScoredPairs,
    SourcingScorer,
    text_cosines,
)
from services.matching.domain.taxonomy import BROADER_KIND

OfferKey = tuple[str, str]  # (cooperative_id, product_id)

# Pairs scored per kernel call: bounds the (B, n) temporaries to a few tens of megabytes.
PAIRS_PER_BATCH = 1 << 19
# Candidates kept per shard beyond k, for cooperatives with several offers and for groups.
POOL_MARGIN = 5
# Demands per batch when candidates are found by text first: the fewer, the fewer offers
# similar to at least one of them.
TEXT_FIRST_BATCH = 32


@dataclass(frozen=True, slots=True)
class RankedOffer:
    cooperative_id: str
    product_id: str
    score: float
    capacity: float  # the capacity component, which rankings and groups look at
    # Where its components are: a re-ranking mostly confirms what was published, and reads
    # no components, so they are read out only when asked for.
    _block: _Block
    _row: int
    _column: int

    @property
    def components(self) -> dict[str, float]:
        values = self._block.components[:, self._row, self._column].tolist()
        return dict(zip(self._block.names, values, strict=True))


@dataclass(frozen=True, slots=True)
class Ranking:
    """A demand's best offers, one per cooperative, best first; and, when none of them can
    supply the whole need alone, a group of candidates that together can (else empty)."""

    demand_id: str
    top: tuple[RankedOffer, ...]
    group: tuple[RankedOffer, ...] = ()
    # The largest capacity shares (below 1) among all candidates considered, largest first,
    # at most group_max - 1 of them: what a newcomer would have to complete a group with.
    largest_shares: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class _Block:
    """The best candidates of a batch of demands in one shard: a row per demand that has any,
    ``keep`` columns; a demand's candidates are the finite scores of its row. Scores, shard
    rows and capacities as nested lists, converted once per block: selecting reads each of
    them, and numpy scalars one at a time cost more than the sort. The other components stay
    an array, read for the few candidates that make a match."""

    scores: list[list[float]]  # -inf: no candidate
    rows: list[list[int]]  # shard row of each candidate
    capacity: list[list[float]]
    keys: Sequence[OfferKey]  # the shard's keys, by row
    names: tuple[str, ...]  # component names, in the order of the first axis of components
    components: np.ndarray  # (components, rows, keep) float32


_Pool = list[tuple[_Block, int]]  # the blocks holding a demand's candidates, and its row there


class OfferIndex:
    def __init__(self, scorer: SourcingScorer, group_max: int = MAX_GROUP_SIZE) -> None:
        self.scorer = scorer
        self.group_max = group_max
        self._shards: dict[int, RowTable[OfferKey, OfferRows]] = {}
        self._offers_of: dict[str, list[tuple[int, OfferKey]]] = {}
        self._kinds: dict[OfferKey, str | None] = {}

    def __len__(self) -> int:
        """The number of offers indexed."""
        return sum(len(shard) for shard in self._shards.values())

    def offers_by_kind(self) -> dict[int, int]:
        """Live offers per shard, by taxonomy kind index (the last index: no known kind)."""
        return {kind: len(shard) for kind, shard in self._shards.items()}

    def offer_kind(self, cooperative_id: str, product_id: str) -> str | None:
        """The taxonomy kind the offer was indexed under (None: no known kind)."""
        return self._kinds.get((cooperative_id, product_id))

    def upsert(self, cooperatives: Sequence[Cooperative]) -> OfferRows | None:
        """Index the offers of these cooperatives, replacing what each had before; returns
        their rows, offer by offer in profile order (None if they offer nothing). Many at
        once is much cheaper than one by one: the text is encoded in one call."""
        for cooperative in cooperatives:
            self.remove(cooperative.cooperative_id)
        pairs = [(c, o) for c in cooperatives for o in c.products]
        if not pairs:
            return None
        kinds = [self.scorer.offer_kind(offer) for _, offer in pairs]
        rows = self.scorer.offer_rows(pairs, kinds)
        by_shard: dict[int, list[int]] = defaultdict(list)
        for position, kind in enumerate(kinds):
            by_shard[self.scorer.taxonomy.kind_index(kind)].append(position)
        for shard_kind, positions in by_shard.items():
            keys = [(pairs[p][0].cooperative_id, pairs[p][1].product_id) for p in positions]
            shard = self._shards.setdefault(shard_kind, RowTable(OfferRows.concat))
            shard.add(keys, rows.take(np.array(positions)))
            for key in keys:
                self._offers_of.setdefault(key[0], []).append((shard_kind, key))
        for (cooperative, offer), kind in zip(pairs, kinds, strict=True):
            self._kinds[(cooperative.cooperative_id, offer.product_id)] = kind
        return rows

    def remove(self, cooperative_id: str) -> None:
        for shard_kind, key in self._offers_of.pop(cooperative_id, []):
            self._shards[shard_kind].remove(key)
            self._kinds.pop(key, None)

    def rank(self, demands: Sequence[Demand], k: int) -> list[Ranking]:
        """Top k offers (one per cooperative) for each demand, and group proposals."""
        if not demands:
            return []
        rows = self.scorer.demand_rows(demands)
        pools: list[_Pool] = [[] for _ in demands]
        shard_kinds = list(self._shards)
        compatibility = self.scorer.taxonomy.compatibility
        fits = compatibility[rows.kind[:, None], np.array(shard_kinds)[None, :]]  # (B, shards)
        # Each shard is scored once against all the demands its kind can serve, whatever
        # their kinds: a call costs about the same for one demand as for a hundred. Shards no
        # demand of the batch can use are not looked at (a small batch uses a few of dozens).
        for shard in np.flatnonzero((fits >= 0).any(axis=0)).tolist():
            blocks = [b for b in self._shards[shard_kinds[shard]].blocks() if b.alive.any()]
            if not blocks:
                continue
            fit = fits[:, shard]
            vouched = fit >= BROADER_KIND
            # Offers whose kind does not vouch for them need similar text to be candidates;
            # few have it, so those are found first and only they are scored.
            for by_text, wanted in ((False, vouched), (True, (fit >= 0) & ~vouched)):
                positions = np.flatnonzero(wanted)
                if positions.size == 0:
                    continue
                members = rows if positions.size == rows.size else rows.take(positions)
                for block in blocks:
                    self._gather(members, positions.tolist(), block, k, pools, by_text)
        return [self._select(demand, pool, k) for demand, pool in zip(demands, pools, strict=True)]

    def _gather(
        self,
        members: DemandRows,
        positions: list[int],
        offers: TableView[OfferKey, OfferRows],
        k: int,
        pools: list[_Pool],
        by_text: bool,
    ) -> None:
        """Score demands against one shard in batches; keep each demand's best candidates."""
        n = offers.rows.size
        batch = min(TEXT_FIRST_BATCH, len(positions)) if by_text else PAIRS_PER_BATCH // n
        batch = max(1, batch)
        for start in range(0, len(positions), batch):
            stop = min(start + batch, len(positions))
            whole = start == 0 and stop == len(positions)
            demands = members if whole else members.take(np.arange(start, stop))
            if by_text:
                text = text_cosines(demands.text, offers.rows.text)  # (B, n)
                columns = np.flatnonzero((text >= MIN_TEXT).any(axis=0) & offers.alive)
                if columns.size == 0:
                    continue
                # The cosines of the columns kept are the ones scoring would work out again.
                scored = self.scorer.score(
                    demands, offers.rows.take(columns), np.ascontiguousarray(text[:, columns])
                )
            else:
                columns = np.arange(n)
                scored = self.scorer.score(demands, offers.rows)
                scored.score[:, ~offers.alive] = -np.inf
            self._keep_best(scored, columns, offers.keys, positions[start:stop], k, pools)

    @staticmethod
    def _keep_best(
        scored: ScoredPairs,
        columns: np.ndarray,
        keys: Sequence[OfferKey],
        positions: list[int],
        k: int,
        pools: list[_Pool],
    ) -> None:
        """Add each demand's k + POOL_MARGIN best candidates of a scored block to its pool.
        ``columns`` maps the block's columns to rows of the shard."""
        scores = scored.score
        n = scores.shape[1]
        keep = min(n, k + POOL_MARGIN)
        every_row = np.arange(scores.shape[0])[:, None]
        if keep < n:
            best = np.argpartition(-scores, keep - 1, axis=1)[:, :keep]
            # Offers tied with the last one kept are all kept: which of them argpartition
            # keeps depends on the offers' layout (the order they registered in), and
            # ``_select`` breaks ties by ids.
            cut = scores[every_row, best].min(axis=1)[:, None]
            tied = int(((scores >= cut) & np.isfinite(scores)).sum(axis=1).max())
            if tied > keep:
                keep = tied
                best = (
                    np.argpartition(-scores, keep - 1, axis=1)[:, :keep]
                    if keep < n
                    else np.broadcast_to(np.arange(n), scores.shape)
                )
        else:
            best = np.broadcast_to(np.arange(n), scores.shape)
        found = np.flatnonzero(np.isfinite(scores[every_row, best]).any(axis=1))
        if found.size == 0:
            return
        best = best[found]
        at = (found[:, None], best)  # the kept (row, column) pairs of the demands with any
        components = scored.components
        block = _Block(
            scores[at].tolist(),
            columns[best].tolist(),
            components["capacity"][at].tolist(),
            keys,
            tuple(components),
            np.stack([values[at] for values in components.values()]),
        )
        for row, offset in enumerate(found.tolist()):
            pools[positions[offset]].append((block, row))

    def _select(self, demand: Demand, pool: _Pool, k: int) -> Ranking:
        if not pool:
            return Ranking(demand.demand_id, ())
        # (-score, key, block, row, column): sorted, the best first; ties broken by ids (which
        # are unique), so the order never depends on the row layout.
        candidates: list[tuple[float, OfferKey, _Block, int, int]] = []
        for block, row in pool:
            rows = block.rows[row]
            for column, score in enumerate(block.scores[row]):
                if math.isfinite(score):
                    candidates.append((-score, block.keys[rows[column]], block, row, column))
        candidates.sort()
        chosen: list[RankedOffer] = []  # the best offer of each cooperative, best first
        seen: set[str] = set()
        for minus_score, key, block, row, column in candidates:
            if key[0] not in seen:
                seen.add(key[0])
                capacity = block.capacity[row][column]
                chosen.append(
                    RankedOffer(key[0], key[1], -minus_score, capacity, block, row, column)
                )
        top = chosen[:k]
        group: list[RankedOffer] = []
        shares = [c.capacity for c in chosen]
        if top and max(shares[: len(top)]) < 1.0:
            members = propose_group(np.array(shares), self.group_max)
            group = [chosen[m] for m in members] if members is not None else []
        partial = sorted((x for x in shares if x < 1.0), reverse=True)
        return Ranking(
            demand.demand_id,
            tuple(top),
            tuple(group),
            tuple(partial[: self.group_max - 1]),
        )
