"""Group proposals: the fewest good candidates that together supply the whole need."""

from __future__ import annotations

import numpy as np

from services.matching.domain.groups import propose_group


def test_best_candidates_are_grouped_until_the_need_is_covered() -> None:
    assert propose_group(np.array([0.4, 0.4, 0.3, 0.2])) == [0, 1, 2]


def test_no_group_when_even_all_candidates_fall_short() -> None:
    assert propose_group(np.array([0.2, 0.2, 0.1])) is None


def test_biggest_suppliers_are_tried_when_the_best_need_too_many_members() -> None:
    shares = np.array([0.1, 0.1, 0.1, 0.1, 0.1, 0.6, 0.5])
    assert propose_group(shares, max_size=5) == [5, 6]


def test_a_candidate_that_supplies_everything_alone_is_no_group_member() -> None:
    assert propose_group(np.array([1.0, 0.5, 0.5])) == [1, 2]


def test_candidates_in_another_unit_add_nothing() -> None:
    assert propose_group(np.array([0.0, 0.6, 0.0, 0.5])) == [1, 3]
