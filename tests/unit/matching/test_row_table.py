"""The row table keeps keys and rows aligned through additions, replacements,
removals, folding and compaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np

from services.matching.domain.row_table import RowTable


@dataclass(frozen=True)
class Values:
    values: np.ndarray

    @property
    def size(self) -> int:
        return int(self.values.shape[0])

    def take(self, rows: np.ndarray) -> Self:
        return type(self)(self.values[rows])

    @staticmethod
    def concat(parts: Sequence[Values]) -> Values:
        return Values(np.concatenate([p.values for p in parts]))


def live(table: RowTable[str, Values]) -> dict[str, float]:
    return {
        key: float(block.rows.values[row])
        for block in table.blocks()
        for row, key in enumerate(block.keys)
        if block.alive[row]
    }


def test_adding_an_existing_key_replaces_its_row() -> None:
    table: RowTable[str, Values] = RowTable(Values.concat)
    table.add(["a", "b"], Values(np.array([1.0, 2.0])))
    table.add(["a"], Values(np.array([3.0])))
    assert live(table) == {"a": 3.0, "b": 2.0}
    assert len(table) == 2


def test_removed_rows_are_dead_and_compaction_keeps_the_rest_aligned() -> None:
    table: RowTable[str, Values] = RowTable(Values.concat)
    keys = [f"k{i}" for i in range(10)]
    table.add(keys, Values(np.arange(10, dtype=float)))
    for key in keys[:6]:
        table.remove(key)
    assert live(table) == {f"k{i}": float(i) for i in range(6, 10)}
    [block] = table.blocks()
    assert list(block.keys) == ["k6", "k7", "k8", "k9"]  # compacted: dead rows dropped
    table.add(["k0"], Values(np.array([42.0])))
    assert live(table) == {"k0": 42.0, **{f"k{i}": float(i) for i in range(6, 10)}}


def test_recent_rows_are_a_block_of_their_own_until_folded_in() -> None:
    table: RowTable[str, Values] = RowTable(Values.concat)
    table.add([f"m{i}" for i in range(5000)], Values(np.zeros(5000)))
    assert len(table.blocks()) == 1  # a big addition becomes the main block at once
    table.add(["r1"], Values(np.array([1.0])))
    table.add(["r2", "m0"], Values(np.array([2.0, 3.0])))
    main, recent = table.blocks()
    assert list(recent.keys) == ["r1", "r2", "m0"]
    assert not main.alive[0]  # m0 was replaced by its recent row
    assert live(table)["m0"] == 3.0
    assert len(table) == 5002


def test_empty_table_has_no_blocks() -> None:
    table: RowTable[str, Values] = RowTable(Values.concat)
    assert table.blocks() == []
    assert not table.remove("missing")
