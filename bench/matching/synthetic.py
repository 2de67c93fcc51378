"""Synthetic cooperatives and demands for the matching benchmarks, from the real taxonomy.

Product names are taxonomy synonyms with the qualifiers people add (place, "truyền thống",
"OCOP"), and descriptions name the cooperative, so texts are distinct, as in real profiles.
Kinds follow a skewed distribution (a few kinds are far commoner than the rest). Seeded, so
every run scores the same data.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from services.matching.domain.model import (
    Amount,
    Certificate,
    Cooperative,
    Demand,
    ProductOffer,
    RequiredCertificate,
)
from services.matching.domain.taxonomy import ProductKind, default_taxonomy
from services.matching.domain.vietnamese_text import fold
from shared import reference
from shared.province_time import province_today

# Deliveries next year (certificates from the middle of this one), whenever this runs: the
# worker closes demands whose delivery is over. Only the year moves; the data is the same.
YEAR = province_today().year + 1

DISTRICTS = sorted(reference.district_codes())
PLACES = sorted(reference.places())
QUALIFIERS = ["", "truyền thống", "đặc sản", "loại 1", "OCOP", "sạch", "xuất khẩu", "gia truyền"]
UNIT_OF_KIND = {
    "fish_sauce": "litre",
    "essential_oil": "litre",
    "cajeput_oil": "litre",
    "lemongrass_oil": "litre",
    "rice_wine": "litre",
    "conical_hat": "piece",
    "rattan_bamboo": "piece",
    "sedge_mat": "piece",
    "wood_crafts": "piece",
    "brocade": "piece",
    "garments": "piece",
    "community_tourism": "guest",
}
CERTIFICATES = ["vietgap", "globalgap", "organic", "haccp", "iso22000", "ocop"]
# Text nobody listed in the taxonomy: such demands are scored against every shard.
UNLISTED = ["đặc sản quà biếu Quảng Bình", "sản phẩm OCOP làm quà", "nông sản sạch các loại"]


def _kind_weights(kinds: tuple[ProductKind, ...]) -> np.ndarray:
    """Zipf-like popularity (the r-th most common kind about r^-0.8 as common as the first),
    ranks dealt by a fixed shuffle, so that the order of the taxonomy file (all the rice
    kinds first) does not decide which kinds are common. Shared by offers and demands."""
    ranks = np.random.default_rng(0).permutation(len(kinds)) + 1
    weights = 1.0 / ranks**0.8
    return weights / weights.sum()


def _months(rng: np.random.Generator) -> frozenset[int]:
    if rng.random() < 0.5:
        return frozenset()
    start, length = int(rng.integers(1, 13)), int(rng.integers(2, 6))
    return frozenset((start + i - 1) % 12 + 1 for i in range(length))


def cooperatives(count: int, seed: int = 1) -> list[Cooperative]:
    rng = np.random.default_rng(seed)
    kinds = default_taxonomy().kinds
    weights = _kind_weights(kinds)
    made = []
    for number in range(count):
        district = DISTRICTS[int(rng.integers(len(DISTRICTS)))]
        products = []
        for product_number in range(int(rng.choice([1, 1, 2, 3]))):
            kind = kinds[int(rng.choice(len(kinds), p=weights))]
            synonym = kind.synonyms[int(rng.integers(len(kind.synonyms)))]
            qualifier = QUALIFIERS[int(rng.integers(len(QUALIFIERS)))]
            place = reference.places()[district].name
            name = " ".join(part for part in (synonym.capitalize(), qualifier, place) if part)
            unit = UNIT_OF_KIND.get(kind.code, "kg")
            certificates = tuple(
                Certificate(
                    kind=certificate,
                    expires_on=date(YEAR - 1, 6, 1) + timedelta(days=int(rng.integers(0, 1200))),
                    stars=int(rng.integers(3, 6)) if certificate == "ocop" else None,
                )
                for certificate in CERTIFICATES
                if rng.random() < (0.25 if certificate in ("vietgap", "ocop") else 0.05)
            )
            products.append(
                ProductOffer(
                    product_id=f"p{product_number}",
                    name=name,
                    description=f"{synonym} của HTX số {number}, {qualifier}".strip(", "),
                    monthly_capacity=Amount(float(rng.lognormal(7.0, 1.2)), unit),
                    certificates=certificates,
                    harvest_months=_months(rng),
                )
            )
        made.append(
            Cooperative(
                cooperative_id=f"coop-{number:06d}",
                name=f"HTX số {number}",
                kind=str(rng.choice(["htx", "htx", "htx", "tht", "union"])),
                sector="agriculture",
                district=district,
                founded_year=int(rng.integers(1995, 2026)),
                member_count=int(rng.integers(7, 300)),
                annual_revenue_vnd=int(rng.integers(100, 20_000)) * 1_000_000,
                products=tuple(products),
            )
        )
    return made


def demands(count: int, seed: int = 2, prefix: str = "demand") -> list[Demand]:
    """Demands for taxonomy kinds (a third typed without diacritics) and 5% for unlisted text."""
    rng = np.random.default_rng(seed)
    kinds = default_taxonomy().kinds
    weights = _kind_weights(kinds)
    made = []
    for number in range(count):
        kind = kinds[int(rng.choice(len(kinds), p=weights))]
        if rng.random() < 0.05:
            text = UNLISTED[int(rng.integers(len(UNLISTED)))]
        else:
            text = kind.synonyms[int(rng.integers(len(kind.synonyms)))]
            if rng.random() < 0.33:
                text = fold(text)
        start = date(YEAR, 1, 1) + timedelta(days=int(rng.integers(0, 300)))
        required = tuple(
            RequiredCertificate(c, int(rng.integers(3, 5)) if c == "ocop" else None)
            for c in ("vietgap", "ocop", "organic")
            if rng.random() < 0.08
        )
        made.append(
            Demand(
                demand_id=f"{prefix}-{number:05d}",
                business_id=f"business-{int(rng.integers(500)):03d}",
                product=text,
                quantity=Amount(float(rng.lognormal(7.5, 1.0)), UNIT_OF_KIND.get(kind.code, "kg")),
                monthly=bool(rng.random() < 0.6),
                delivery_place=PLACES[int(rng.integers(len(PLACES)))],
                delivery_from=start,
                delivery_until=start + timedelta(days=int(rng.integers(20, 180))),
                required_certificates=required,
            )
        )
    return made
