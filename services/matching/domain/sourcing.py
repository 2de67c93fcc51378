"""Scoring demands against product offers, many pairs at once over numpy arrays.

Offers and demands are laid out as columns (one array per attribute, one row per offer or
demand); the kernel scores a block of B demands against n offers as (B, n) arrays. The
components, each in [0, 1]:

- text: cosine of the TF-IDF vectors of folded text;
- kind: how the taxonomy kinds relate (same 1, offer broader 0.6, unknown 0.5; different kinds
  exclude the pair);
- capacity: monthly capacity over the monthly need, capped at 1, in the same base unit;
- certification: 1 when requirements are met (an unmet one excludes the pair); without
  requirements 1 for a certified product and 0.5 for an uncertified one;
- place: proximity of the cooperative's district to the delivery place;
- season: share of the delivery months in the product's harvest months.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import sparse

from services.matching.domain.model import (
    CERTIFICATION_KINDS,
    Cooperative,
    Demand,
    ProductOffer,
    RequiredCertificate,
)
from services.matching.domain.places import PlaceTable
from services.matching.domain.scoring_model import ScoringModel
from services.matching.domain.taxonomy import BROADER_KIND, Taxonomy
from services.matching.domain.text_index import TextEncoder, product_text
from shared import reference

# Below this cosine, text alone does not make an offer a candidate; a matching kind does.
MIN_TEXT = 0.3
# Up to this many demands, text cosines are one sparse product per demand (``text_cosines``).
FEW_DEMANDS = 4
ALL_YEAR = 0xFFF
NO_EXPIRY = 0  # an ordinal date before any real one: "does not hold this certificate"

OCOP_LEVELS = (3, 4, 5)
CERTIFICATE_COLUMNS: tuple[str, ...] = tuple(
    kind for kind in CERTIFICATION_KINDS if kind != "ocop"
) + tuple(f"ocop{stars}" for stars in OCOP_LEVELS)
"""Columns of the expiry table: one per kind, and OCOP split by the stars it at least has, so
that "OCOP 4 stars" is a column like any other."""

NEED_FLOOR = np.float32(1e-6)  # base units (kg, l, piece) a month


def certificate_column(required: RequiredCertificate) -> int:
    if required.kind == "ocop":
        return CERTIFICATE_COLUMNS.index(f"ocop{required.min_stars or OCOP_LEVELS[0]}")
    return CERTIFICATE_COLUMNS.index(required.kind)


@cache
def base_units() -> tuple[str, ...]:
    return tuple(sorted({info.base for info in reference.units().values()}))


def month_mask(months: Sequence[int] | frozenset[int]) -> int:
    """Months 1-12 as bits 0-11; no months means all year."""
    mask = 0
    for month in months:
        mask |= 1 << (month - 1)
    return mask or ALL_YEAR


def take_rows(matrix: sparse.csr_matrix, rows: np.ndarray) -> sparse.csr_matrix:
    """``matrix[rows]`` for row indices, built from the CSR arrays: scipy's fancy indexing
    costs tens of microseconds a call, which a round of small batches pays many times."""
    starts = matrix.indptr[rows]
    lengths = matrix.indptr[rows + 1] - starts
    indptr = np.zeros(rows.shape[0] + 1, dtype=matrix.indptr.dtype)
    np.cumsum(lengths, out=indptr[1:])
    at = np.repeat(starts - indptr[:-1], lengths) + np.arange(indptr[-1])
    return sparse.csr_matrix(
        (matrix.data[at], matrix.indices[at], indptr), shape=(rows.shape[0], matrix.shape[1])
    )


def _row_indices(rows: np.ndarray) -> np.ndarray:
    return np.flatnonzero(rows) if rows.dtype == bool else rows


def harvest_calendars(harvest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct harvest calendars among offers, and each offer's calendar among them."""
    calendars, which = np.unique(harvest, return_inverse=True)
    return calendars, which.reshape(-1)


@dataclass(frozen=True, slots=True)
class OfferRows:
    """n product offers as columns."""

    text: sparse.csr_matrix  # (n, F) float32, unit rows
    kind: np.ndarray  # (n,) int32 taxonomy kind index; K = unknown
    capacity: np.ndarray  # (n,) float32, per month, base unit
    unit: np.ndarray  # (n,) int16 index into base_units()
    district: np.ndarray  # (n,) int16 place index
    harvest: np.ndarray  # (n,) uint16 month bits
    expiry: np.ndarray  # (n, len(CERTIFICATE_COLUMNS)) int32 date ordinals, NO_EXPIRY if none
    best_expiry: np.ndarray  # (n,) int32, latest expiry of any certificate
    # Offers share few harvest calendars (``harvest_calendars``): seasons are worked out per
    # calendar, and found once per block rather than on every scoring call.
    calendars: np.ndarray  # (U,) uint16, distinct (a subset taken keeps its parent's)
    calendar: np.ndarray  # (n,) index into calendars

    @property
    def size(self) -> int:
        return int(self.kind.shape[0])

    @staticmethod
    def concat(parts: Sequence[OfferRows]) -> OfferRows:
        harvest = np.concatenate([part.harvest for part in parts])
        calendars, calendar = harvest_calendars(harvest)
        return OfferRows(
            text=sparse.vstack([part.text for part in parts], format="csr", dtype=np.float32),
            kind=np.concatenate([part.kind for part in parts]),
            capacity=np.concatenate([part.capacity for part in parts]),
            unit=np.concatenate([part.unit for part in parts]),
            district=np.concatenate([part.district for part in parts]),
            harvest=harvest,
            expiry=np.concatenate([part.expiry for part in parts]),
            best_expiry=np.concatenate([part.best_expiry for part in parts]),
            calendars=calendars,
            calendar=calendar,
        )

    def take(self, rows: np.ndarray) -> OfferRows:
        """The offers at the given row indices (or boolean mask), shape (m,)."""
        rows = _row_indices(rows)
        return OfferRows(
            text=take_rows(self.text, rows),
            kind=self.kind[rows],
            capacity=self.capacity[rows],
            unit=self.unit[rows],
            district=self.district[rows],
            harvest=self.harvest[rows],
            expiry=self.expiry[rows],
            best_expiry=self.best_expiry[rows],
            calendars=self.calendars,
            calendar=self.calendar[rows],
        )


@dataclass(frozen=True, slots=True)
class DemandRows:
    """B demands as columns."""

    text: sparse.csr_matrix  # (B, F) float32, unit rows
    kind: np.ndarray  # (B,) int32
    need: np.ndarray  # (B,) float32, per month, base unit
    unit: np.ndarray  # (B,) int16
    place: np.ndarray  # (B,) int16
    window: np.ndarray  # (B,) uint16 month bits of the delivery window
    required: np.ndarray  # (B, len(CERTIFICATE_COLUMNS)) bool
    until: np.ndarray  # (B,) int32 date ordinal of the end of delivery

    @property
    def size(self) -> int:
        return int(self.kind.shape[0])

    @staticmethod
    def concat(parts: Sequence[DemandRows]) -> DemandRows:
        return DemandRows(
            text=sparse.vstack([part.text for part in parts], format="csr", dtype=np.float32),
            kind=np.concatenate([part.kind for part in parts]),
            need=np.concatenate([part.need for part in parts]),
            unit=np.concatenate([part.unit for part in parts]),
            place=np.concatenate([part.place for part in parts]),
            window=np.concatenate([part.window for part in parts]),
            required=np.concatenate([part.required for part in parts]),
            until=np.concatenate([part.until for part in parts]),
        )

    def take(self, rows: np.ndarray) -> DemandRows:
        """The demands at the given row indices (or boolean mask)."""
        rows = _row_indices(rows)
        return DemandRows(
            text=take_rows(self.text, rows),
            kind=self.kind[rows],
            need=self.need[rows],
            unit=self.unit[rows],
            place=self.place[rows],
            window=self.window[rows],
            required=self.required[rows],
            until=self.until[rows],
        )


@dataclass(frozen=True)
class SourcingScorer:
    """Everything scoring needs besides the rows: taxonomy, text encoder, places, weights."""

    taxonomy: Taxonomy
    encoder: TextEncoder
    places: PlaceTable
    model: ScoringModel

    def offer_kind(self, offer: ProductOffer) -> str | None:
        return self.taxonomy.classify_product(offer.name, offer.description)

    def demand_kind(self, demand: Demand) -> str | None:
        return self.taxonomy.classify_product(demand.product, demand.description)

    def offer_rows(
        self, offers: Sequence[tuple[Cooperative, ProductOffer]], kinds: Sequence[str | None]
    ) -> OfferRows:
        """Columns for the given (cooperative, offer) pairs whose kinds are already known."""
        n = len(offers)
        units = base_units()
        expiry = np.full((n, len(CERTIFICATE_COLUMNS)), NO_EXPIRY, dtype=np.int32)
        for row, (_, offer) in enumerate(offers):
            for certificate in offer.certificates:
                day = certificate.expires_on.toordinal()
                if certificate.kind == "ocop":
                    for stars in OCOP_LEVELS:
                        if (certificate.stars or 0) >= stars:
                            column = CERTIFICATE_COLUMNS.index(f"ocop{stars}")
                            expiry[row, column] = max(expiry[row, column], day)
                else:
                    column = CERTIFICATE_COLUMNS.index(certificate.kind)
                    expiry[row, column] = max(expiry[row, column], day)
        harvest = np.array([month_mask(o.harvest_months) for _, o in offers], np.uint16)
        return OfferRows(
            self.encoder.encode([product_text(o.name, o.description) for _, o in offers]),
            np.array([self.taxonomy.kind_index(k) for k in kinds], dtype=np.int32),
            np.array([o.monthly_capacity.value for _, o in offers], dtype=np.float32),
            np.array([units.index(o.monthly_capacity.unit) for _, o in offers], np.int16),
            np.array([self.places.index[c.district] for c, _ in offers], np.int16),
            harvest,
            expiry,
            expiry.max(axis=1, initial=NO_EXPIRY),
            *harvest_calendars(harvest),
        )

    def demand_rows(self, demands: Sequence[Demand]) -> DemandRows:
        units = base_units()
        required = np.zeros((len(demands), len(CERTIFICATE_COLUMNS)), dtype=bool)
        for row, demand in enumerate(demands):
            for requirement in demand.required_certificates:
                required[row, certificate_column(requirement)] = True
        return DemandRows(
            text=self.encoder.encode([product_text(d.product, d.description) for d in demands]),
            kind=np.array(
                [self.taxonomy.kind_index(self.demand_kind(d)) for d in demands], dtype=np.int32
            ),
            # Floored at a millionth of the base unit: the contract allows any positive amount,
            # and a need that rounds to 0 in float32 would divide by zero (the share caps at 1).
            need=np.maximum(
                np.array([d.monthly_need() for d in demands], dtype=np.float32), NEED_FLOOR
            ),
            unit=np.array([units.index(d.quantity.unit) for d in demands], dtype=np.int16),
            place=np.array([self.places.index[d.delivery_place] for d in demands], np.int16),
            window=np.array([month_mask(d.delivery_months()) for d in demands], np.uint16),
            required=required,
            until=np.array([d.delivery_until.toordinal() for d in demands], dtype=np.int32),
        )

    def score(
        self, demands: DemandRows, offers: OfferRows, text: np.ndarray | None = None
    ) -> ScoredPairs:
        """Score every demand against every offer: arrays of shape (B, n). ``text``: their
        cosines (``text_cosines``), if already worked out."""
        return score_pairs(
            demands, offers, self.model, self.taxonomy.compatibility, self.places.proximity, text
        )


@dataclass(frozen=True, slots=True)
class ScoredPairs:
    score: np.ndarray  # (B, n) float32; -inf where the pair is not a candidate
    components: dict[str, np.ndarray]  # name -> (B, n) float32 in [0, 1] (may be a view)


def _kind_fit(compatibility: np.ndarray, demanded: np.ndarray, offered: np.ndarray) -> np.ndarray:
    """compatibility[demanded, offered] broadcast to (B, n); a shard holds one kind, so the
    common case is a (B, 1) column rather than a full gather."""
    if offered.size and (offered == offered[0]).all():
        return compatibility[demanded, offered[0]][:, None]
    return compatibility[demanded[:, None], offered[None, :]]


def _season(window: np.ndarray, offers: OfferRows) -> np.ndarray:
    """Share of each demand's delivery months within each offer's harvest months, (B, n).
    Offers share few distinct harvest calendars, so overlaps are counted per calendar (B, U)
    and then spread to the offers."""
    overlap = np.bitwise_count(window[:, None] & offers.calendars[None, :]).astype(np.float32)
    overlap /= np.bitwise_count(window).astype(np.float32)[:, None]
    return np.take(overlap, offers.calendar, axis=1)


def _one_value(values: np.ndarray) -> int | None:
    """The value every element has, if they all have the same one."""
    if values.size and (values == values[0]).all():
        return int(values[0])
    return None


def text_cosines(demands: sparse.csr_matrix, offers: sparse.csr_matrix) -> np.ndarray:
    """(B, n) float32 cosines of unit rows: sparse times dense, densifying the smaller side
    (one pass over the larger side's non-zeros per row of the smaller one).

    Either way each cosine is the same float32 sum, bit for bit: the terms that are not zero
    are the shared features', added in feature order (rows keep their features sorted), and
    the others add +0."""
    if 0 < demands.shape[0] <= FEW_DEMANDS:
        # One product per demand: scipy's several-vector product has a cost per non-zero
        # that the single-vector one does not, which only more vectors make up for.
        return np.stack([offers @ row for row in demands.toarray()]).astype(np.float32, copy=False)
    if demands.shape[0] <= offers.shape[0]:
        return np.ascontiguousarray((offers @ demands.toarray().T).T, np.float32)
    return np.asarray(demands @ offers.toarray().T, dtype=np.float32)


def score_pairs(
    demands: DemandRows,
    offers: OfferRows,
    model: ScoringModel,
    compatibility: np.ndarray,
    proximity: np.ndarray,
    text: np.ndarray | None = None,
) -> ScoredPairs:
    """The scoring kernel. ``compatibility`` is (K + 1, K + 1) [demanded, offered];
    ``proximity`` is (P, P) [delivery place, district]; ``text``, the (B, n) float32 cosines
    if the caller has them already (they are clipped in place). Returns (B, n) arrays.

    Written for speed over big blocks: work that only some demands need (certificate checks,
    text thresholds) is done for those rows only."""
    shape = (demands.size, offers.size)
    if text is None:
        text = text_cosines(demands.text, offers.text)
    np.minimum(text, 1.0, out=text)  # a cosine of unit vectors, up to rounding
    kind = _kind_fit(compatibility, demands.kind, offers.kind)

    capacity = offers.capacity[None, :] / demands.need[:, None]
    np.minimum(capacity, 1.0, out=capacity)
    unit = _one_value(demands.unit)
    if unit is None or unit != _one_value(offers.unit):
        capacity[demands.unit[:, None] != offers.unit[None, :]] = 0.0

    # Without requirements: 1 for a product certified through the delivery, else 0.5.
    certification = np.where(
        offers.best_expiry[None, :] >= demands.until[:, None], np.float32(1.0), np.float32(0.5)
    )
    requiring = np.flatnonzero(demands.required.any(axis=1))
    certification[requiring] = 1.0  # every requirement is met, or the pair is excluded
    weak = kind < np.float32(BROADER_KIND)  # (B, 1) or (B, n), as kind
    excluded: np.ndarray | None = None  # (B, n) bool, allocated only if anything is excluded
    if requiring.size or weak.any():
        excluded = np.zeros(shape, dtype=bool)
        for column in np.flatnonzero(demands.required.any(axis=0)):
            rows = np.flatnonzero(demands.required[:, column])
            excluded[rows] |= offers.expiry[None, :, column] < demands.until[rows, None]
        if weak.any():  # a kind that does not vouch for the offer: its text must
            excluded |= weak & (text < np.float32(MIN_TEXT))
            excluded |= kind < 0

    components = {
        "text": text,
        "kind": np.maximum(kind, np.float32(0.0)),
        "capacity": capacity,
        "certification": certification,
        "place": np.take(proximity[demands.place], offers.district, axis=1),
        "season": _season(demands.window, offers),
    }
    score = model.combine(components)
    if excluded is not None:
        score[excluded] = -np.inf
    return ScoredPairs(
        score,
        {
            name: part if part.shape == shape else np.broadcast_to(part, shape)
            for name, part in components.items()
        },
    )
