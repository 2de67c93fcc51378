from __future__ import annotations

from services.conferences.domain.tables import assign_tables


def test_a_business_keeps_its_table_through_the_day() -> None:
    placements = [
        (("c1", "x"), "s1"),
        (("c2", "y"), "s1"),
        (("c3", "y"), "s2"),
        (("c4", "x"), "s2"),
        (("c5", "z"), "s2"),
    ]
    tables = assign_tables(placements, ["s1", "s2"], table_count=3)
    assert tables[("c1", "x")] == tables[("c4", "x")]
    assert tables[("c2", "y")] == tables[("c3", "y")]
    per_slot = {s: sorted(tables[k] for k, slot in placements if slot == s) for s in ("s1", "s2")}
    assert per_slot == {"s1": [1, 2], "s2": [1, 2, 3]}


def test_tables_taken_by_kept_meetings_are_not_given_again() -> None:
    tables = assign_tables(
        [(("c2", "y"), "s1")], ["s1"], table_count=2, taken=[(("c1", "x"), "s1", 1)]
    )
    assert tables == {("c2", "y"): 2}
