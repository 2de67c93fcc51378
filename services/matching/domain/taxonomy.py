"""The product taxonomy: which kind of product a text names, and which kinds may stand in.

Words alone mislead: "nước mắm" (fish sauce) and "mắm ruốc" (shrimp paste) share "mắm". The
taxonomy names each kind with its synonyms, so a demand and an offer are compared as kinds
first and as text second.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from services.matching.domain.vietnamese_text import fold_words

CLASSIFIED_KEPT = 100_000  # texts whose kind is kept
DEFAULT_TAXONOMY_PATH = Path(__file__).resolve().parent.parent / "data" / "product_taxonomy.json"

# Compatibility of an offered kind with a demanded kind, used as the "kind" score component.
SAME_KIND = 1.0  # same kind, or a more specific one: organic rice for a rice demand
BROADER_KIND = 0.6  # the offer is the general kind of what is asked: rice for organic rice
UNKNOWN_KIND = 0.5  # one side names no known kind: the text decides
MISMATCH = -1.0  # different kinds: never a match


@dataclass(frozen=True, slots=True)
class OcopGroup:
    code: str
    name_vi: str
    name_en: str


@dataclass(frozen=True, slots=True)
class ProductKind:
    code: str
    name_vi: str
    name_en: str
    ocop_group: str
    parent: str | None
    synonyms: tuple[str, ...]


class Taxonomy:
    """Product kinds with their synonyms, OCOP groups and the kind hierarchy."""

    def __init__(self, groups: Mapping[str, OcopGroup], kinds: tuple[ProductKind, ...]) -> None:
        self.groups = dict(groups)
        self.kinds = kinds
        self.by_code = {kind.code: kind for kind in kinds}
        self._check()
        self.index = {kind.code: number for number, kind in enumerate(kinds)}
        self.unknown_index = len(kinds)
        phrases: dict[str, str] = {}
        for kind in kinds:
            for phrase in (kind.name_vi, kind.name_en, *kind.synonyms):
                folded = fold_words(phrase)
                owner = phrases.setdefault(folded, kind.code)
                if owner != kind.code:
                    raise ValueError(f"synonym {phrase!r} names both {owner} and {kind.code}")
        self._phrase_kind = phrases
        # Longest first: the regex engine takes the first alternative that matches at a spot.
        alternatives = sorted(phrases, key=len, reverse=True)
        self._pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, alternatives)) + r")\b")
        self.compatibility = self._compatibility_matrix()
        self._classified: dict[str, str | None] = {}

    def _check(self) -> None:
        if len(self.by_code) != len(self.kinds):
            raise ValueError("kind codes must be unique")
        for kind in self.kinds:
            if kind.ocop_group not in self.groups:
                raise ValueError(f"kind {kind.code} has unknown OCOP group {kind.ocop_group}")
            if kind.parent is not None and kind.parent not in self.by_code:
                raise ValueError(f"kind {kind.code} has unknown parent {kind.parent}")
            if kind.code in set(self.ancestors(kind.code)):
                raise ValueError(f"kind {kind.code} is its own ancestor")

    def ancestors(self, code: str) -> Iterator[str]:
        """The parent, its parent, and so on (stops on a cycle, which _check reports)."""
        seen: set[str] = set()
        parent = self.by_code[code].parent
        while parent is not None and parent not in seen:
            seen.add(parent)
            yield parent
            parent = self.by_code[parent].parent

    def classify(self, text: str) -> str | None:
        """The kind a text names: the longest synonym found in it, first one on a tie."""
        # Kept by text: every profile update and every retraction asks again for the same
        # product names, and folding plus matching costs more than the lookup.
        if text in self._classified:
            return self._classified[text]
        if len(self._classified) >= CLASSIFIED_KEPT:
            self._classified.clear()
        self._classified[text] = found = self._classify(text)
        return found

    def _classify(self, text: str) -> str | None:
        best: str | None = None
        for found in self._pattern.finditer(fold_words(text)):
            phrase = found.group(0)
            if best is None or len(phrase) > len(best):
                best = phrase
        return None if best is None else self._phrase_kind[best]

    def classify_product(self, name: str, description: str = "") -> str | None:
        """The kind of a product: its name decides; the description only when the name is
        silent (a shrimp paste's description may well say it goes with fish sauce)."""
        return self.classify(name) or (self.classify(description) if description else None)

    def kind_index(self, code: str | None) -> int:
        return self.unknown_index if code is None else self.index[code]

    def compatibility_of(self, demanded: str | None, offered: str | None) -> float:
        return float(self.compatibility[self.kind_index(demanded), self.kind_index(offered)])

    def _compatibility_matrix(self) -> np.ndarray:
        """Shape (K + 1, K + 1): [demanded kind, offered kind]; index K is "no known kind"."""
        size = len(self.kinds) + 1
        matrix = np.full((size, size), MISMATCH, dtype=np.float32)
        matrix[self.unknown_index, :] = UNKNOWN_KIND
        matrix[:, self.unknown_index] = UNKNOWN_KIND
        for kind in self.kinds:
            row = self.index[kind.code]
            matrix[row, row] = SAME_KIND
            for ancestor in self.ancestors(kind.code):
                # The offer is more specific than the demand: it satisfies it.
                matrix[self.index[ancestor], row] = SAME_KIND
                # The offer is more general than the demand: it may satisfy it.
                matrix[row, self.index[ancestor]] = BROADER_KIND
        return matrix

    def corpus(self) -> list[str]:
        """Every name and synonym, folded: the text the TF-IDF vocabulary is learnt from."""
        texts: list[str] = []
        for kind in self.kinds:
            texts.append(fold_words(f"{kind.name_vi} {kind.name_en}"))
            texts.extend(fold_words(synonym) for synonym in kind.synonyms)
        return texts

    def describe(self, code: str | None) -> tuple[str, str]:
        """(English, Vietnamese) name of a kind, or of "an unlisted product"."""
        if code is None:
            return "an unlisted product", "sản phẩm ngoài danh mục"
        kind = self.by_code[code]
        return kind.name_en.lower(), kind.name_vi.lower()


def load_taxonomy(path: Path = DEFAULT_TAXONOMY_PATH) -> Taxonomy:
    with path.open(encoding="utf-8") as handle:
        data = json.load(handle)
    groups = {
        row["code"]: OcopGroup(row["code"], row["name_vi"], row["name_en"])
        for row in data["ocop_groups"]
    }
    kinds = tuple(
        ProductKind(
            code=row["code"],
            name_vi=row["name_vi"],
            name_en=row["name_en"],
            ocop_group=row["ocop_group"],
            parent=row.get("parent"),
            synonyms=tuple(row["synonyms"]),
        )
        for row in data["kinds"]
    )
    return Taxonomy(groups, kinds)


@cache
def default_taxonomy() -> Taxonomy:
    """The taxonomy shipped in ``services/matching/data``, loaded once."""
    return load_taxonomy()
