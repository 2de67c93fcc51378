"""Text cosines are the same floats however they are computed: the index picks the cheapest
product for each batch, and a ranking must not depend on the batch a demand fell in."""

from __future__ import annotations

import random

import numpy as np

from services.matching.domain.sourcing import FEW_DEMANDS, take_rows, text_cosines
from services.matching.domain.taxonomy import default_taxonomy
from services.matching.domain.text_index import TextEncoder, product_text
from tests.unit.matching.builders import random_demand, random_offer


def test_cosines_are_bit_for_bit_the_same_whichever_product_computes_them() -> None:
    rng = random.Random(3)
    encoder = TextEncoder(default_taxonomy().corpus())
    offers = encoder.encode(
        [product_text(o.name, o.description) for _, o in (random_offer(rng, i) for i in range(40))]
    )
    demands = encoder.encode(
        [product_text(d.product, d.description) for d in (random_demand(rng, i) for i in range(60))]
    )
    one_by_one = np.stack([text_cosines(demands[[row]], offers)[0] for row in range(60)])
    assert FEW_DEMANDS < 20 < offers.shape[0] < 60
    assert (text_cosines(demands[:20], offers) == one_by_one[:20]).all()  # offers' side
    assert (text_cosines(demands, offers) == one_by_one).all()  # demands' side
    assert one_by_one.dtype == np.float32 and (one_by_one > 0.3).any()


def test_taking_rows_is_scipy_row_indexing() -> None:
    rng = random.Random(5)
    encoder = TextEncoder(default_taxonomy().corpus())
    matrix = encoder.encode(
        [product_text(d.product, d.description) for d in (random_demand(rng, i) for i in range(9))]
    )
    rows = np.array([4, 0, 4, 8])
    taken = take_rows(matrix, rows)
    assert taken.shape == (4, matrix.shape[1])
    assert (taken.toarray() == matrix[rows].toarray()).all()
    assert take_rows(matrix, np.array([], dtype=np.int64)).shape == (0, matrix.shape[1])
