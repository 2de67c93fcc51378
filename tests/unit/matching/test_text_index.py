"""TF-IDF over folded text: unaccented queries find accented products."""

from __future__ import annotations

import numpy as np

from services.matching.domain.taxonomy import default_taxonomy
from services.matching.domain.text_index import TextEncoder


def cosine(encoder: TextEncoder, a: str, b: str) -> float:
    rows = encoder.encode([a, b])
    return float((rows[0] @ rows[1].T).toarray()[0, 0])


def test_unaccented_query_is_identical_to_accented_text() -> None:
    encoder = TextEncoder(default_taxonomy().corpus())
    assert cosine(encoder, "gao huu co", "Gạo Hữu Cơ") > 0.999


def test_unaccented_query_is_closer_to_its_product_than_to_others() -> None:
    encoder = TextEncoder(default_taxonomy().corpus())
    same = cosine(encoder, "gao huu co", "Gạo hữu cơ Bố Trạch")
    other = cosine(encoder, "gao huu co", "Nước mắm cá cơm")
    assert same > 0.7
    assert other < 0.3


def test_encoded_rows_have_unit_length() -> None:
    encoder = TextEncoder(default_taxonomy().corpus())
    rows = encoder.encode(["Nước mắm", "tinh dầu tràm", "mây tre đan"])
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    assert np.allclose(norms, 1.0, atol=1e-5)
    assert rows.shape[1] == encoder.n_features
