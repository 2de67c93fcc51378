"""Product text as TF-IDF vectors over folded Vietnamese, so that "gao huu co" finds "Gạo hữu cơ".

Word uni- and bigrams catch compound names ("nuoc mam"); character n-grams within words catch
spelling variants and partial words. The vocabulary is learnt once from the taxonomy, so the
feature space stays fixed: a new product is encoded on its own, without re-encoding the rest,
and words outside the product vocabulary (place names, sales talk) add nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, make_union
from sklearn.preprocessing import normalize

from services.matching.domain.vietnamese_text import fold_words

# Descriptions can run to 4000 characters. Their opening words qualify the product ("gạo lứt
# đỏ hữu cơ..."); the rest is sales talk that dilutes the match and, every feature costing a
# multiply per demand, slows scoring.
DESCRIPTION_CHARS = 60


def product_text(name: str, description: str = "") -> str:
    """The text a product or a demand is compared by: its name and the start of its description."""
    return f"{name}. {description[:DESCRIPTION_CHARS]}" if description else name


# Texts kept encoded: product names and the opening of descriptions recur (every profile
# update re-sends the cooperative's products). Each row is about a hundred features.
ROWS_KEPT = 50_000


class TextEncoder:
    """Encodes texts as L2-normalised TF-IDF rows, so a dot product is a cosine in [0, 1].

    Rows are kept by text: a call to scikit-learn costs about 3 ms whatever its size, so a
    profile update that re-sends unchanged products costs a lookup, and the texts not seen
    yet are encoded together in one call."""

    def __init__(self, corpus: Iterable[str]) -> None:
        self._union: FeatureUnion = make_union(
            TfidfVectorizer(
                analyzer="word",
                ngram_range=(1, 2),
                preprocessor=fold_words,
                token_pattern=r"(?u)\b\w+\b",  # one-letter syllables count in Vietnamese
                sublinear_tf=True,
                dtype=np.float32,
            ),
            TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=(2, 4),
                preprocessor=fold_words,
                sublinear_tf=True,
                dtype=np.float32,
            ),
        )
        self._union.fit(list(corpus))
        self._rows: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # text -> (features, weights)
        self.n_features: int = self._transform([""]).shape[1]

    def _transform(self, texts: list[str]) -> sparse.csr_matrix:
        matrix = normalize(self._union.transform(texts), norm="l2", copy=False)
        return sparse.csr_matrix(matrix, dtype=np.float32)

    def encode(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Shape (len(texts), n_features), float32, each non-empty row of unit length."""
        texts = list(texts)
        missing = [t for t in dict.fromkeys(texts) if t not in self._rows]
        if len(missing) > ROWS_KEPT:
            return self._transform(texts)  # a bulk load: keeping it would only evict
        if missing:
            if len(self._rows) + len(missing) > ROWS_KEPT:
                self._rows.clear()
            fresh = self._transform(missing)
            for row, text in enumerate(missing):
                start, end = fresh.indptr[row], fresh.indptr[row + 1]
                self._rows[text] = (fresh.indices[start:end], fresh.data[start:end])
        rows = [self._rows[t] for t in texts]
        lengths = np.fromiter((r[0].shape[0] for r in rows), dtype=np.int64, count=len(rows))
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        if not rows:
            return sparse.csr_matrix((0, self.n_features), dtype=np.float32)
        indices = np.concatenate([r[0] for r in rows])
        data = np.concatenate([r[1] for r in rows])
        return sparse.csr_matrix(
            (data, indices, indptr), shape=(len(rows), self.n_features), dtype=np.float32
        )
