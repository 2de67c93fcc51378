"""Learning the score weights from what happened after a match or a lead.

Banks accept or reject leads; organisers record how meetings went. Each becomes a feedback
example: the components the pair was scored with, and how relevant it proved. A logistic
regression over the components then replaces the hand-set weights. It is judged as a ranker:
NDCG@5 within each ranked list (a demand's matches, a bank's leads) on lists held out of
training, next to the model it would replace on the same lists.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import ndcg_score
from sklearn.model_selection import GroupShuffleSplit

from services.matching.domain.scoring_model import MatchKind, ScoringModel

# Graded relevance, for NDCG; a commitment (2 or more) is what the classifier learns to predict.
OUTCOME_RELEVANCE: dict[str, int] = {
    "no_show": 0,
    "met": 1,
    "mou_signed": 2,
    "loan_application": 2,
    "contract": 3,
}
DECISION_RELEVANCE: dict[str, int] = {"rejected": 0, "accepted": 2}
POSITIVE_FROM = 2
NDCG_K = 5


@dataclass(frozen=True, slots=True)
class FeedbackExample:
    kind: MatchKind
    query_id: str  # the ranked list it was in: the demand (sourcing) or the bank (leads)
    item_id: str  # the match or lead id
    components: Mapping[str, float]
    relevance: int

    @property
    def positive(self) -> bool:
        return self.relevance >= POSITIVE_FROM


@dataclass(frozen=True, slots=True)
class TrainingReport:
    model: ScoringModel
    ndcg_learned: float  # NDCG@5 of the learnt model on held-out lists; nan if none usable
    ndcg_baseline: float  # the same for the model it replaces
    train_examples: int
    held_out_examples: int
    held_out_lists: int
    judging_lists: int  # held-out lists that can rank: two decisions or more, one of them good

    @property
    def judged(self) -> bool:
        """Enough held-out lists could rank something to tell the two models apart."""
        return (
            self.judging_lists >= MIN_JUDGING_LISTS
            and not math.isnan(self.ndcg_learned)
            and not math.isnan(self.ndcg_baseline)
        )

    @property
    def better(self) -> bool:
        """The learnt model ranked the held-out lists better than the model in use."""
        return self.judged and self.ndcg_learned > self.ndcg_baseline


# Fewer held-out lists that can rank say little: one list of two decisions gives either model
# NDCG 1.0 or not, whatever its weights (seen after a first conference: weights that pushed
# the nearest cooperatives out of every list tied the hand-set ones on such a list).
MIN_JUDGING_LISTS = 3


def _can_rank(relevance: np.ndarray) -> bool:
    return relevance.shape[0] >= 2 and bool(relevance.max() > 0)


def ndcg_at_5(lists: Iterable[tuple[np.ndarray, np.ndarray]]) -> float:
    """Mean NDCG@5 over (relevance (m,), score (m,)) lists; lists of one item or without any
    relevant item say nothing about ranking and are left out. nan when none is left."""
    values = [
        float(ndcg_score(relevance[None, :], score[None, :], k=NDCG_K))
        for relevance, score in lists
        if _can_rank(relevance)
    ]
    return float(np.mean(values)) if values else float("nan")


def latest_per_item(examples: Iterable[FeedbackExample]) -> list[FeedbackExample]:
    """One example per match or lead: the last feedback on it counts."""
    return list({example.item_id: example for example in examples}.values())


def _matrix(examples: Sequence[FeedbackExample], features: Sequence[str]) -> np.ndarray:
    """Shape (len(examples), len(features))."""
    return np.array([[e.components[f] for f in features] for e in examples], dtype=np.float64)


def _lists(
    examples: Sequence[FeedbackExample], scores: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    by_query: dict[str, list[int]] = {}
    for position, example in enumerate(examples):
        by_query.setdefault(example.query_id, []).append(position)
    relevance = np.array([e.relevance for e in examples], dtype=np.float64)
    return [(relevance[rows], scores[rows]) for rows in by_query.values()]


def _fit(x: np.ndarray, y: np.ndarray) -> LogisticRegression:
    # Balanced classes: accepted leads and signed deals are the minority.
    return LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit(x, y)


def train_model(
    examples: Iterable[FeedbackExample],
    baseline: ScoringModel,
    version: str,
    held_out_share: float = 0.25,
    seed: int = 0,
) -> TrainingReport:
    """Fit a logistic regression on the baseline's features; evaluate it on held-out lists
    against the baseline; return a model refitted on all the examples."""
    chosen = [e for e in latest_per_item(examples) if e.kind == baseline.kind]
    labels = np.array([e.positive for e in chosen])
    if len(chosen) < 4 or labels.all() or not labels.any():
        raise ValueError(
            f"need at least 4 {baseline.kind} examples with both good and bad outcomes, "
            f"have {len(chosen)} ({int(labels.sum())} good)"
        )
    groups = np.array([e.query_id for e in chosen])
    if len(set(groups)) < 2:
        # The model is judged on whole lists held out of training (a bank's leads, a
        # demand's matches): with one list there is nothing to judge it on.
        lists = "banks' leads" if baseline.kind == "lead" else "demands' matches"
        raise ValueError(
            f"need feedback on at least 2 ranked lists ({lists}) to hold one out for "
            f"evaluation, have 1 ({groups[0]})"
        )
    features = baseline.features
    x = _matrix(chosen, features)
    splitter = GroupShuffleSplit(n_splits=1, test_size=held_out_share, random_state=seed)
    train_rows, test_rows = next(splitter.split(x, labels, groups))
    ndcg_learned = ndcg_baseline = float("nan")
    test = [chosen[i] for i in test_rows]
    if labels[train_rows].any() and not labels[train_rows].all():
        held = _fit(x[train_rows], labels[train_rows])
        ndcg_learned = ndcg_at_5(_lists(test, held.decision_function(x[test_rows])))
        baseline_scores = baseline.combine(
            {name: x[test_rows, column] for column, name in enumerate(features)}
        )
        ndcg_baseline = ndcg_at_5(_lists(test, baseline_scores))
    final = _fit(x, labels)
    model = ScoringModel(
        kind=baseline.kind,
        version=version,
        features=features,
        weights=tuple(float(w) for w in final.coef_[0]),
        intercept=float(final.intercept_[0]),
        link="logistic",
        trained_on=len(chosen),
    )
    return TrainingReport(
        model=model,
        ndcg_learned=ndcg_learned,
        ndcg_baseline=ndcg_baseline,
        train_examples=len(train_rows),
        held_out_examples=len(test_rows),
        held_out_lists=len({e.query_id for e in test}),
        judging_lists=sum(
            1 for relevance, _ in _lists(test, np.zeros(len(test))) if _can_rank(relevance)
        ),
    )
